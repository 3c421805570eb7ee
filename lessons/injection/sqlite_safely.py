"""Lesson "SQL injection": the same attacks on your own SQLite, in memory.

Runs anywhere with Python's standard library: python sqlite_safely.py
The f-string query is injectable; the query with ? placeholders is not.
"""

import hashlib
import sqlite3
import sys

db = sqlite3.connect(":memory:")
db.executescript(
    """
    CREATE TABLE patients (id INTEGER PRIMARY KEY, last_name TEXT, diagnosis TEXT);
    INSERT INTO patients (last_name, diagnosis) VALUES
        ('Garcia', 'Asthma'), ('O''Brien', 'Hypertension'), ('Chen', 'Back pain');
    CREATE TABLE staff (id INTEGER PRIMARY KEY, username TEXT, password_hash TEXT);
    """
)
db.execute(
    "INSERT INTO staff (username, password_hash) VALUES (?, ?)",
    ("admin", hashlib.sha256(b"a secret nobody knows").hexdigest()),
)


def search_unsafe(name):
    return db.execute(f"SELECT last_name, diagnosis FROM patients WHERE last_name = '{name}'").fetchall()


def search_safe(name):
    return db.execute("SELECT last_name, diagnosis FROM patients WHERE last_name = ?", (name,)).fetchall()


def login_unsafe(username, password):
    digest = hashlib.sha256(password.encode()).hexdigest()
    sql = f"SELECT username FROM staff WHERE username = '{username}' AND password_hash = '{digest}'"
    return db.execute(sql).fetchone()


def login_safe(username, password):
    digest = hashlib.sha256(password.encode()).hexdigest()
    sql = "SELECT username FROM staff WHERE username = ? AND password_hash = ?"
    return db.execute(sql, (username, digest)).fetchone()


def check(condition, message):
    if not condition:
        sys.exit(f"unexpected: {message}")


# The error leak: a quote ends the string.
try:
    search_unsafe("O'Brien")
    check(False, "O'Brien did not break the f-string query")
except sqlite3.OperationalError as error:
    print("f-string, O'Brien:", error)
print("?, O'Brien:", search_safe("O'Brien"))

# Boolean: every row.
check(len(search_unsafe("' OR '1'='1")) == 3, "' OR '1'='1 did not return every row")
check(search_safe("' OR '1'='1") == [], "the bound query matched ' OR '1'='1")
print("f-string, ' OR '1'='1:", search_unsafe("' OR '1'='1"))

# Login without a password.
check(login_unsafe("admin'--", "wrong") == ("admin",), "admin'-- did not log in")
check(login_safe("admin'--", "wrong") is None, "the bound login let admin'-- in")
print("f-string login as admin'--:", login_unsafe("admin'--", "wrong"), "| ? login:", login_safe("admin'--", "wrong"))

# UNION: another table.
union = "' UNION SELECT username, password_hash FROM staff --"
check(any(row[0] == "admin" for row in search_unsafe(union)), "the union did not read staff")
check(search_safe(union) == [], "the bound query read staff")
print("f-string UNION:", search_unsafe(union))
print("every attack worked on the f-string and failed on the ? placeholders")
