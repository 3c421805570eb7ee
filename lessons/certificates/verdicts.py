"""Lesson "Certificates", section 2: every broken listener, through safelab's inspector.

Run:  python verdicts.py
Asks safelab's inspector (the app's API, as the request builder does) to send
GET / to each of the lab's broken HTTPS listeners, and prints which check
failed, on which certificate, and what Python, curl and Chromium say about it.
"""

import sys

import requests

APP = "{{app}}"


def check(condition: bool, message: str) -> None:
    """Stops with a message when the lab did not answer as the lesson says."""
    if not condition:
        sys.exit(f"unexpected: {message}")


def main() -> None:
    lab = requests.get(f"{APP}/api/lab", timeout=10).json()
    broken = lab["certificates"]
    check(len(broken) >= 9, "the lab lists its broken listeners")
    for listener in broken:
        request = {
            "method": "GET",
            "url": listener["url"] + "/",
            # The client-certificate listener wants one: the inspector shows the lab's.
            "client_certificate": listener["check"] is None,
        }
        answer = requests.post(f"{APP}/api/exchange", json=request, timeout=30)
        check(answer.ok, f"{listener['id']}: the inspector answers ({answer.text})")
        tls = answer.json()["tls"]
        print(f"{listener['id']:<20} {listener['url']}")
        if listener["check"] is None:
            check(tls["verified"], f"{listener['id']}: its certificate is good")
            print("    verified: the server asked for a client certificate, and got one")
            continue
        failure = tls["failure"]
        check(failure is not None, f"{listener['id']}: verification fails")
        check(failure["check"] == listener["check"], f"{listener['id']}: the check is named")
        marked = failure["certificate"]
        subject = tls["chain"][marked]["subject"] if marked is not None else "the whole chain"
        print(f"    failed check: {failure['check']} ({failure['library_name']})")
        print(f"    on:           {subject}")
        print(f"    meaning:      {failure['explanation']}")
        for refusal in listener["refusals"]:
            print(f"    {refusal['client']:<16} {refusal['text']}")


if __name__ == "__main__":
    main()
