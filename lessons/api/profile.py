"""Lesson "API security", section 4: mass assignment, and validation.

Save the lab's CA as safelab-ca.pem next to this script, then run:  python profile.py
It makes the insecure profile endpoint grant admin, then sends the secure twin
the same body and others it must refuse, each with its own status.
"""

import sys

import requests

HTTP = "{{http}}"
HTTPS = "{{https}}"
CA = "safelab-ca.pem"


def check(condition: bool, message: str) -> None:
    """Stops with a message when the lab did not answer as the lesson says."""
    if not condition:
        sys.exit(f"unexpected: {message}")


def main() -> None:
    insecure = f"{HTTP}/lab/insecure/profile"
    # Types, sizes and extra fields: the insecure twin keeps them all.
    stored = requests.post(insecure, json={"display_name": 42, "bio": "x" * 60000}, timeout=10)
    check(stored.status_code == 200, f"the insecure twin answered {stored.status_code}")
    # mass-assignment
    stored = requests.post(insecure, json={"is_admin": True}, timeout=10)
    powers = requests.get(insecure, timeout=10).json()["powers"]
    check(any(power.startswith("ADMIN") for power in powers), f"powers: {powers}")
    print("mass-assignment:", powers)

    secure = f"{HTTPS}/lab/secure/profile"
    cases = [
        # secure-refuses-admin, form-encoded as the insecure twin would take it
        ("is_admin as a form", dict(data={"is_admin": True}), 415),
        ("not JSON content", dict(data={"display_name": "Sam"}), 415),
        ("a field twice", dict(data='{"bio": "a", "bio": "b"}', headers={"Content-Type": "application/json"}), 422),
        ("a format character", dict(json={"display_name": "Sam\u202enimda"}), 422),
        ("too large", dict(json={"bio": "x" * 5000}), 413),
        ("malformed", dict(data='{"bio": "x",}', headers={"Content-Type": "application/json"}), 400),
        ("mass assignment", dict(json={"display_name": 42, "is_admin": True}), 422),
        ("valid", dict(json={"display_name": "Sam D.", "newsletter": True}), 200),
    ]
    for name, arguments, expected in cases:
        response = requests.post(secure, verify=CA, timeout=10, **arguments)
        check(response.status_code == expected, f"{name}: {response.status_code}, not {expected}")
        print(f"secure, {name}:", response.status_code, response.json().get("error", "updated"))
    refused = requests.post(secure, json={"is_admin": True}, verify=CA, timeout=10).json()
    check([p["field"] for p in refused["problems"]] == ["is_admin"], f"refused: {refused}")
    profile = requests.get(secure, verify=CA, timeout=10).json()
    check(profile["profile"]["is_admin"] is False, "is_admin stuck on the secure twin")


if __name__ == "__main__":
    main()
