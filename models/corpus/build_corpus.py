#!/usr/bin/env python3
"""Build the Statewise code corpus (TypeScript, JavaScript, Python).

Inputs (committed, pinned):
  models/corpus/npm_packages.txt     one `name@version` per line, in priority order
  models/corpus/debian_packages.txt  one `name=version` per line, in priority order

Outputs (git-ignored, in .corpus/):
  train.jsonl, heldout.jsonl          one JSON object per package
  train.jsonl.xz, heldout.jsonl.xz    xz-compressed copies (<= 48 MiB together)
  cache/                              downloaded tarballs / .deb files (re-runs reuse them)
and models/corpus/MANIFEST.json (committed).

Python 3 standard library only. Calls `npm pack`, `apt-get download`,
`dpkg-deb --fsys-tarfile` and `xz` through subprocess.

Usage: python3 models/corpus/build_corpus.py [--jobs 8] [--no-compress]
"""

import argparse
import collections
import concurrent.futures as cf
import datetime
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
OUT = os.path.join(ROOT, ".corpus")
CACHE = os.path.join(OUT, "cache")
NPM_LIST = os.path.join(HERE, "npm_packages.txt")
DEB_LIST = os.path.join(HERE, "debian_packages.txt")
MANIFEST = os.path.join(HERE, "MANIFEST.json")
REJECTED_CANDIDATES = os.path.join(HERE, "rejected_candidates.tsv")

MiB = 1024 * 1024
XZ_LIMIT = 48 * MiB            # both .xz files together
HELDOUT_MOD = 40               # sha1(name) % 40 == 0 -> held out
HELDOUT_MIN_PER_LANG = int(1.5 * MiB)
HELDOUT_MIN_TOTAL = 5 * MiB
TYPES_MAX_SHARE = 0.10         # @types/* <= 10% of TypeScript bytes
# Wanted mixture (used only to choose what to drop if the .xz files are too big)
TARGET_SHARE = {"typescript": 0.45, "javascript": 0.27, "python": 0.28}

LANG_OF_EXT = {
    ".ts": "typescript", ".tsx": "typescript", ".mts": "typescript", ".cts": "typescript",
    ".js": "javascript", ".jsx": "javascript", ".mjs": "javascript", ".cjs": "javascript",
    ".py": "python",
}
LANGS = ("typescript", "javascript", "python")
MIN_BYTES = 64
MAX_BYTES = 256 * 1024
MAX_LINE = 1000
MAX_MEAN_LINE = 120
# In a package with more than this many bytes of source, test files are left out
# (keeps big packages such as sympy from crowding out the rest).
BIG_PACKAGE = 4 * MiB
TEST_PATH = re.compile(r"(^|/)(tests?|__tests__|testing|spec|specs|__mocks__|fixtures?)/|"
                       r"(^|/)test_[^/]*\.py$|_test\.py$|\.(test|spec)\.[mc]?[jt]sx?$")

NPM_LICENSES = {
    "MIT", "ISC", "BSD-2-CLAUSE", "BSD-3-CLAUSE", "APACHE-2.0", "0BSD", "UNLICENSE",
    "CC0-1.0", "BLUEOAK-1.0.0", "PYTHON-2.0",
}
# Debian DEP-5 short names (lower-cased) that count as permissive.
DEB_PERMISSIVE = re.compile(
    r"^(expat|mit|mit-0|x11|bsd|bsd-2|bsd-3|bsd-2-clause|bsd-3-clause|bsd-2-clause-freebsd|"
    r"bsd-3-clause-clear|bsd-3-clause-modification|apache|apache-2|apache-2\.0|apache 2\.0|"
    r"psf|psf-2|psf-2\.0|psf-2\+|python|python-2\.0|python-2\.0\.1|psfl|isc|zlib|"
    r"public-domain|public domain|publicdomain|cc0|cc0-1\.0|cc0-1\.0-universal|0bsd|unlicense|"
    r"apache2|apache-2\.0\+|apache-2\+|mit/x11|psf-license|psfl-2|psflv2|python-license|"
    r"bsd-3-clauses|bsd-2-clauses|zlib/libpng)$")

