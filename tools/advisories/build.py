"""Builds the dependency check's bundled advisory snapshot (lesson 10).

Reads the PyPA advisory database in the OSV format, from a checkout's folder
(`vulns/**/*.yaml`), from any folder of OSV `.json` or `.yaml` files, or from a
zip of OSV `.json` files (an OSV export), and writes the compact snapshot that
`safelab_tools::packages` embeds: one JSON header line, then one line per
advisory with every fact the tool shows (id, aliases, package, ranges, listed
versions, summary, published and modified dates) and the attribution. The same
input gives the same bytes, so a rebuild can be compared with the committed file.

    python tools/advisories/build.py SOURCE [--out FILE] [--revision R] [--date D]
        [--source-name NAME] [--license TEXT]

Needs PyYAML for YAML input. See README.md beside this script.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import zipfile

SOURCE_NAME = "PyPA advisory database"
LICENSE = (
    "CC-BY 4.0: advisories from the PyPA advisory database "
    "(github.com/pypa/advisory-database), in the OSV format"
)
# The summary the tool shows: the advisory's own, or the first sentence of its
# details, cut to this many characters.
SUMMARY_CHARS = 240
DEFAULT_OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pypa.jsonl")


def normalise(name):
    """A package name as PEP 503 compares them: `PyYAML` is `pyyaml`."""
    return re.sub(r"[-_.]+", "-", name).lower()


def read_yaml(text, where):
    try:
        import yaml
    except ImportError:
        sys.exit(f"build.py: {where} is YAML: install PyYAML (pip install PyYAML) and run again")
    loader = getattr(yaml, "CBaseLoader", yaml.BaseLoader)
    # BaseLoader keeps every scalar a string: `5.10` stays "5.10", not 5.1.
    return yaml.load(text, Loader=loader)


def documents(source):
    """Every (name, advisory) in `source`, a folder or a zip."""
    if os.path.isfile(source) and zipfile.is_zipfile(source):
        with zipfile.ZipFile(source) as archive:
            for name in sorted(archive.namelist()):
                if name.endswith(".json"):
                    yield name, json.loads(archive.read(name))
        return
    if not os.path.isdir(source):
        sys.exit(f"build.py: {source} is neither a folder nor a zip of OSV .json files")
    for folder, dirs, files in os.walk(source):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            path = os.path.join(folder, name)
            if name.endswith(".json"):
                with open(path, encoding="utf-8") as file:
                    yield path, json.load(file)
            elif name.endswith((".yaml", ".yml")):
                with open(path, encoding="utf-8") as file:
                    yield path, read_yaml(file.read(), path)


def summary(advisory):
    text = (advisory.get("summary") or "").strip()
    if not text:
        details = " ".join((advisory.get("details") or "").split())
        # Whole sentences while they fit: the first alone often only names
        # the project ("Zope is an open-source web application server.").
        sentences = re.findall(r".+?[.!?](?=\s+[A-Z(`]|$)|.+$", details)
        text = ""
        for sentence in sentences:
            joined = f"{text} {sentence.strip()}".strip()
            if text and len(joined) > SUMMARY_CHARS:
                break
            text = joined
    text = " ".join(text.split())
    if len(text) > SUMMARY_CHARS:
        text = text[: SUMMARY_CHARS - 1].rstrip() + "…"
    return text


def affected(advisory):
    """The advisory's PyPI packages: name, ECOSYSTEM ranges, listed versions."""
    out = []
    for entry in advisory.get("affected") or []:
        package = entry.get("package") or {}
        if package.get("ecosystem") != "PyPI" or not package.get("name"):
            continue
        ranges = []
        for found in entry.get("ranges") or []:
            if found.get("type") != "ECOSYSTEM":
                continue  # GIT ranges name commits; the listed versions cover them
            events = []
            for event in found.get("events") or []:
                for kind in ("introduced", "fixed", "last_affected", "limit"):
                    if kind in event:
                        events.append({kind: str(event[kind])})
            if events:
                ranges.append(events)
        versions = [str(version) for version in entry.get("versions") or []]
        if ranges or versions:
            out.append({"package": normalise(package["name"]), "ranges": ranges, "versions": versions})
    return out


