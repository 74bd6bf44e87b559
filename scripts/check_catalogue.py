#!/usr/bin/env python3
"""Check menus/handsets.toml and src/handset/pictograms.tsv against their rules.

Standard library only (Python 3.11+ for tomllib). Run from anywhere:

    python3 scripts/check_catalogue.py

Prints counts; exits 1 and lists every problem if a rule is broken.
"""

import re
import sys
import tomllib
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HANDSETS = ROOT / "menus" / "handsets.toml"
PICTOGRAMS = ROOT / "src" / "handset" / "pictograms.tsv"

KEYS = ["model", "user_agent", "cache_kb", "width", "height", "html_version",
        "browser", "cookies", "utn", "pictograms"]
HTML_VERSIONS = ["1.0", "2.0", "3.0", "4.0", "5.0", "6.0", "7.0", "7.1", "7.2"]

# The models the simulator already ships, with the User-Agents they must keep.
SHIPPED = {
    "P501i": "DoCoMo/1.0/P501i",
    "P503i": "DoCoMo/1.0/P503i/c10",
    "N505i": "DoCoMo/1.0/N505i/c20/TB/W20H10",
    "P903i": "DoCoMo/2.0 P903i(c100;TB;W24H12)",
    "P-07B": "DoCoMo/2.0 P07B(c500;TB;W24H16)",
}

# 2009 i-mode browser 2.0 models whose UA model carries a trailing "3"
# (HTTP-MobileAgent bin/makedocomomap; docomo's UA list): for these the UA
# model is the model without its hyphen plus "3".
UA_SUFFIX_3 = {"P-07A", "P-08A", "P-09A", "N-06A", "N-07A", "N-08A", "N-09A",
               "F-08A", "F-09A", "SH-05A", "SH-06A", "SH-07A"}

# Generation of a model, from its name (order = catalogue order).
GENERATIONS = [
    ("501i", r"[A-Z]+501i"),
    ("502i", r"[A-Z]+502i\w*"),
    ("209i/210i/211i", r"[A-Z]+21[01]i\w*|[A-Z]+209i\w*"),
    ("503i", r"[A-Z]+503i\w*"),
    ("FOMA 2001/2002/2101V", r"[A-Z]+(2001|2002|2101V)"),
    ("504i", r"[A-Z]+504i\w*"),
    ("FOMA 2051/2102V/2700i", r"[A-Z]+(2051|2102V|27\d\d)"),
    ("505i", r"[A-Z]+505i\w*"),
    ("506i", r"[A-Z]+506i\w*"),
    ("900i", r"[A-Z]+900i\w*"),
    ("901i", r"[A-Z]+901i\w*"),
    ("902i", r"[A-Z]+902i\w*"),
    ("702i/703i", r"[A-Z]+70[23]i\w*"),
    ("903i", r"[A-Z]+903i\w*"),
    ("904i", r"[A-Z]+904i\w*"),
    ("905i", r"[A-Z]+905i\w*"),
    ("906i", r"[A-Z]+906i\w*"),
    ("2008-2009 NN-0nA", r"[A-Z]+-\d\dA"),
    ("2009-2010 NN-0nB", r"[A-Z]+-\d\dB"),
]

UA1 = re.compile(r"DoCoMo/1\.0/([A-Za-z0-9]+)(?:/c(\d+))?(?:/(T[BCDJ]))?(?:/W(\d+)H(\d+))?")
UA2 = re.compile(r"DoCoMo/2\.0 ([A-Za-z0-9]+)\(c(\d+)(?:;(T[BCDJ]))?(?:;W(\d+)H(\d+))?\)")

errors = []


def err(msg):
    errors.append(msg)


def generation(model):
    for name, rx in GENERATIONS:
        if re.fullmatch(rx, model):
            return name
    return None


