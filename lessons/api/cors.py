"""Lesson "API security": the CORS challenges, solved from Python.

Run:  python cors.py
Each step prints what the portal answered; the lab marks each challenge solved
the moment it sees it done.
"""

import sys

import requests

HTTP = "{{http}}"
ATTACKER = "{{attacker}}"


def main() -> None:
    for twin in ("insecure", "secure"):
        portal = requests.Session()
        portal.get(f"{HTTP}/lab/{twin}/cors/", timeout=10)  # the portal cookie
        answer = portal.get(
            f"{HTTP}/lab/{twin}/cors/me", headers={"Origin": ATTACKER}, timeout=10
        )
        allowed = answer.headers.get("Access-Control-Allow-Origin")
        print(f"{twin}: {answer.status_code}, Access-Control-Allow-Origin: {allowed}")
        expected = (200, ATTACKER) if twin == "insecure" else (403, None)
        if (answer.status_code, allowed) != expected:
            sys.exit(f"unexpected answer from the {twin} portal: {answer.text}")


if __name__ == "__main__":
    main()
