"""A file a security lint flags, where a reviewer would say "fine": each
finding here is a false positive, and the comment says why.
"""

import hashlib
import random
import subprocess

# Sampling rows for a train/test split is not cryptography (B311).
random.seed(42)
sample = random.sample(range(1000), 100)

# An MD5 of a file name as a cache key: not a password, not a signature (B324).
cache_key = hashlib.md5(b"sales_2024.csv").hexdigest()

# A placeholder that is no secret at all (B105).
password = ""

# Our own fixed command, no data in it (B603, B607; B404 above).
subprocess.run(["git", "rev-parse", "HEAD"], check=True)


def best_model(n):
    # A log message that only looks like SQL (B608).
    return f"select the best model from {n} candidates"


def test_split():
    # In a test, assert is what pytest expects (B101).
    assert len(sample) == 100
