"""Lesson "Secrets in version control": rotate the leaked storage key, then
watch the old key fail and the new one work.

Run:  python rotation.py   (needs git on the PATH)
"""

import re
import subprocess
import sys
import tempfile

import requests

HTTP = "{{http}}"
BUCKET = f"{HTTP}/lab/storage/survey-responses/responses.csv"


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
    old = leaked_key()
    rotated = requests.post(f"{HTTP}/lab/storage/keys/rotate", auth=old, timeout=10)
    print("rotate:", rotated.status_code, rotated.json().get("message", rotated.text))
    if rotated.status_code != 200:
        sys.exit("the rotation was refused")
    new = (rotated.json()["access_key_id"], rotated.json()["secret_access_key"])
    before = requests.get(BUCKET, auth=old, timeout=10)
    after = requests.get(BUCKET, auth=new, timeout=10)
    print("old key:", before.status_code, before.json()["error"])
    print("new key:", after.status_code)
    if (before.status_code, after.status_code) != (403, 200):
        sys.exit("the old key should be refused and the new one accepted")


if __name__ == "__main__":
    main()
