"""Lesson "Secure coding tools", challenges gate-refuses and gate-accepts-fix:
send the report script to the secure review gate, read why it refuses, send
the fixed script, and watch the same file-name attack fail.

Run it with safelab running:  python gate.py
"""

import sys

import requests

HTTP = "{{http}}"
SECURE = f"{HTTP}/lab/secure/linting"

FIXED = '''"""Nightly report: counts a data file's rows, records the count."""

import sqlite3
import sys


def count_lines(path):
    with open(path, encoding="utf-8") as data:
        return sum(1 for _ in data)


def save(db, path, rows):
    db.execute("INSERT INTO runs (file, rows) VALUES (?, ?)", (path, rows))


def main():
    path = sys.argv[1]
    db = sqlite3.connect("runs.db")
    save(db, path, count_lines(path))
    db.commit()


if __name__ == "__main__":
    main()
'''


def check(condition: bool, message: str) -> None:
    """Stops with a message when the lab did not answer as the lesson says."""
    if not condition:
        sys.exit(f"unexpected: {message}")


def main() -> None:
    script = requests.get(f"{SECURE}/script", timeout=10).text

    refused = requests.post(f"{SECURE}/merge", data=script.encode(), timeout=10)
    check(refused.status_code == 422, f"the gate answered {refused.status_code}")
    findings = refused.json()["findings"]
    for finding in findings:
        print(f"line {finding['line']}: {finding['check']} [{finding['severity']}] {finding['message']}")
    check({"B602", "B608"} <= {f["check"] for f in findings}, "the gate missed a flaw")

    accepted = requests.post(f"{SECURE}/merge", data=FIXED.encode(), timeout=10)
    check(accepted.status_code == 200, f"the fixed script got {accepted.status_code}: {accepted.text}")
    print("merged:", accepted.json()["review"])

    run = requests.post(
        f"{SECURE}/run",
        params={"file": "data.csv; cat credentials.env"},
        timeout=10,
    )
    output = run.json()["output"]
    print(output)
    check("WAREHOUSE_PASSWORD" not in output, "the attack still worked")


if __name__ == "__main__":
    main()