def advisories(source):
    kept = {}
    skipped = 0
    for where, advisory in documents(source):
        if not isinstance(advisory, dict) or "id" not in advisory:
            sys.exit(f"build.py: {where} is not an OSV advisory (no id)")
        if advisory.get("withdrawn"):
            skipped += 1
            continue
        packages = affected(advisory)
        if not packages:
            continue
        kept[advisory["id"]] = {
            "id": advisory["id"],
            "aliases": sorted(set(advisory.get("aliases") or [])),
            "summary": summary(advisory),
            "published": str(advisory.get("published") or "")[:10],
            "modified": str(advisory.get("modified") or "")[:10],
            "affected": packages,
        }
    # An OSV export holds both a PYSEC advisory and the GHSA one it names as
    # an alias: keep one of each pair, the PyPA one, so a hit is not shown twice.
    seen = set()
    out = []
    for advisory in sorted(kept.values(), key=lambda a: (not a["id"].startswith("PYSEC-"), a["id"])):
        names = {(p["package"], a) for p in advisory["affected"] for a in [advisory["id"], *advisory["aliases"]]}
        if any((p["package"], advisory["id"]) in seen for p in advisory["affected"]):
            skipped += 1
            continue
        seen |= names
        out.append(advisory)
    out.sort(key=lambda a: (a["affected"][0]["package"], a["id"]))
    return out, skipped


def provenance(source, found):
    """The source's revision and date: from its SOURCE.md, its git checkout,
    or (an export) its file name and the newest advisory's date."""
    folder = source if os.path.isdir(source) else os.path.dirname(source)
    for candidate in (folder, os.path.dirname(os.path.abspath(folder))):
        note = os.path.join(candidate, "SOURCE.md")
        if os.path.isfile(note):
            with open(note, encoding="utf-8") as file:
                match = re.search(r"commit\s+([0-9a-f]{7,40})\s+of\s+(\d{4}-\d{2}-\d{2})", " ".join(file.read().split()))
            if match:
                return match.group(1), match.group(2)
    newest = max((a["modified"] for a in found), default="")
    try:
        revision = subprocess.run(
            ["git", "-C", folder, "rev-parse", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        date = subprocess.run(
            ["git", "-C", folder, "log", "-1", "--format=%cs"], capture_output=True, text=True, check=True
        ).stdout.strip()
        return revision, date or newest
    except (OSError, subprocess.CalledProcessError):
        return os.path.basename(os.path.normpath(source)), newest


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", help="a PyPA advisory-database checkout (or its vulns/ folder), a folder of OSV files, or a zip of OSV .json")
    parser.add_argument("--out", default=DEFAULT_OUT, help="where to write the snapshot (default: pypa.jsonl beside this script)")
    parser.add_argument("--revision", help="the source's commit or export name (default: found from the source)")
    parser.add_argument("--date", help="the date of the source, YYYY-MM-DD (default: found from the source)")
    parser.add_argument("--source-name", default=SOURCE_NAME, help=f"who the data is from (default: {SOURCE_NAME})")
    parser.add_argument("--license", default=LICENSE, help="the licence and attribution line (default: the PyPA database's)")
    args = parser.parse_args()
    if not os.path.exists(args.source):
        sys.exit(f"build.py: {args.source} does not exist: point it at a PyPA advisory-database checkout or an OSV export")
    source = args.source
    if os.path.isdir(os.path.join(source, "vulns")):
        source = os.path.join(source, "vulns")
    found, skipped = advisories(source)
    if not found:
        sys.exit(f"build.py: no PyPI advisory found in {args.source}")
    revision, date = provenance(source, found)
    header = {
        "source": args.source_name,
        "revision": args.revision or revision,
        "date": args.date or date,
        "license": args.license,
        "advisories": len(found),
        "packages": len({p["package"] for a in found for p in a["affected"]}),
    }
    lines = [json.dumps(header, ensure_ascii=False, separators=(",", ":"))]
    lines += [json.dumps(a, ensure_ascii=False, separators=(",", ":")) for a in found]
    with open(args.out, "w", encoding="utf-8", newline="\n") as file:
        file.write("\n".join(lines) + "\n")
    print(f"{args.out}: {len(found)} advisories on {header['packages']} packages ({skipped} withdrawn or duplicate left out), {header['revision']} of {header['date']}")


if __name__ == "__main__":
    main()
