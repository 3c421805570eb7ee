"""Lesson "Secure coding tools", challenge gate-accepts-fix: send the fixed
report script to the secure review gate, then watch the file-name attack
fail against the pipeline that runs it.

Run it with safelab running:  python fix.py
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
    accepted = requests.post(f"{SECURE}/merge", data=FIXED.encode(), timeout=10)
    check(accepted.status_code == 200, f"the fixed script got {accepted.status_code}: {accepted.text}")
    print("merged:", accepted.json()["review"])

    run = requests.post(
        f"{SECURE}/run",
        params={"file": "data.csv; cat credentials.env"},
        timeout=10,
    )
    check(run.status_code == 200, f"the run answered {run.status_code}")
    output = run.json()["output"]
    print(output)
    check("WAREHOUSE_PASSWORD" not in output, "the attack still worked")


if __name__ == "__main__":
    main()