# top-level (or nested) directory names that hold compiled / generated JavaScript
COMPILED_DIRS = {
    "dist", "lib", "cjs", "esm", "build", "out", "es", "es5", "es6", "es2015", "es2017",
    "es2018", "es2019", "es2020", "es2022", "esm5", "esm2015", "esm2017", "esm2020",
    "esm2022", "fesm5", "fesm2015", "fesm2020", "fesm2022", "umd", "bundles", "commonjs",
    "module", "modules", "mjs", "types", "typings", "_cjs", "_esm", "_types", "dist-cjs",
    "dist-es", "dist-esm", "dist-types", "dist-node", "dist-web", "dist-src", "node",
    "browser", "legacy", "compiled",
}
ESM_HINT = {"esm", "es", "es6", "es2015", "es2017", "es2018", "es2019", "es2020", "es2022",
            "esm5", "esm2015", "esm2017", "esm2020", "esm2022", "module", "modules", "mjs",
            "_esm", "dist-es", "dist-esm", "fesm2015", "fesm2020", "fesm2022"}
BUNDLE_MARKERS = (
    "/******/", "__webpack_require__", "webpackBootstrap", "__webpack_modules__",
    "(function (global, factory)", "(function(global, factory)", "(function (global,factory)",
    "require=(function e(t,n,r)", "(function(f){if(typeof exports===\"object\"",
    "/*! For license information please see", "__commonJS(", "System.register(",
    "parcelRequire", "__vite_ssr_import__",
)
SKIP_NAME = re.compile(r"(\.min\.|\.map$|\.bundle\.|[-.]bundled?\.|\.umd\.|\.iife\.|"
                       r"\.prod(uction)?\.min|\.packed\.)", re.I)


DOWNLEVEL_DIR = re.compile(r"(^|/)(ts\d+(\.\d+)?|downlevel-dts|ts-?old)/", re.I)


def log(*a):
    print(time.strftime("%H:%M:%S"), *a, flush=True)


def sha1_int(s):
    return int(hashlib.sha1(s.encode("utf-8")).hexdigest(), 16)


def lang_of(path):
    p = path.lower()
    for ext in (".d.ts", ".d.mts", ".d.cts"):
        if p.endswith(ext):
            return "typescript"
    return LANG_OF_EXT.get(os.path.splitext(p)[1])


def is_dts(path):
    p = path.lower()
    return p.endswith(".d.ts") or p.endswith(".d.mts") or p.endswith(".d.cts")


def decode_source(data, path):
    """Return (text, None) if the file passes the content filters, else (None, reason)."""
    if len(data) < MIN_BYTES:
        return None, "small"
    if len(data) > MAX_BYTES:
        return None, "large"
    if b"\x00" in data:
        return None, "nul"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None, "not-utf8"
    if text.startswith("\ufeff"):
        text = text[1:]
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    if max(len(l) for l in lines) > MAX_LINE:
        return None, "long-line"
    nonempty = [l for l in lines if l.strip()]
    if not nonempty:
        return None, "empty"
    if sum(len(l) for l in nonempty) / len(nonempty) > MAX_MEAN_LINE:
        return None, "mean-line"
    if lang_of(path) != "python":
        head = "\n".join(lines[:40])
        for m in BUNDLE_MARKERS:
            if m in head:
                return None, "bundle"
    if len(text.strip()) < MIN_BYTES:
        return None, "small"
    return text, None


def drop_tests_if_big(files):
    """files: list of {path, lang, text}. Returns (files, number of test files dropped)."""
    total = sum(len(f["text"]) for f in files)
    if total <= BIG_PACKAGE:
        return files, 0
    kept = [f for f in files if not TEST_PATH.search(f["path"])]
    return kept, len(files) - len(kept)


def norm_key(text):
    return hashlib.sha1(re.sub(r"\s+", " ", text).strip().encode("utf-8")).hexdigest()


# ----------------------------------------------------------------------------- lists

def read_list(path, sep):
    out = []
    if not os.path.exists(path):
        return out
    with open(path) as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            if sep == "@":
                i = line.rfind("@")
                if i <= 0:
                    raise SystemExit("bad npm spec (need name@version): %r" % line)
                out.append((line[:i], line[i + 1:]))
            else:
                name, _, ver = line.partition("=")
                if not ver:
                    raise SystemExit("bad debian spec (need name=version): %r" % line)
                out.append((name, ver))
    seen, uniq = set(), []
    for n, v in out:
        if n not in seen:
            seen.add(n)
            uniq.append((n, v))
    return uniq


# ----------------------------------------------------------------------------- npm

def npm_cache_path(name, version):
    return os.path.join(CACHE, "npm", "%s@%s.tgz" % (name.replace("/", "__"), version))


