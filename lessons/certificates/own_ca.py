"""Lesson "Certificates", section 6: your own certificate authority.

Run:  python own_ca.py
Does the lesson's five steps through safelab's API (the same the app's
"Your own CA" tool calls): creates a CA, a key and CSR for localhost, signs
it, starts a listener with that certificate, saves the CA as myca.pem, and
verifies the listener with requests.get(url, verify="myca.pem"). Without
verify=, Python refuses it: your CA is in no trust store but the one you give.
Each run adds a CA; safelab keeps four at most (reset the lesson to start again).
"""

import sys

import requests

OWN = "{{app}}/api/certificates/own"


def check(condition: bool, message: str) -> None:
    """Stops with a message when the lab did not answer as the lesson says."""
    if not condition:
        sys.exit(f"unexpected: {message}")


def post(path: str, body: dict) -> dict:
    """One step through safelab's API; stops with safelab's own message on a refusal."""
    answer = requests.post(f"{OWN}{path}", json=body, timeout=30)
    check(answer.ok, f"{path} was refused: {answer.status_code} {answer.text}")
    return answer.json()


def main() -> None:
    ca = post("/cas", {"name": "My lab CA", "key_type": "ecdsa_p256", "valid_days": 30})
    print("1. CA:         ", ca["name"])
    key = post(
        "/keys",
        {
            "common_name": "localhost",
            "names": ["localhost", "127.0.0.1"],
            "is_ca": False,
            "key_usage": ["digital_signature"],
            "purpose": "server_auth",
            "key_type": "ecdsa_p256",
        },
    )
    print("2. CSR:        ", key["csr_pem"].splitlines()[0])
    certificate = post("/certificates", {"ca": ca["id"], "csr_pem": key["csr_pem"], "valid_days": 30})
    print("3. signed:     ", ", ".join(certificate["names"]), "by", certificate["signed_by_name"])
    listener = post("/listeners", {"certificate": certificate["id"]})
    print("4. listening:  ", listener["url"])

    with open("myca.pem", "w", encoding="utf-8") as file:
        file.write(ca["pem"])
    answer = requests.get(f"{listener['url']}/", verify="myca.pem", timeout=10)
    check(answer.ok, f"the listener answers a client that trusts myca.pem ({answer.status_code})")
    print("5. verified:   ", answer.status_code, "with verify='myca.pem'")

    try:
        requests.get(f"{listener['url']}/", timeout=10)
        sys.exit("unexpected: Python's default trust store accepted your private CA")
    except requests.exceptions.SSLError as error:
        check("unable to get local issuer certificate" in str(error), f"the reason is named: {error}")
        print("   default trust store: refused, unable to get local issuer certificate")


if __name__ == "__main__":
    main()
