#!/usr/bin/env python3
"""Check src/handset/html_versions.toml against its rules.

Standard library only (Python 3.11+ for tomllib). Run from anywhere:

    python3 scripts/check_html_versions.py

Rules:
  * the file is a list of [[version]] tables, each with exactly the keys
    "version" (a string) and "tags" (a table);
  * the versions are exactly 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 7.1, 7.2, in order;
  * a tag name is lower case ([a-z][a-z0-9]*) or "*" (attributes any tag of the
    version may carry); its value is a list of attribute names, each lower case
    ([a-z][a-z0-9-]*), with no duplicates;
  * a version lists only what it adds: it may not list a tag an earlier version
    already has with no new attribute (x = []), nor an attribute the tag already
    has, nor a tag attribute that an earlier or the same version gives every tag
    through "*", nor a "*" attribute that an earlier version already has in "*".

Prints, per version, the cumulative number of tags and of attributes (tag-specific
tag/attribute pairs, plus the attributes every tag may carry); exits 1 and lists
every problem if a rule is broken.
"""

import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TABLE = ROOT / "src" / "handset" / "html_versions.toml"

VERSIONS = ["1.0", "2.0", "3.0", "4.0", "5.0", "6.0", "7.0", "7.1", "7.2"]
TAG_RE = re.compile(r"[a-z][a-z0-9]*")
ATTR_RE = re.compile(r"[a-z][a-z0-9-]*")
GLOBAL = "*"


def check(data):
    """Return (problems, rows); rows = (version, tags, pair attrs, global attrs)."""
    problems = []
    rows = []

    extra = sorted(set(data) - {"version"})
    if extra:
        problems.append(f"unexpected top-level keys: {', '.join(extra)}")
    entries = data.get("version")
    if not isinstance(entries, list):
        problems.append("no [[version]] tables")
        return problems, rows

    seen = [e.get("version") if isinstance(e, dict) else None for e in entries]
    if seen != VERSIONS:
        problems.append(f"versions must be {VERSIONS} in this order, found {seen}")

    tags = {}        # tag -> set of attributes, cumulative
    global_attrs = set()
    for index, entry in enumerate(entries):
        where = f"[[version]] #{index + 1}"
        if not isinstance(entry, dict):
            problems.append(f"{where}: not a table")
            continue
        name = entry.get("version")
        if isinstance(name, str):
            where = f"version {name}"
        else:
            problems.append(f"{where}: 'version' must be a string")
        keys = set(entry)
        if keys != {"version", "tags"}:
            problems.append(f"{where}: keys must be exactly version and tags, found "
                            f"{', '.join(sorted(keys))}")
        added = entry.get("tags", {})
        if not isinstance(added, dict):
            problems.append(f"{where}: 'tags' must be a table")
            added = {}

        # Shape of every entry first.
        clean = {}
        for tag, attrs in added.items():
            if tag != GLOBAL and not TAG_RE.fullmatch(tag):
                problems.append(f"{where}: tag name {tag!r} is not lower case [a-z][a-z0-9]*")
            if not isinstance(attrs, list) or not all(isinstance(a, str) for a in attrs):
                problems.append(f"{where}: {tag} must be a list of strings")
                continue
            for attr in attrs:
                if not ATTR_RE.fullmatch(attr):
                    problems.append(f"{where}: {tag}: attribute {attr!r} is not lower case "
                                    "[a-z][a-z0-9-]*")
            dupes = sorted({a for a in attrs if attrs.count(a) > 1})
            if dupes:
                problems.append(f"{where}: {tag}: listed twice: {', '.join(dupes)}")
            clean[tag] = set(attrs)

        # The "*" entry of this version.
        new_global = clean.pop(GLOBAL, set())
        if GLOBAL in added and not new_global:
            problems.append(f"{where}: '*' with no attribute adds nothing")
        for attr in sorted(new_global & global_attrs):
            problems.append(f"{where}: '*' re-adds {attr}, already on every tag")
        global_attrs |= new_global

        # Per-tag entries.
        for tag in sorted(clean):
            attrs = clean[tag]
            if tag in tags:
                if not attrs:
                    problems.append(f"{where}: {tag} = [] re-adds a tag an earlier "
                                    "version already has")
                for attr in sorted(attrs & tags[tag]):
                    problems.append(f"{where}: {tag}.{attr} is already there from an "
                                    "earlier version")
            for attr in sorted(attrs & global_attrs):
                problems.append(f"{where}: {tag}.{attr} is already on every tag ('*')")
            tags.setdefault(tag, set()).update(attrs)

        pairs = sum(len(a) for a in tags.values())
        rows.append((name, len(tags), pairs, len(global_attrs)))
    return problems, rows


def main():
    try:
        with TABLE.open("rb") as f:
            data = tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError) as err:
        print(f"{TABLE}: {err}")
        return 1

    problems, rows = check(data)
    print(f"{'version':<8} {'tags':>5} {'tag attrs':>10} {'* attrs':>8} {'attrs total':>12}")
    for name, ntags, pairs, nglobal in rows:
        print(f"{name!s:<8} {ntags:>5} {pairs:>10} {nglobal:>8} {pairs + nglobal:>12}")
    if problems:
        print(f"\n{len(problems)} problem(s) in {TABLE.relative_to(ROOT)}:")
        for problem in problems:
            print(f"  - {problem}")
        return 1
    print(f"\nOK: {TABLE.relative_to(ROOT)} has {len(rows)} versions in order.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
