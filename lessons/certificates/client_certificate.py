"""Lesson "Certificates", section 7: a server that asks for your certificate.

Save the lab's CA as safelab-ca.pem next to this script, then run:  python client_certificate.py
Without a client certificate the handshake fails; with the lab's client
certificate and its key (downloaded from safelab), the server answers.
"""

import sys

import requests

APP = "{{app}}"
MTLS = "{{client-certificate}}"
CA = "safelab-ca.pem"


def check(condition: bool, message: str) -> None:
    """Stops with a message when the lab did not answer as the lesson says."""
    if not condition:
        sys.exit(f"unexpected: {message}")


def main() -> None:
    try:
        requests.get(f"{MTLS}/", verify=CA, timeout=10)
        sys.exit("unexpected: the server answered a client without a certificate")
    except requests.exceptions.SSLError as error:
        print("without a client certificate:", str(error)[:100], "…")
    except requests.exceptions.ConnectionError as error:
        print("without a client certificate:", str(error)[:100], "…")

    for name in ("client.pem", "client-key.pem"):
        pem = requests.get(f"{APP}/api/certificates/{name}", timeout=10)
        check(pem.ok and "-----BEGIN" in pem.text, f"{name} downloads")
        with open(name, "w", encoding="utf-8") as file:
            file.write(pem.text)

    answer = requests.get(f"{MTLS}/", cert=("client.pem", "client-key.pem"), verify=CA, timeout=10)
    check(answer.ok, f"the server answers a client with the lab's certificate ({answer.status_code})")
    print("with the lab's client certificate:", answer.status_code, answer.reason)


if __name__ == "__main__":
    main()
