"""Lesson "How the web works": every challenge, solved from Python.

Save the lab's CA as safelab-ca.pem next to this script (the app's "Download the
lab's CA"), then run:  python challenges.py
Each step prints what the server answered; the lab marks each challenge solved
the moment it sees it done.
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
    # A header of your own: the echo shows it, spelt as sent.
    echo = requests.get(f"{HTTP}/lab/headers", headers={"X-Project": "admissions"}, timeout=10)
    names = [name for name, _ in echo.json()["headers"]]
    check("X-Project" in names, f"the echo lacks X-Project: {names}")
    print("custom-header: the server received", ", ".join(names))

    # JSON rather than the page for people, by Accept.
    admissions = requests.get(
        f"{HTTP}/lab/admissions", headers={"Accept": "application/json"}, timeout=10
    )
    check(
        admissions.headers["Content-Type"] == "application/json",
        f"asked for JSON, got {admissions.headers['Content-Type']}",
    )
    print("ask-for-json:", len(admissions.json()["rows"]), "rows as JSON")

    # A compressed answer: requests asks for gzip by itself and unpacks it.
    data = requests.get(f"{HTTP}/lab/data.json", timeout=10)
    check(
        data.headers.get("Content-Encoding") == "gzip",
        f"the data did not travel compressed: {dict(data.headers)}",
    )
    print("compressed: Content-Encoding", data.headers["Content-Encoding"], "->", data.json()["columns"])

    # HTTPS, verified against the lab's CA (never verify=False).
    hello = requests.get(f"{HTTPS}/lab/hello", verify=CA, timeout=10)
    check(hello.status_code == 200, f"HTTPS answered {hello.status_code}")
    print("https-from-python:", hello.status_code, hello.text.strip())


if __name__ == "__main__":
    main()
