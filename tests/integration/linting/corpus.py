"""Every check bandit and safelab share, with the cases where they could
disagree: aliases, nosec forms, decorators, multi-line strings, f-strings.
Linted by both in tests/integration/linting.rs; never run.
"""
import os
import pickle
import subprocess as sp
from subprocess import Popen, call
import hashlib
import yaml
import requests
import random
import tempfile
from jinja2 import Environment, select_autoescape
import sqlite3
import pickletools
from os import system as run_it
import torch
from flask import Flask

assert x > 0
exec("print(1)")
eval(expr)
os.chmod("/etc/x", 0o777)
os.chmod(path, 0o640)
os.chmod(path, 0o600)
s.bind(("0.0.0.0", 80))
password = "hunter2"
db_password = "x"
self.api_token = "abc"
d = {"password": "p", "user": "u"}
conf["secret"] = "s"
if password == "letmein":
    pass
connect(host="db", passwd="root")
def f(user, password="default"):
    pass
def g(password=None):
    pass
open("/tmp/data.csv")
x = f"/tmp/{name}"
try:
    risky()
except:
    pass
try:
    risky()
except Exception:
    pass
try:
    risky()
except ValueError:
    pass
for i in y:
    try:
        risky()
    except Exception:
        continue
requests.get(url)
requests.get(url, timeout=10)
requests.post(url, timeout=None)
requests.get(url, verify=False, timeout=5)
pickle.loads(data)
pickle.load(fh)
hashlib.md5(b"x")
hashlib.sha1(b"x", usedforsecurity=False)
hashlib.new("md5")
hashlib.new("sha256")
hashlib.sha256(b"x")
tempfile.mktemp()
random.random()
random.choice(items)
yaml.load(text)
yaml.load(text, Loader=yaml.SafeLoader)
yaml.safe_load(text)
sp.call(cmd, shell=True)
sp.call("ls -l", shell=True)
sp.run(["ls", "-l"])
sp.run(["/bin/ls", "-l"])
Popen(cmd, shell=False)
call(f"wc -l {path}", shell=True)
os.system("rm -rf " + path)
os.system("ls")
run_it(cmd)
os.popen(cmd)
cur.execute(f"SELECT * FROM users WHERE name = '{name}'")
cur.execute("SELECT * FROM users WHERE id = %s" % uid)
cur.execute("SELECT * FROM users WHERE id = " + uid)
cur.execute("SELECT * FROM t WHERE a = {}".format(a))
q = "SELECT a FROM t WHERE b = '%s'" % b
cur.execute("SELECT * FROM users WHERE id = ?", (uid,))
q2 = "DELETE FROM t WHERE id=" + str(i) + " AND x=1"
Environment(loader=l)
Environment(loader=l, autoescape=False)
Environment(loader=l, autoescape=True)
Environment(autoescape=select_autoescape())
Environment(autoescape=flag)
torch.load("m.pt")
torch.load("m.pt", weights_only=True)
app = Flask(__name__)
app.run(debug=True)
sp.call(cmd, shell=True)  # nosec
sp.call(cmd, shell=True)  # nosec B602
sp.call(cmd, shell=True)  # nosec B603
sp.call(cmd,
        shell=True)  # nosec B602
"""docstring with password = '0.0.0.0' /tmp"""
__import__("pickle")
import urllib.request
urllib.request.urlopen(url)
import xml.etree.ElementTree as ET
ET.parse(f)

import functools


@functools.lru_cache()
def login(user, token="abc123"):
    return user


class Db:
    @staticmethod
    def connect(pwd="x"):
        sql = """
        SELECT *
        FROM t WHERE a = %s""" % a
        return "/tmp/é" + sql


cfg = {
    "password":
        "x",  # nosec
}
query = ("SELECT name "
         "FROM people WHERE id = " + pid)
msg = f"UPDATE t SET a = {v}"
é = "0.0.0.0"
x = lambda password="p": password
async def h(password="z"):
    pass

import tarfile

with tarfile.open("dataset.tar.gz") as archive:
    archive.extractall("data/")
    archive.extractall("data/", filter="data")
    archive.extractall("data/", members=safe_members(archive))
    archive.extractall("data/", members=picked)
    archive.extractall("data/", members=self.safe(archive))
