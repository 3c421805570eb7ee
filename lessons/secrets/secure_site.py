"""Lesson "Secrets in version control": the insecure site hands out its .git
folder, the secure twin answers 404 for it (and any dotfile) while its pages
still load.

Run:  python secure_site.py
"""

import sys

import requests

HTTP = "{{http}}"


def main() -> None:
    for twin in ("insecure", "secure"):
        for path in ("", ".git/HEAD", ".git/config", "%2egit/HEAD"):
            answer = requests.get(f"{HTTP}/lab/{twin}/secrets/{path}", timeout=10)
            print(f"{twin:8} /{path}: {answer.status_code}")
            if path == "":
                if answer.status_code != 200:
                    sys.exit(f"the {twin} site's page should load")
                continue
            exposed = answer.status_code == 200
            if exposed != (twin == "insecure"):
                sys.exit(f"unexpected answer from the {twin} site for /{path}")


if __name__ == "__main__":
    main()