def npm_fetch(name, version):
    dest = npm_cache_path(name, version)
    if os.path.exists(dest):
        return dest, None
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="pack-", dir=os.path.dirname(dest))
    try:
        env = dict(os.environ, npm_config_loglevel="error", npm_config_update_notifier="false",
                   npm_config_fund="false", npm_config_audit="false")
        r = subprocess.run(["npm", "pack", "%s@%s" % (name, version), "--ignore-scripts",
                            "--pack-destination", tmp], cwd=tmp, env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=600)
        tgz = [f for f in os.listdir(tmp) if f.endswith(".tgz")]
        if r.returncode != 0 or len(tgz) != 1:
            err = r.stderr.decode("utf-8", "replace").strip().splitlines()
            err = [l for l in err if "Unknown user config" not in l and "will stop working" not in l]
            return None, "download failed: " + (err[-1][:200] if err else "rc=%d" % r.returncode)
        os.replace(os.path.join(tmp, tgz[0]), dest)
        return dest, None
    except subprocess.TimeoutExpired:
        return None, "download failed: timeout"
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def npm_license(pj):
    lic = pj.get("license")
    if isinstance(lic, dict):
        lic = lic.get("type")
    if not lic and isinstance(pj.get("licenses"), list):
        names = []
        for x in pj["licenses"]:
            names.append(x.get("type") if isinstance(x, dict) else x)
        names = [n for n in names if isinstance(n, str)]
        lic = " OR ".join(names) if names else None
    if not isinstance(lic, str) or not lic.strip():
        return None, False
    lic = lic.strip()
    expr = lic.replace("(", " ").replace(")", " ")
    parts = [p.strip() for p in re.split(r"\s+OR\s+", expr, flags=re.I)]
    ok = all(p.upper() in NPM_LICENSES for p in parts) and not re.search(r"\bAND\b|\bWITH\b", expr, re.I)
    return lic, ok


def compiled_dir_of(path):
    """Return the compiled-output directory component of `path`, or None (src/ is never compiled)."""
    parts = path.split("/")[:-1]
    if parts and parts[0] in ("src", "source", "sources", "ts", "typescript"):
        return None
    for p in parts:
        if p.lower() in COMPILED_DIRS:
            return p.lower()
    return None


def process_npm(name, version):
    """Return a package record: {pkg, source, name, version, license, files|reject}."""
    rec = {"source": "npm", "name": name, "version": version,
           "pkg": "npm:%s@%s" % (name, version)}
    path, err = npm_fetch(name, version)
    if err:
        rec["reject"] = err
        return rec
    raw = {}
    pj = None
    try:
        with tarfile.open(path, "r:gz") as tf:
            for m in tf:
                if not m.isfile():
                    continue
                parts = m.name.lstrip("./").split("/", 1)
                if len(parts) != 2:
                    continue
                rel = parts[1]
                if rel == "package.json" and pj is None:
                    try:
                        pj = json.loads(tf.extractfile(m).read().decode("utf-8", "replace"))
                    except Exception:
                        pj = {}
                    continue
                if "node_modules/" in rel or rel.startswith("node_modules"):
                    continue
                if not lang_of(rel) or SKIP_NAME.search(os.path.basename(rel)):
                    continue
                if DOWNLEVEL_DIR.search(rel):
                    continue  # typesVersions down-levelled copies of the .d.ts files
                if m.size < MIN_BYTES or m.size > MAX_BYTES:
                    continue
                raw[rel] = tf.extractfile(m).read()
    except (tarfile.TarError, OSError, EOFError) as e:
        rec["reject"] = "bad tarball: %s" % e
        return rec
    if not isinstance(pj, dict):
        rec["reject"] = "license: no package.json"
        return rec
    lic, ok = npm_license(pj)
    rec["license"] = lic
    if not ok:
        rec["reject"] = "license: %s" % lic
        return rec

    # TypeScript sources shipped? Then drop compiled JS / generated .d.ts copies.
    ts_src = sum(len(d) for p, d in raw.items()
                 if lang_of(p) == "typescript" and not is_dts(p))
    compiled_js = sum(len(d) for p, d in raw.items()
                      if lang_of(p) == "javascript" and compiled_dir_of(p))
    has_ts_src = ts_src >= 1024 and ts_src >= 0.3 * compiled_js
    def module_key(p):
        parts = p.split("/")
        dirs = [x for x in parts[:-1] if x.lower() not in COMPILED_DIRS and x != "src"]
        return "/".join(dirs + [re.sub(r"(\.d)?\.[mc]?[jt]sx?$", "", parts[-1])])
    ts_keys = {module_key(p) for p in raw if lang_of(p) == "typescript" and not is_dts(p)}
    keep = {}
    for p, d in raw.items():
        lg = lang_of(p)
        if lg == "javascript" or is_dts(p):
            if has_ts_src and compiled_dir_of(p):
                continue
            if module_key(p) in ts_keys:
                continue  # compiled copy (or declarations) of a shipped .ts file
        keep[p] = d
    # Same module shipped as cjs + esm (+ .mjs/.cjs): keep one flavour (prefer ESM).
    groups = collections.defaultdict(list)
    for p in keep:
        if lang_of(p) == "javascript" or is_dts(p):
            parts = p.split("/")
            dirs = [x for x in parts[:-1] if x.lower() not in COMPILED_DIRS]
            base = re.sub(r"(\.d)?\.[mc]?[jt]sx?$", "", parts[-1])
            kind = "d" if is_dts(p) else "j"
            groups[(kind, "/".join(dirs + [base]))].append(p)
    for key, ps in groups.items():
        if len(ps) < 2:
            continue

        def rank(p):
            comps = {x.lower() for x in p.split("/")[:-1]}
            esm = bool(comps & ESM_HINT) or p.endswith(".mjs") or p.endswith(".d.mts")
            return (0 if esm else 1, len(p), p)
        for p in sorted(ps, key=rank)[1:]:
            keep.pop(p, None)

    files, skipped = [], collections.Counter()
    prefix = name
    for p in sorted(keep):
        text, why = decode_source(keep[p], p)
        if why:
            skipped[why] += 1
            continue
        files.append({"path": "%s/%s" % (prefix, p), "lang": lang_of(p), "text": text})
    files, ntests = drop_tests_if_big(files)
    if ntests:
        skipped["test-in-big-package"] = ntests
    rec["files"] = files
    rec["skipped"] = dict(skipped)
    rec["ts_source"] = has_ts_src
    if not files:
        rec["reject"] = "no source files"
    return rec


