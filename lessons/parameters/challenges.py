"""Lesson "Query parameters": every challenge, solved from Python.

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
INSECURE = f"{HTTP}/lab/insecure/dataset"
SECURE = f"{HTTPS}/lab/secure/dataset"


def check(condition: bool, message: str) -> None:
    """Stops with a message when the lab did not answer as the lesson says."""
    if not condition:
        sys.exit(f"unexpected: {message}")


def main() -> None:
    # A slice, the ordinary way: requests encodes the parameters.
    sliced = requests.get(
        INSECURE,
        params={"year": 2021, "region": "North", "columns": "year,region,diagnosis", "limit": 3},
        timeout=10,
    )
    check(sliced.status_code == 200, f"a good slice answered {sliced.status_code}")
    print("a slice:", sliced.json()["rows"])

    # leak-internals: a year that is not a number crashes the insecure twin.
    leaked = requests.get(INSECURE, params={"year": "abc"}, timeout=10)
    check(leaked.status_code == 500, f"year=abc answered {leaked.status_code}, not 500")
    check("Traceback" in leaked.text, "the 500 shows no traceback")
    print("leak-internals:", leaked.status_code)
    for line in leaked.text.splitlines():
        if line.startswith("psycopg2") or line.strip().startswith("sql"):
            print("   ", line)

    # confidential-column: the column its own description calls confidential.
    described = requests.get(f"{INSECURE}/columns", timeout=10).json()
    confidential = [
        column["name"]
        for column in described["columns"]
        if "confidential" in column["description"].lower()
    ]
    check(confidential == ["national_id"], f"the confidential columns are {confidential}")
    served = requests.get(
        INSECURE, params={"columns": "record_id,national_id", "limit": 3}, timeout=10
    ).json()
    check("national_id" in served["columns"], f"columns served: {served['columns']}")
    print("confidential-column:", served["rows"])

    # dump-table: no cap on limit, so one answer holds every row.
    dumped = requests.get(INSECURE, params={"limit": 100000}, timeout=10).json()
    check(
        dumped["returned"] == dumped["matched"] == 3000,
        f"limit=100000 returned {dumped['returned']} of {dumped['matched']} rows",
    )
    print("dump-table:", dumped["returned"], "rows in one answer")

    # secure-refuses: the same parameters, refused by the secure twin with a 400.
    for params in [{"year": "abc"}, {"columns": "record_id,national_id"}, {"limit": 100000}]:
        refused = requests.get(SECURE, params=params, timeout=10, verify=CA)
        check(refused.status_code == 400, f"the secure twin answered {params} with {refused.status_code}")
        error = refused.json()
        check("FAKE-" not in refused.text, "the secure twin served the confidential column")
        print("secure-refuses:", error["parameter"], "| expected", error["expected"], "| received", error["received"])


if __name__ == "__main__":
    main()
