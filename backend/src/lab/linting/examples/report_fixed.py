"""Nightly report of the lab's data pipeline: counts the rows of a data file
and records the count in the runs database. The reviewed version: no shell,
no SQL built from strings.
"""

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