# ----------------------------------------------------------------------------- debian

def deb_cache_path(name, version):
    return os.path.join(CACHE, "deb", "%s=%s.deb" % (name, version.replace(":", "%3a")))


def deb_fetch_all(specs, log_every=50):
    """Download all missing .debs (batched apt-get download). Returns {name: error}."""
    errors = {}
    missing = [(n, v) for n, v in specs if not os.path.exists(deb_cache_path(n, v))]
    if not missing:
        return errors
    d = os.path.join(CACHE, "deb")
    os.makedirs(d, exist_ok=True)

    def one_batch(batch):
        tmp = tempfile.mkdtemp(prefix="apt-", dir=d)
        try:
            r = subprocess.run(["apt-get", "download", "-q"] + ["%s=%s" % nv for nv in batch],
                               cwd=tmp, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               timeout=1200)
            got = os.listdir(tmp)
            for n, v in batch:
                ver = v.replace(":", "%3a")
                fn = [f for f in got if f.startswith("%s_%s_" % (n, ver)) and f.endswith(".deb")]
                if fn:
                    os.replace(os.path.join(tmp, fn[0]), deb_cache_path(n, v))
            return r.returncode, r.stderr.decode("utf-8", "replace")
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    for i in range(0, len(missing), 40):
        batch = missing[i:i + 40]
        one_batch(batch)
        for n, v in batch:
            if not os.path.exists(deb_cache_path(n, v)):
                rc, err = one_batch([(n, v)])  # retry alone to get its own error
                if not os.path.exists(deb_cache_path(n, v)):
                    msg = [l for l in err.splitlines() if l.startswith("E:")]
                    errors[n] = "download failed: " + (msg[-1][:200] if msg else "rc=%d" % rc)
        log("debian download %d/%d" % (min(i + 40, len(missing)), len(missing)))
    return errors


def classify_license_text(body):
    """Name the permissive license whose text this is, or None."""
    low = re.sub(r"\s+", " ", body.lower())
    if re.search(r"gnu|general public license|mozilla|creative commons|zope public|"
                 r"share ?alike|copyleft", low):
        return None
    if "permission is hereby granted, free of charge" in low:
        return "MIT"
    if "redistribution and use in source and binary forms" in low:
        return "BSD"
    if "apache license" in low and "version 2.0" in low:
        return "Apache-2.0"
    if "python software foundation" in low and "license agreement" in low:
        return "PSF-2.0"
    if ("permission to use, copy, modify, and/or distribute" in low
            or "permission to use, copy, modify, and distribute this software" in low):
        return "ISC"
    return None


