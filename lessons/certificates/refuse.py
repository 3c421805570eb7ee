"""Lesson "Certificates", section 3: Python refuses what it should.

Save the lab's CA as safelab-ca.pem next to this script, then run:  python refuse.py
Trusting the lab's CA, Python accepts the HTTPS lab and refuses the self-signed
and the expired listeners, each with OpenSSL's name for the check that failed.
The listeners see the alert Python sends when it hangs up.
"""

import sys

import requests

HTTPS = "{{https}}"
SELF_SIGNED = "{{self-signed}}"
EXPIRED = "{{expired}}"
CA = "safelab-ca.pem"


def check(condition: bool, message: str) -> None:
    """Stops with a message when the lab did not answer as the lesson says."""
    if not condition:
        sys.exit(f"unexpected: {message}")


def refusal(url: str) -> str:
    """The error Python raises for `url`, trusting the lab's CA."""
    try:
        requests.get(url, verify=CA, timeout=10)
    except requests.exceptions.SSLError as error:
        return str(error)
    sys.exit(f"unexpected: Python accepted {url}")


def main() -> None:
    answer = requests.get(f"{HTTPS}/lab/hello", verify=CA, timeout=10)
    check(answer.ok, "the HTTPS lab verifies with the lab's CA")
    print("HTTPS lab:   accepted")

    self_signed = refusal(f"{SELF_SIGNED}/")
    check("self-signed certificate" in self_signed, f"the reason is named: {self_signed}")
    print("self-signed: refused, certificate verify failed: self-signed certificate")

    expired = refusal(f"{EXPIRED}/")
    check("certificate has expired" in expired, f"the reason is named: {expired}")
    print("expired:     refused, certificate verify failed: certificate has expired")


if __name__ == "__main__":
    main()
