"""Lesson "Secure coding tools", challenge gate-refuses: send the report
script to the secure review gate and read why it refuses.

Run it with safelab running:  python refuses.py
"""

import sys

import requests

HTTP = "{{http}}"
SECURE = f"{HTTP}/lab/secure/linting"

def check(condition: bool, message: str) -> None:
    """Stops with a message when the lab did not answer as the lesson says."""
    if not condition:
        sys.exit(f"unexpected: {message}")


def main() -> None:
    script = requests.get(f"{SECURE}/script", timeout=10).text

    refused = requests.post(f"{SECURE}/merge", data=script.encode(), timeout=10)
    check(refused.status_code == 422, f"the gate answered {refused.status_code}")
    findings = refused.json()["findings"]
    for finding in findings:
        print(f"line {finding['line']}: {finding['check']} [{finding['severity']}] {finding['message']}")
        print(f"    fix: {finding['fix']}")
    check({"B602", "B608"} <= {f["check"] for f in findings}, "the gate missed a flaw")


if __name__ == "__main__":
    main()