def deb_licenses(text):
    """Parse a debian/copyright file. Return (list of license names, all_permissive, note).

    DEP-5: every `Files:` paragraph except the Debian packaging's own (`Files: debian/*`)
    must name only permissive licenses. A license whose short name is not a standard
    permissive one is accepted only when its text in the file is clearly MIT/BSD/Apache/
    PSF/ISC (and mentions no GPL/MPL/CC/ZPL)."""
    names = []
    if re.match(r"\s*Format:", text):
        paras = re.split(r"\n\s*\n", text)
        bodies = collections.defaultdict(str)
        parsed = []
        for para in paras:
            fields = {}
            cur = None
            for line in para.split("\n"):
                if not line.strip():
                    continue
                if line[0] in " \t" and cur:
                    fields[cur] += "\n" + line
                    continue
                k, sep, v = line.partition(":")
                if sep and re.match(r"^[A-Za-z-]+$", k):
                    cur = k.strip().lower()
                    fields[cur] = v.strip()
            if "license" in fields:
                first, _, body = fields["license"].partition("\n")
                bodies[first.strip()] += body
                parsed.append(fields)
        for fields in parsed:
            if "files" not in fields:
                continue
            globs = fields["files"].split()
            if globs and all(g.startswith("debian/") or g == "debian" for g in globs):
                continue  # the Debian packaging itself, not shipped in the files we take
            short = fields["license"].split("\n", 1)[0].strip()
            for n in re.split(r"\s+(?:or|and)\s+|\s*[,|&]\s*|-or-", short, flags=re.I):
                n = n.strip().strip("()").strip()
                if n:
                    names.append(n)
        if not names:
            return [], False, "no License fields"
        out, bad = [], []
        for n in dict.fromkeys(names):
            if DEB_PERMISSIVE.match(n.lower()):
                out.append(n)
                continue
            kind = classify_license_text(bodies.get(n, ""))
            if kind and not re.search(r"zope|zpl|cc-|creative|unicode|w3c|wtfpl|beer", n, re.I):
                out.append("%s (%s text)" % (n, kind))
            else:
                bad.append(n)
        return out + bad, not bad, ("non-permissive or unclear: " + ", ".join(bad)) if bad else ""
    # not machine readable: look for clear license texts and for copyleft mentions
    low = text.lower()
    if re.search(r"\b(a?gpl|lgpl|mpl)\b|general public license|mozilla public license", low):
        return ["copyleft mentioned"], False, "non-DEP5 file mentions GPL/LGPL/MPL"
    found = []
    if "permission is hereby granted, free of charge" in low:
        found.append("MIT")
    if "redistribution and use in source and binary forms" in low:
        found.append("BSD")
    if "apache license" in low and "version 2.0" in low:
        found.append("Apache-2.0")
    if "python software foundation license" in low or "psf license" in low:
        found.append("PSF-2.0")
    if "isc license" in low or "permission to use, copy, modify, and/or distribute" in low:
        found.append("ISC")
    if not found:
        return [], False, "no recognisable permissive license text"
    return found, True, ""


PY_PATH = re.compile(r"^usr/lib/(python3(?:\.\d+)?)/(?:(dist-packages|site-packages)/)?(.*)$")