def check_handsets():
    text = HANDSETS.read_text(encoding="utf-8")
    data = tomllib.loads(text)
    if set(data) != {"handset"}:
        err(f"handsets.toml: top-level keys {sorted(data)}, want only [[handset]]")
    hs = data.get("handset", [])

    # Which entries have a "# source:" comment right above their [[handset]].
    lines = text.splitlines()
    sourced = []
    for i, line in enumerate(lines):
        if line.strip() == "[[handset]]":
            j, has = i - 1, False
            while j >= 0 and lines[j].startswith("# source:"):
                has, j = True, j - 1
            sourced.append(has)

    seen = set()
    per_gen = Counter()
    gen_order = [g for g, _ in GENERATIONS]
    last_gen = -1
    for n, h in enumerate(hs):
        m = h.get("model", f"#{n}")
        where = f"handset {m}"
        if list(h) != KEYS:
            err(f"{where}: keys {list(h)}, want {KEYS}")
            continue
        types = [str, str, int, int, int, str, str, bool, bool, str]
        for k, t in zip(KEYS, types):
            if type(h[k]) is not t:
                err(f"{where}: {k} should be {t.__name__}")
        if errors and errors[-1].startswith(where):
            continue
        if m in seen:
            err(f"{where}: duplicate model")
        seen.add(m)
        if not re.fullmatch(r"[A-Z]{1,2}\d{3,4}[A-Za-z]*\+?|[A-Z]{1,2}-\d\d[A-Z]", m):
            err(f"{where}: model name not in docomo form (P503i, P-07B)")

        g = generation(m)
        if g is None:
            err(f"{where}: no generation matches this model")
        else:
            per_gen[g] += 1
            gi = gen_order.index(g)
            if gi < last_gen:
                err(f"{where}: generation {g} comes after a later one (order oldest first)")
            last_gen = max(last_gen, gi)

        ua = h["user_agent"]
        mt = UA1.fullmatch(ua) or UA2.fullmatch(ua)
        if not mt:
            err(f"{where}: user_agent {ua!r} is in neither DoCoMo/1.0 nor DoCoMo/2.0 form")
            continue
        ua_model, cnn, _status, w, hh = mt.groups()
        want = m.replace("-", "")
        if m in UA_SUFFIX_3 and ua_model == want + "3":
            pass  # documented exception, see UA_SUFFIX_3
        elif ua_model != want:
            err(f"{where}: UA model {ua_model!r} != model without hyphen {want!r}")
        is_v1 = ua.startswith("DoCoMo/1.0/")
        if cnn is not None:
            if int(cnn) != h["cache_kb"]:
                err(f"{where}: cache_kb {h['cache_kb']} != UA c{cnn}")
        if is_v1 and ((cnn is None) != (h["cache_kb"] == 5)):
            err(f"{where}: cache_kb 5 must go with (exactly) a DoCoMo/1.0 UA without cNN")
        if w is not None and (int(w), int(hh)) != (h["width"], h["height"]):
            err(f"{where}: width/height {h['width']}x{h['height']} != UA W{w}H{hh}")
        if w is None and not sourced[n]:
            err(f"{where}: UA has no WnnHnn, so width/height need a '# source:' line")
        if not (1 <= h["width"] <= 80 and 1 <= h["height"] <= 60):
            err(f"{where}: implausible screen {h['width']}x{h['height']}")

        hv = h["html_version"]
        if hv not in HTML_VERSIONS:
            err(f"{where}: html_version {hv!r} not one of {HTML_VERSIONS}")
            continue
        v = float(hv)
        if h["utn"] != (v >= 3.0):
            err(f"{where}: utn must be {v >= 3.0} for HTML {hv}")
        if h["pictograms"] not in ("basic", "extended"):
            err(f"{where}: pictograms {h['pictograms']!r} not basic/extended")
        elif (h["pictograms"] == "extended") != (v >= 4.0):
            # extended pictograms come with i-mode HTML 4.0 (see handsets.toml [S7])
            err(f"{where}: pictograms should be {'extended' if v >= 4.0 else 'basic'} for HTML {hv}")
        br = h["browser"]
        if br == "2.0":
            if not h["cookies"] or h["cache_kb"] < 500:
                err(f"{where}: browser 2.0 needs cookies = true and cache_kb >= 500")
        elif br == "1.0":
            if h["cookies"]:
                err(f"{where}: browser 1.0 has no cookies")
            if h["cache_kb"] >= 500:
                err(f"{where}: a 500 KB+ cache means i-mode browser 2.0")
        else:
            err(f"{where}: browser {br!r} not 1.0/2.0")

    by_model = {h.get("model"): h for h in hs}
    for model, ua in SHIPPED.items():
        if model not in by_model:
            err(f"shipped model {model} missing")
        elif by_model[model].get("user_agent") != ua:
            err(f"shipped model {model}: user_agent must stay {ua!r}")
    if len(hs) < 45:
        err(f"only {len(hs)} handsets, want at least 45")
    for g in gen_order:
        if per_gen[g] == 0:
            err(f"generation {g} has no handset")

    print(f"handsets.toml: {len(hs)} models")
    for g in gen_order:
        print(f"  {g:24} {per_gen[g]:3}")
    print("  by browser: " + ", ".join(f"{k} {c}" for k, c in
                                       sorted(Counter(h['browser'] for h in hs).items())))


