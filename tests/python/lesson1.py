"""Lesson 1's exercises, run with real `requests` against a running safelab.

Usage: python lesson1.py HTTP_BASE HTTPS_BASE CA_PEM
Prints one JSON object with what each exercise observed.
"""

import json
import sys

import requests


def main() -> None:
    http_base, https_base, ca_pem = sys.argv[1:4]
    observed = {}

    # A first request, over plain HTTP.
    response = requests.get(f"{http_base}/lab/hello", timeout=10)
    observed["hello"] = {
        "status": response.status_code,
        "content_type": response.headers["Content-Type"],
        "text": response.text,
    }

    # HTTPS, trusting safelab's CA: the right way.
    response = requests.get(f"{https_base}/lab/data.json", verify=ca_pem, timeout=10)
    observed["verified"] = {"status": response.status_code, "columns": response.json()["columns"]}

    # HTTPS with Python's default trust store: refused, as it should be.
    try:
        requests.get(f"{https_base}/lab/hello", timeout=10)
        observed["default_trust"] = {"error": None}
    except requests.exceptions.SSLError as error:
        observed["default_trust"] = {"error": "SSLError", "message": str(error)}

    print(json.dumps(observed))


if __name__ == "__main__":
    main()
