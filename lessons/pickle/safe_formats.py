"""Lesson "Pickles run code", section 4: loading safely.

Save the lab's CA as safelab-ca.pem next to this script, then run:  python safe_formats.py
It uploads model weights to the secure twin two ways it accepts: a pickle of
an OrderedDict (on its allow-list, like a PyTorch state_dict) and a
safetensors file built by hand; and checks that a broken pickle gets a 400.
"""

import collections
import json
import pickle
import struct
import sys

import requests

HTTPS = "{{https}}"
CA = "safelab-ca.pem"
MODELS = f"{HTTPS}/lab/secure/models"


def check(condition: bool, message: str) -> None:
    """Stops with a message when the lab did not answer as the lesson says."""
    if not condition:
        sys.exit(f"unexpected: {message}")


def safetensors(tensors: dict) -> bytes:
    """A safetensors file of float32 vectors: length, JSON header, raw numbers."""
    header, raw = {}, b""
    for name, values in tensors.items():
        data = struct.pack(f"<{len(values)}f", *values)
        header[name] = {"dtype": "F32", "shape": [len(values)], "data_offsets": [len(raw), len(raw) + len(data)]}
        raw += data
    encoded = json.dumps(header).encode()
    return struct.pack("<Q", len(encoded)) + encoded + raw


def main() -> None:
    # secure-loads-weights
    state = collections.OrderedDict(layer1=[0.25, -0.5, 1.0], bias=[0.1])
    loaded = requests.post(MODELS, data=pickle.dumps(state), verify=CA, timeout=10)
    check(loaded.status_code == 200, f"the allow-listed pickle got {loaded.status_code}: {loaded.text}")
    print("pickle through the allow-list:", loaded.json()["model"])

    # safe-format
    loaded = requests.post(MODELS, data=safetensors({"weights": [0.25, -0.5, 1.0, 0.1]}), verify=CA, timeout=10)
    check(loaded.status_code == 200, f"safetensors got {loaded.status_code}: {loaded.text}")
    check(loaded.json()["format"] == "safetensors", f"answer: {loaded.json()}")
    print("safetensors:", loaded.json()["tensors"])

    broken = requests.post(MODELS, data=pickle.dumps(state)[:-3], verify=CA, timeout=10)
    check(broken.status_code == 400, f"a broken pickle got {broken.status_code}")
    print("a broken pickle:", broken.json()["error"])


if __name__ == "__main__":
    main()
