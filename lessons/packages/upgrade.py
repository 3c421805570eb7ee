"""Lesson "Third-party packages", section 5: upgrading.

Save the lab's CA as safelab-ca.pem next to this script, then run:  python upgrade.py
It upgrades every pin of clinic-report's requirements.txt to a release with no
known advisory, gets the secure deploy service to accept the file, and sends
the YAML payload to the upgraded service again.
"""

import re
import sys

import requests

HTTP = "{{http}}"
# Releases without known advisories in the lab's snapshot (October 2024).
UPGRADES = {
    "pandas": "2.2.3",
    "numpy": "2.1.2",
    "requests": "2.32.3",
    "urllib3": "2.2.3",
    "Jinja2": "3.1.4",
    "PyYAML": "6.0.2",
    "Pillow": "10.4.0",
}
PAYLOAD = 'run: !!python/object/apply:os.system ["id"]\n'


def check(condition: bool, message: str) -> None:
    """Stops with a message when the lab did not answer as the lesson says."""
    if not condition:
        sys.exit(f"unexpected: {message}")


def upgraded(requirements: str) -> str:
    """The same file, each pin replaced by its upgrade."""
    def replace(match: re.Match) -> str:
        name = match.group(1)
        return f"{name}=={UPGRADES.get(name, match.group(2))}"

    return re.sub(r"^([A-Za-z0-9_.-]+)==(\S+)", replace, requirements, flags=re.MULTILINE)


def main() -> None:
    requirements = requests.get(f"{HTTP}/lab/secure/packages/requirements.txt", timeout=10).text
    new = upgraded(requirements)
    print(new)
    answer = requests.post(f"{HTTP}/lab/secure/packages/deploy", data=new, timeout=10)
    check(answer.status_code == 200, f"the secure deploy answered {answer.status_code}: {answer.text}")
    deployed = answer.json()
    check(not deployed["missing"], f"packages left out: {deployed['missing']}")
    for pin in deployed["deployed"]:
        print(f"deployed {pin['package']}=={pin['version']}")

    again = requests.post(f"{HTTP}/lab/secure/packages/settings", data=PAYLOAD, timeout=10)
    check(again.status_code == 400, f"the payload answered {again.status_code}")
    print("the payload now:", again.json()["error"])


if __name__ == "__main__":
    main()