def sjis_to_pua(code):
    """WHATWG Shift_JIS decoder, user-defined area (lead F0-F9)."""
    lead, trail = code >> 8, code & 0xFF
    offset = 0x40 if trail < 0x7F else 0x41
    pointer = (lead - 0xC1) * 188 + trail - offset
    return 0xE000 + pointer - 8836


def ranges(*spans):
    out = set()
    for a, b in spans:
        out.update(range(a, b + 1))
    return out


BASIC = ranges((0xF89F, 0xF8FC), (0xF940, 0xF949), (0xF950, 0xF952), (0xF955, 0xF957),
               (0xF95B, 0xF95E), (0xF972, 0xF97E), (0xF980, 0xF9B0))
EXTENDED = ranges((0xF9B1, 0xF9FC))


def check_pictograms():
    lines = PICTOGRAMS.read_text(encoding="utf-8").splitlines()
    if not lines or not lines[0].startswith("#"):
        err("pictograms.tsv: must start with comment lines naming the sources")
    rows = []
    for no, line in enumerate(lines, 1):
        if line.startswith("#"):
            continue
        cols = line.split("\t")
        if len(cols) != 5:
            err(f"pictograms.tsv:{no}: {len(cols)} columns, want 5")
            continue
        sjis, uni, st, ja, en = cols
        if not re.fullmatch(r"[0-9A-F]{4}", sjis) or not re.fullmatch(r"[0-9A-F]{4}", uni):
            err(f"pictograms.tsv:{no}: sjis/unicode must be 4 upper-case hex digits")
            continue
        if st not in ("basic", "extended"):
            err(f"pictograms.tsv:{no}: set {st!r}")
        if not ja.strip() or not en.strip() or ja != ja.strip() or en != en.strip():
            err(f"pictograms.tsv:{no}: empty or padded name")
        rows.append((no, int(sjis, 16), int(uni, 16), st, ja, en))

    codes = Counter(r[1] for r in rows)
    unis = Counter(r[2] for r in rows)
    for c, k in codes.items():
        if k > 1:
            err(f"pictograms.tsv: sjis {c:04X} appears {k} times")
    for u, k in unis.items():
        if k > 1:
            err(f"pictograms.tsv: unicode {u:04X} appears {k} times")
    disagree = []
    for no, s, u, st, ja, en in rows:
        if sjis_to_pua(s) != u:
            disagree.append(f"{s:04X}->{u:04X} (decoder {sjis_to_pua(s):04X})")
        try:
            if ord(bytes([s >> 8, s & 0xFF]).decode("cp932")) != u:
                err(f"pictograms.tsv:{no}: Python cp932 decodes {s:04X} differently")
        except UnicodeDecodeError:
            err(f"pictograms.tsv:{no}: {s:04X} is not decodable as cp932")
        want = "basic" if s in BASIC else "extended" if s in EXTENDED else None
        if want is None:
            err(f"pictograms.tsv:{no}: sjis {s:04X} outside the pictogram ranges")
        elif want != st:
            err(f"pictograms.tsv:{no}: sjis {s:04X} belongs to {want}, not {st}")
    for d in disagree:
        err(f"pictograms.tsv: WHATWG decoder disagrees: {d}")
    have = set(codes)
    for name, full in (("basic", BASIC), ("extended", EXTENDED)):
        missing = sorted(full - have)
        if missing:
            err(f"pictograms.tsv: {name} codes missing: " + " ".join(f"{c:04X}" for c in missing))
    # Keycaps 1-9, 0: F987-F990 <-> U+E6E2-U+E6EB, which the simulator relies on.
    by_sjis = {r[1]: r for r in rows}
    for i, digit in enumerate("1234567890"):
        r = by_sjis.get(0xF987 + i)
        if not r or r[2] != 0xE6E2 + i or r[4] != digit:
            err(f"pictograms.tsv: keycap {digit} must be {0xF987 + i:04X} / U+{0xE6E2 + i:04X}")

    c = Counter(r[3] for r in rows)
    print(f"pictograms.tsv: basic {c['basic']}, extended {c['extended']}, total {len(rows)}"
          f"; WHATWG decoder disagreements: {len(disagree)}")
    if (c["basic"], c["extended"], len(rows)) != (176, 76, 252):
        err("pictograms.tsv: want 176 basic + 76 extended = 252")


def main():
    check_handsets()
    check_pictograms()
    if errors:
        print(f"\n{len(errors)} problem(s):")
        for e in errors:
            print("  " + e)
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
