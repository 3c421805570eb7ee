"""Lesson "Third-party packages", section 4: a deploy that checks first.

Save the lab's CA as safelab-ca.pem next to this script, then run:  python refused.py
It downloads clinic-report's requirements.txt, sends it to the secure deploy
service, and prints the advisories it refuses them for, the way you read one:
package and version, id, CVE, affected versions, fixed version.
"""

import sys

import requests

HTTP = "{{http}}"


def check(condition: bool, message: str) -> None:
    """Stops with a message when the lab did not answer as the lesson says."""
    if not condition:
        sys.exit(f"unexpected: {message}")


def main() -> None:
    requirements = requests.get(f"{HTTP}/lab/secure/packages/requirements.txt", timeout=10).text
    answer = requests.post(f"{HTTP}/lab/secure/packages/deploy", data=requirements, timeout=10)
    check(answer.status_code == 422, f"the secure deploy answered {answer.status_code}: {answer.text}")
    refusal = answer.json()
    print(refusal["error"])
    for advisory in refusal["advisories"]:
        cves = [alias for alias in advisory["aliases"] if alias.startswith("CVE-")]
        print(
            f"  {advisory['package']}=={advisory['version']}: {advisory['id']} {' '.join(cves)}"
            f"  affected {advisory['affected']}, fixed in {advisory['fixed'] or 'no release yet'}"
        )
    packages = {advisory["package"] for advisory in refusal["advisories"]}
    check("pyyaml" in packages, "PyYAML 5.3.1 was not among the refused")
    print(refusal["snapshot"])


if __name__ == "__main__":
    main()