def process_deb(name, version, fetch_error=None):
    rec = {"source": "debian", "name": name, "version": version,
           "pkg": "deb:%s=%s" % (name, version)}
    if fetch_error:
        rec["reject"] = fetch_error
        return rec
    path = deb_cache_path(name, version)
    if not os.path.exists(path):
        rec["reject"] = "download failed"
        return rec
    raw, copyright_text = {}, None
    cp_path = "usr/share/doc/%s/copyright" % name
    proc = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", path], stdout=subprocess.PIPE)
    try:
        with tarfile.open(fileobj=proc.stdout, mode="r|") as tf:
            for m in tf:
                n = m.name.lstrip("./")
                if n == cp_path and m.isfile():
                    copyright_text = tf.extractfile(m).read().decode("utf-8", "replace")
                    continue
                if not m.isfile() or not n.endswith(".py"):
                    continue
                mm = PY_PATH.match(n)
                if not mm:
                    continue
                pyver, dist, rel = mm.groups()
                if not dist and pyver == "python3":
                    continue
                out = rel if dist else "%s/%s" % (pyver, rel)
                if m.size < MIN_BYTES or m.size > MAX_BYTES:
                    continue
                raw[out] = tf.extractfile(m).read()
    finally:
        proc.stdout.close()
        proc.wait()
    if name.startswith("libpython3") and re.match(r"libpython3\.\d+-(stdlib|minimal)$", name):
        # CPython's copyright file lists the licenses of every bundled third-party piece
        # (most of them in C sources we do not take); the Python modules are PSF-2.0.
        rec["license"] = "PSF-2.0"
    else:
        if copyright_text is None:
            rec["reject"] = "license: no copyright file"
            return rec
        names, ok, note = deb_licenses(copyright_text)
        rec["license"] = " AND ".join(names) if names else None
        if not ok:
            rec["reject"] = "license: " + note
            return rec
    files, skipped = [], collections.Counter()
    for p in sorted(raw):
        text, why = decode_source(raw[p], p)
        if why:
            skipped[why] += 1
            continue
        files.append({"path": p, "lang": "python", "text": text})
    files, ntests = drop_tests_if_big(files)
    if ntests:
        skipped["test-in-big-package"] = ntests
    rec["files"] = files
    rec["skipped"] = dict(skipped)
    if not files:
        rec["reject"] = "no source files"
    return rec


# ----------------------------------------------------------------------------- build

def pkg_bytes(rec):
    """Bytes per language of a package (cached; call after the file list is final)."""
    if "_bytes" not in rec:
        b = collections.Counter()
        for f in rec.get("files", ()):
            b[f["lang"]] += len(f["text"].encode("utf-8"))
        rec["_bytes"] = b
    return rec["_bytes"]


def main_lang(rec):
    b = pkg_bytes(rec)
    return max(LANGS, key=lambda l: b[l]) if b else None


def tool_version(cmd):
    try:
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
        return r.stdout.decode("utf-8", "replace").strip().splitlines()[0]
    except Exception as e:
        return "unavailable (%s)" % e


def read_rejected_candidates():
    out = []
    if os.path.exists(REJECTED_CANDIDATES):
        with open(REJECTED_CANDIDATES) as f:
            for line in f:
                if line.startswith("#") or not line.strip():
                    continue
                src, name, ver, lic, reason = line.rstrip("\n").split("\t")
                out.append({"source": src, "name": name, "version": ver,
                            "license": lic or None, "reason": reason})
    return out


def write_jsonl(path, recs):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        for r in recs:
            obj = {"pkg": r["pkg"], "license": r["license"],
                   "files": [{"path": x["path"], "lang": x["lang"], "text": x["text"]}
                             for x in r["files"]]}
            f.write(json.dumps(obj, ensure_ascii=False) + "\n")
    os.replace(tmp, path)


