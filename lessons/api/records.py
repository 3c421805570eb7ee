"""Lesson "API security", section 1 to 3: the lab results API from Python.

Save the lab's CA as safelab-ca.pem next to this script (the app's "Download the
lab's CA"), then run:  python records.py
It reads what the insecure API over-shares, enumerates other people's records,
shows the secure twin refusing the same requests, and meets its rate limit.
"""

import sys
import time

import requests

HTTP = "{{http}}"
HTTPS = "{{https}}"
CA = "safelab-ca.pem"
KEY = "lab-sam-7d1f0c9e4a6b2d58e3c1a0f9b7642e5d"
CONFIDENTIAL = ["national_id", "date_of_birth", "address", "clinician_note"]


def check(condition: bool, message: str) -> None:
    """Stops with a message when the lab did not answer as the lesson says."""
    if not condition:
        sys.exit(f"unexpected: {message}")


def insecure() -> None:
    # over-sharing: the app shows test and result; the API sends the whole row.
    mine = requests.get(f"{HTTP}/lab/insecure/records", params={"user": "sam"}, timeout=10).json()
    ids = [entry["id"] for entry in mine["records"]]
    check(ids == [1, 13, 25, 37, 49], f"Sam's ids are {ids}")
    record = requests.get(f"{HTTP}/lab/insecure/records/{ids[0]}", timeout=10).json()
    check(all(field in record for field in CONFIDENTIAL), f"record 1 holds {sorted(record)}")
    print("over-sharing:", {field: record[field] for field in CONFIDENTIAL})

    # enumerate-records: the ids count, and nothing asks who is calling.
    others = []
    for number in range(1, 100):
        response = requests.get(f"{HTTP}/lab/insecure/records/{number}", timeout=10)
        if response.status_code == 404:
            break
        check(response.status_code == 200, f"record {number} answered {response.status_code}")
        check("RateLimit-Limit" not in response.headers, "the insecure twin sent rate-limit headers")
        if response.json()["owner"] != "sam":
            others.append(response.json())
    check(len(others) == 55, f"read {len(others)} other people's records")
    print("enumerate-records:", len(others), "other people's records, e.g.", others[0]["name"], others[0]["national_id"])


def secure() -> None:
    key = {"Authorization": f"Bearer {KEY}"}

    def get(url: str, **options) -> requests.Response:
        # verify= on each call: REQUESTS_CA_BUNDLE would win over a session's.
        return requests.get(url, headers=key, verify=CA, timeout=10, **options)

    def get_politely(url: str, **options) -> requests.Response:
        # Run again within a minute of the 429 below, the limit still holds:
        # wait as long as Retry-After says, once.
        response = get(url, **options)
        if response.status_code == 429:
            print("rate-limited from an earlier run: waiting", response.headers["Retry-After"], "seconds")
            time.sleep(int(response.headers["Retry-After"]))
            response = get(url, **options)
        return response

    # A key over plain HTTP is refused, with the HTTPS address to use.
    over_http = requests.get(f"{HTTP}/lab/secure/records", headers=key, timeout=10)
    check(over_http.status_code == 403, f"a key over plain HTTP answered {over_http.status_code}")
    check(HTTPS in over_http.json()["error"], f"the refusal says {over_http.json()['error']}")
    print("secure, key over plain HTTP:", over_http.json()["error"])

    mine = get_politely(f"{HTTPS}/lab/secure/records")
    check(mine.status_code == 200, f"the list answered {mine.status_code}")
    check(mine.headers["RateLimit-Policy"] == "10;w=60", f"policy {mine.headers.get('RateLimit-Policy')}")
    ids = [entry["id"] for entry in mine.json()["records"]]
    check(len(ids) == 5 and all(len(i) == 32 for i in ids), f"Sam's secure ids are {ids}")
    record = get(f"{HTTPS}/lab/secure/records/{ids[0]}").json()
    check(sorted(record) == ["id", "result", "test"], f"a minimised record holds {sorted(record)}")
    print("secure, minimised:", record)

    refused = get(f"{HTTPS}/lab/secure/records/{ids[0]}", params={"fields": "test,national_id"})
    check(refused.status_code == 400, f"fields=national_id answered {refused.status_code}")
    for attempt in ["1", "2", "a59c3d0f6f206a269b0c2e88f4b5f7c8"]:
        response = get(f"{HTTPS}/lab/secure/records/{attempt}")
        check(response.status_code == 404, f"record {attempt} answered {response.status_code}")
    anonymous = requests.get(f"{HTTPS}/lab/secure/records/{ids[0]}", verify=CA, timeout=10)
    check(anonymous.status_code == 401, f"no key answered {anonymous.status_code}")
    print("secure: 404 for other people's records and sequential ids, 401 without a key")

    # rate-limited: 10 requests a minute per key, then 429 with Retry-After.
    for attempt in range(20):
        response = get(f"{HTTPS}/lab/secure/records")
        if response.status_code == 429:
            check(int(response.headers["Retry-After"]) > 0, "no Retry-After")
            check(response.headers["RateLimit-Remaining"] == "0", "requests left after a 429")
            print("rate-limited: 429 after", attempt, "more requests; Retry-After", response.headers["Retry-After"])
            return
    sys.exit("unexpected: 20 requests and no 429")


if __name__ == "__main__":
    insecure()
    secure()