def xz_compress(src, level):
    """Compress src -> src.xz via a temp name; return compressed size."""
    dst = src + ".xz"
    tmp = dst + ".tmp"
    with open(src, "rb") as fi, open(tmp, "wb") as fo:
        subprocess.run(["xz", "-T2", "-%d" % level, "-c"], stdin=fi, stdout=fo, check=True)
    return os.path.getsize(tmp), tmp, dst


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--jobs", type=int, default=8, help="parallel npm downloads")
    ap.add_argument("--workers", type=int, default=2, help="processes used to read packages")
    ap.add_argument("--xz-level", type=int, default=9)
    ap.add_argument("--no-compress", action="store_true")
    args = ap.parse_args()
    t0 = time.time()
    os.makedirs(CACHE, exist_ok=True)

    npm_specs = read_list(NPM_LIST, "@")
    deb_specs = read_list(DEB_LIST, "=")
    log("%d npm packages, %d debian packages" % (len(npm_specs), len(deb_specs)))

    # 1. downloads (cached)
    with cf.ThreadPoolExecutor(args.jobs) as ex:
        futs = [ex.submit(npm_fetch, n, v) for n, v in npm_specs]
        for i, f in enumerate(cf.as_completed(futs), 1):
            f.result()
            if i % 100 == 0 or i == len(futs):
                log("npm download %d/%d" % (i, len(futs)))
    deb_errors = deb_fetch_all(deb_specs)
    log("downloads done (%.0fs)" % (time.time() - t0))

    # 2. read + filter every package (parallel), kept in list order
    recs = [None] * (len(npm_specs) + len(deb_specs))
    with cf.ProcessPoolExecutor(args.workers) as ex:
        futs = {}
        for i, (n, v) in enumerate(npm_specs):
            futs[ex.submit(process_npm, n, v)] = i
        for j, (n, v) in enumerate(deb_specs):
            futs[ex.submit(process_deb, n, v, deb_errors.get(n))] = len(npm_specs) + j
        for k, f in enumerate(cf.as_completed(futs), 1):
            recs[futs[f]] = f.result()
            if k % 100 == 0 or k == len(futs):
                log("read %d/%d packages" % (k, len(futs)))
    for prio, r in enumerate(recs):
        r["priority"] = prio
    log("read done (%.0fs)" % (time.time() - t0))

    # 3. exact dedup (whitespace-collapsed sha1), first occurrence wins, fixed order
    seen = set()
    dup_files = 0
    for r in recs:
        if r.get("reject"):
            continue
        kept = []
        for f in r["files"]:
            k = norm_key(f["text"])
            if k in seen:
                dup_files += 1
                continue
            seen.add(k)
            kept.append(f)
        r["files"] = kept
        r.pop("_bytes", None)
        if not kept:
            r["reject"] = "all files duplicate of earlier packages"
    log("dedup: %d duplicate files removed" % dup_files)

    kept = [r for r in recs if not r.get("reject")]

    # 4. cap @types/* at 10% of TypeScript bytes (drop the largest @types first)
    def ts_total(rs):
        return sum(pkg_bytes(r)["typescript"] for r in rs)
    types = sorted([r for r in kept if r["name"].startswith("@types/")],
                   key=lambda r: -pkg_bytes(r)["typescript"])
    types_bytes = sum(pkg_bytes(r)["typescript"] for r in types)
    for r in types:
        if types_bytes <= TYPES_MAX_SHARE * ts_total(kept):
            break
        r["reject"] = "cap: @types share above %d%% of TypeScript" % (TYPES_MAX_SHARE * 100)
        types_bytes -= pkg_bytes(r)["typescript"]
        kept = [x for x in kept if x is not r]

    # 5. split by package
    def assign_split(kept):
        for r in kept:
            r["split"] = "heldout" if sha1_int(r["name"]) % HELDOUT_MOD == 0 else "train"
        order = sorted(kept, key=lambda r: (sha1_int(r["name"]), r["name"]))

        def held(lang=None):
            return sum((pkg_bytes(r)[lang] if lang else sum(pkg_bytes(r).values()))
                       for r in kept if r["split"] == "heldout")
        for lang in LANGS:
            for r in order:
                if held(lang) >= HELDOUT_MIN_PER_LANG:
                    break
                if r["split"] == "train" and main_lang(r) == lang:
                    r["split"] = "heldout"
                    r["split_reason"] = "added: held-out %s below 1.5 MiB" % lang
        for r in order:
            if held() >= HELDOUT_MIN_TOTAL:
                break
            if r["split"] == "train":
                r["split"] = "heldout"
                r["split_reason"] = "added: held-out total below 5 MiB"
    assign_split(kept)

    def stats(rs):
        s = {sp: {l: {"files": 0, "bytes": 0, "packages": 0} for l in LANGS} for sp in ("train", "heldout")}
        for r in rs:
            b = pkg_bytes(r)
            for f in r["files"]:
                s[r["split"]][f["lang"]]["files"] += 1
            for l in LANGS:
                s[r["split"]][l]["bytes"] += b[l]
                if b[l]:
                    s[r["split"]][l]["packages"] += 1
        return s

    def show(s):
        for sp in ("train", "heldout"):
            tot = sum(s[sp][l]["bytes"] for l in LANGS) or 1
            log("%-8s %7.1f MiB  " % (sp, tot / MiB) + "  ".join(
                "%s %.1f MiB (%.0f%%)" % (l[:2], s[sp][l]["bytes"] / MiB, 100 * s[sp][l]["bytes"] / tot)
                for l in LANGS))

    # 6. write + compress; if the two .xz files exceed the limit, drop low-priority
    #    train packages of the over-represented language and try again.
    train_path = os.path.join(OUT, "train.jsonl")
    held_path = os.path.join(OUT, "heldout.jsonl")
    size_drops = []
    comp = {}
    for attempt in range(6):
        s = stats(kept)
        show(s)
        write_jsonl(train_path, [r for r in kept if r["split"] == "train"])
        write_jsonl(held_path, [r for r in kept if r["split"] == "heldout"])
        if args.no_compress:
            break
        log("compressing (xz -%d -T2) ..." % args.xz_level)
        res = {}
        for p in (train_path, held_path):
            res[p] = xz_compress(p, args.xz_level)
        total = sum(v[0] for v in res.values())
        log("compressed total %.1f MiB (limit %.0f MiB)" % (total / MiB, XZ_LIMIT / MiB))
        if total <= XZ_LIMIT:
            for p, (sz, tmp, dst) in res.items():
                os.replace(tmp, dst)
                comp[os.path.basename(dst)] = sz
            break
        for sz, tmp, dst in res.values():
            os.remove(tmp)
        raw_total = os.path.getsize(train_path) + os.path.getsize(held_path)
        ratio = total / raw_total
        excess_raw = (total - XZ_LIMIT * 0.985) / ratio
        train_bytes = {l: s["train"][l]["bytes"] for l in LANGS}
        dropped = 0
        while dropped < excess_raw:
            lang = max(LANGS, key=lambda l: train_bytes[l] / TARGET_SHARE[l])
            cands = [r for r in kept if r["split"] == "train" and main_lang(r) == lang]
            # lowest priority = last in the lists; among debian prefer dropping the largest
            victim = max(cands, key=lambda r: r["priority"])
            b = pkg_bytes(victim)
            for l in LANGS:
                train_bytes[l] -= b[l]
            dropped += sum(b.values())
            victim["reject"] = "size: dropped to fit the 48 MiB compressed limit"
            size_drops.append(victim["pkg"])
            kept = [x for x in kept if x is not victim]
        log("over the limit: dropped %d packages (%.1f MiB raw)" % (len(size_drops), dropped / MiB))
    else:
        raise SystemExit("could not fit the compressed limit")

    # 7. manifest
    s = stats(kept)
    manifest = {
        "build_date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "build_seconds": round(time.time() - t0),
        "tools": {
            "python": sys.version.split()[0],
            "node": tool_version(["node", "--version"]),
            "npm": tool_version(["npm", "--version"]),
            "apt-get": tool_version(["apt-get", "--version"]),
            "dpkg-deb": tool_version(["dpkg-deb", "--version"]),
            "xz": tool_version(["xz", "--version"]),
        },
        "filters": {
            "extensions": sorted(LANG_OF_EXT), "min_bytes": MIN_BYTES, "max_bytes": MAX_BYTES,
            "max_line": MAX_LINE, "max_mean_line": MAX_MEAN_LINE,
            "heldout": "sha1(name) %% %d == 0, plus packages in sha1 order until >= 1.5 MiB per language and >= 5 MiB total" % HELDOUT_MOD,
            "types_max_share_of_typescript": TYPES_MAX_SHARE,
        },
        "outputs": {
            "train.jsonl": os.path.getsize(train_path),
            "heldout.jsonl": os.path.getsize(held_path),
            **comp,
        },
        "stats": s,
        "totals": {
            sp: {"packages": sum(1 for r in kept if r["split"] == sp),
                 "files": sum(s[sp][l]["files"] for l in LANGS),
                 "bytes": sum(s[sp][l]["bytes"] for l in LANGS)} for sp in s},
        "packages_by_source": dict(collections.Counter(r["source"] for r in kept)),
        "duplicate_files_removed": dup_files,
        "size_drops": size_drops,
        "packages": [
            dict({"source": r["source"], "name": r["name"], "version": r["version"],
                  "license": r["license"], "split": r["split"], "files": len(r["files"]),
                  "bytes": sum(pkg_bytes(r).values()),
                  "bytes_by_lang": {l: b for l, b in pkg_bytes(r).items() if b}},
                 **({"split_reason": r["split_reason"]} if r.get("split_reason") else {}))
            for r in kept],
        "rejected": [
            {"source": r["source"], "name": r["name"], "version": r["version"],
             "license": r.get("license"), "reason": r["reject"]}
            for r in recs if r.get("reject")],
        # candidates examined when the lists were chosen (select_packages.py) and left out
        "rejected_at_selection": read_rejected_candidates(),
    }
    tmp = MANIFEST + ".tmp"
    with open(tmp, "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    os.replace(tmp, MANIFEST)
    show(s)
    log("kept %d packages (%s), rejected %d; outputs in %s (%.0fs)" % (
        len(kept), manifest["packages_by_source"], len(manifest["rejected"]), OUT, time.time() - t0))


if __name__ == "__main__":
    main()
