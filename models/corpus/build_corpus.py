#!/usr/bin/env python3
"""Build the Statewise code corpus (TypeScript, JavaScript, Python).

Inputs (committed, pinned; read in this order, which is the dedup priority):
  models/corpus/npm_packages.txt       `name@version` (build 2)
  models/corpus/debian_packages.txt    `name=version` (build 2, Debian bookworm)
  models/corpus/npm_packages_3.txt     build-3 additions (stricter file filters)
  models/corpus/debian_packages_3.txt  build-3 additions (python3-* and node-*)
  models/corpus/heldout_packages.txt   the held-out packages (pinned)

Outputs (git-ignored, in .corpus/):
  train.jsonl, heldout.jsonl, heldout.jsonl.xz   one JSON object per package
  shards/train-NNN.jsonl.xz                      the train split in shards (<= 35 MiB each)
  cache/                                         downloaded tarballs / .deb files (re-runs reuse them)
and models/corpus/MANIFEST.json + models/corpus/shards.json (committed).

Python 3 standard library only. Fetches npm tarballs over the registry's HTTP API (`npm pack` as
fallback), .debs from the configured Debian mirror with apt's SHA256s (`apt-get download` as
fallback), and calls `dpkg-deb --fsys-tarfile` and `xz` through subprocess.

Usage: python3 models/corpus/build_corpus.py [--jobs 8] [--workers 2] [--xz-level 6] [--no-compress]
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
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
OUT = os.path.join(ROOT, ".corpus")
CACHE = os.path.join(OUT, "cache")
NPM_LIST = os.path.join(HERE, "npm_packages.txt")
DEB_LIST = os.path.join(HERE, "debian_packages.txt")
NPM_LIST3 = os.path.join(HERE, "npm_packages_3.txt")
DEB_LIST3 = os.path.join(HERE, "debian_packages_3.txt")
# Read in this order (it is the dedup priority): the build-2 lists first, so their packages keep
# exactly the files they had; the build-3 lists after them, with the stricter filters.
LISTS = ((NPM_LIST, "npm", False), (DEB_LIST, "debian", False),
         (NPM_LIST3, "npm", True), (DEB_LIST3, "debian", True))
MANIFEST = os.path.join(HERE, "MANIFEST.json")
REJECTED_CANDIDATES = os.path.join(HERE, "rejected_candidates.tsv")
HELDOUT_LIST = os.path.join(HERE, "heldout_packages.txt")

MiB = 1024 * 1024
HELDOUT_MOD = 40               # sha1(name) % 40 == 0 -> held out
TYPES_MAX_SHARE = 0.10         # @types/* <= 10% of TypeScript bytes

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


# Build-3 packages (the *_3.txt lists) also drop files whose header says they are generated.
GENERATED_HEAD = re.compile(r"auto-?generated|automatically generated|generated (by|from|with|using)\b|"
                            r"do not (edit|modify)|code generated|@generated|generated code|"
                            r"this file (is|was) generated", re.I)


MINIFIED_PY = re.compile(r"^_[A-Z]{1,2}=\S", re.M)   # python-minifier style: _A=None


def looks_generated(text):
    """Build-3 check: a generated header, or minified code (whitespace under 5% of a file
    over 1000 chars; python-minifier's `_A=...` constants)."""
    if GENERATED_HEAD.search("\n".join(text.split("\n", 15)[:15])):
        return True
    if len(text) > 1000 and (text.count(" ") + text.count("\t") + text.count("\n")) < 0.05 * len(text):
        return True
    return len(MINIFIED_PY.findall(text)) >= 3


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


def project_key(source, name):
    """One key per project: npm `x`, Debian `node-x` and `python3-x` share it."""
    n = name.lower()
    if source == "debian":
        n = re.sub(r"^(python3|node)-", "", n)
    n = n.lstrip("@").replace("/", "-")
    return re.sub(r"[._]", "-", n)


def read_heldout_list(path=None):
    """[(source, name)] of the pinned held-out packages."""
    out = []
    with open(path or HELDOUT_LIST) as f:
        for line in f:
            line = line.split("#", 1)[0].split()
            if line:
                out.append((line[0], line[1]))
    return out


# ----------------------------------------------------------------------------- npm

def npm_cache_path(name, version):
    return os.path.join(CACHE, "npm", "%s@%s.tgz" % (name.replace("/", "__"), version))


NPM_REGISTRY = "https://registry.npmjs.org/"


def npm_http_fetch(name, version, dest):
    """Download the tarball at the registry's standard address; True on success."""
    import urllib.request
    url = "%s%s/-/%s-%s.tgz" % (NPM_REGISTRY, name, name.split("/")[-1], version)
    tmp = dest + ".part%d" % os.getpid()
    try:
        with urllib.request.urlopen(url, timeout=120) as r, open(tmp, "wb") as f:
            shutil.copyfileobj(r, f)
        with open(tmp, "rb") as f:
            if f.read(2) != b"\x1f\x8b":
                raise OSError("not gzip")
        os.replace(tmp, dest)
        return True
    except Exception:
        if os.path.exists(tmp):
            os.remove(tmp)
        return False


def npm_fetch(name, version):
    dest = npm_cache_path(name, version)
    if os.path.exists(dest):
        return dest, None
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    if npm_http_fetch(name, version, dest):
        return dest, None
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


def pick_js_files(raw):
    """Drop compiled copies among {path: bytes}: compiled JS / generated .d.ts when TypeScript
    sources ship, and all but one of CJS/ESM flavours. Returns (kept dict, has_ts_src)."""
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

    return keep, has_ts_src


def process_npm(name, version, strict=False):
    """Return a package record: {pkg, source, name, version, license, files|reject}.
    strict (build-3 lists): also drop files whose header says they are generated."""
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

    keep, has_ts_src = pick_js_files(raw)

    files, skipped = [], collections.Counter()
    prefix = name
    for p in sorted(keep):
        text, why = decode_source(keep[p], p)
        if not why and strict and looks_generated(text):
            why = "generated"
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

    # Fast path: the archive paths and checksums from `apt-cache show` (apt's own lists), the
    # files fetched in parallel from the configured Debian mirrors and each checked against its
    # SHA256; whatever fails goes through `apt-get download` below.
    uris = {}
    bases = []
    for fn in ["/etc/apt/sources.list"] + sorted(
            os.path.join("/etc/apt/sources.list.d", f) for f in os.listdir("/etc/apt/sources.list.d")):
        if os.path.exists(fn):
            for u in re.findall(r"(?:^URIs:|^deb)\s+(https?://\S+)", open(fn).read(), re.M):
                if "debian" in u and u not in bases:
                    bases.append(u.rstrip("/") + "/")
    # one call (each apt-cache start is slow); every version of each name, the pinned one picked
    r = subprocess.run(["apt-cache", "show"] + sorted({n for n, v in missing}),
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    for para in r.stdout.split("\n\n"):
        f = dict(re.findall(r"^([A-Za-z0-9-]+): (.*)$", para, re.M))
        if "Package" in f and "Filename" in f and "SHA256" in f:
            uris.setdefault((f["Package"], f["Version"]), (f["Filename"], int(f["Size"]), f["SHA256"]))

    def http_one(nv):
        import urllib.request
        n, v = nv
        if (n, v) not in uris:
            return
        path, size, sha = uris[(n, v)]
        dest = deb_cache_path(n, v)
        tmp = dest + ".part%d" % threading.get_ident()
        for base in bases:
            try:
                h = hashlib.sha256()
                with urllib.request.urlopen(base + path, timeout=300) as r, open(tmp, "wb") as f:
                    for chunk in iter(lambda: r.read(1 << 20), b""):
                        h.update(chunk)
                        f.write(chunk)
                if h.hexdigest() == sha and os.path.getsize(tmp) == size:
                    os.replace(tmp, dest)
                    return
            except Exception:
                pass
            finally:
                if os.path.exists(tmp):
                    os.remove(tmp)

    with cf.ThreadPoolExecutor(8) as ex:
        for k, _ in enumerate(ex.map(http_one, missing), 1):
            if k % 500 == 0 or k == len(missing):
                log("debian download %d/%d" % (k, len(missing)))
    missing = [(n, v) for n, v in missing if not os.path.exists(deb_cache_path(n, v))]

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

    def batch_and_retry(batch):
        one_batch(batch)
        errs = {}
        for n, v in batch:
            if not os.path.exists(deb_cache_path(n, v)):
                rc, err = one_batch([(n, v)])  # retry alone to get its own error
                if not os.path.exists(deb_cache_path(n, v)):
                    msg = [l for l in err.splitlines() if l.startswith("E:")]
                    errs[n] = "download failed: " + (msg[-1][:200] if msg else "rc=%d" % rc)
        return errs

    batches = [missing[i:i + 40] for i in range(0, len(missing), 40)]
    with cf.ThreadPoolExecutor(4) as ex:
        for k, errs in enumerate(ex.map(batch_and_retry, batches), 1):
            errors.update(errs)
            log("debian download %d/%d" % (min(k * 40, len(missing)), len(missing)))
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
# Debian's node-* packages install modules under these folders
NODE_PATH = re.compile(r"^usr/(?:share|lib|lib/[a-z0-9_]+-linux-gnu[a-z]*)/nodejs/(.*)$")


def process_deb(name, version, fetch_error=None, strict=False):
    """strict (build-3 lists): also drop files whose header says they are generated."""
    rec = {"source": "debian", "name": name, "version": version,
           "pkg": "deb:%s=%s" % (name, version)}
    if fetch_error:
        rec["reject"] = fetch_error
        return rec
    path = deb_cache_path(name, version)
    if not os.path.exists(path):
        rec["reject"] = "download failed"
        return rec
    raw, js_raw, copyright_text = {}, {}, None
    cp_path = "usr/share/doc/%s/copyright" % name
    proc = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", path], stdout=subprocess.PIPE)
    try:
        with tarfile.open(fileobj=proc.stdout, mode="r|") as tf:
            for m in tf:
                n = m.name.lstrip("./")
                if n == cp_path and m.isfile():
                    copyright_text = tf.extractfile(m).read().decode("utf-8", "replace")
                    continue
                if not m.isfile():
                    continue
                mn = NODE_PATH.match(n)
                if mn and name.startswith("node-"):
                    rel = mn.group(1)
                    if ("node_modules/" in rel or not lang_of(rel) or lang_of(rel) == "python"
                            or SKIP_NAME.search(os.path.basename(rel)) or DOWNLEVEL_DIR.search(rel)
                            or m.size < MIN_BYTES or m.size > MAX_BYTES):
                        continue
                    js_raw[rel] = tf.extractfile(m).read()
                    continue
                if not n.endswith(".py"):
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
    if js_raw:
        js_raw, _ = pick_js_files(js_raw)
        raw.update(js_raw)
    files, skipped = [], collections.Counter()
    for p in sorted(raw):
        text, why = decode_source(raw[p], p)
        if not why and strict and looks_generated(text):
            why = "generated"
        if why:
            skipped[why] += 1
            continue
        files.append({"path": p, "lang": lang_of(p), "text": text})
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
            f.write(jsonl_line(r))
    os.replace(tmp, path)


def jsonl_line(r):
    obj = {"pkg": r["pkg"], "license": r["license"],
           "files": [{"path": x["path"], "lang": x["lang"], "text": x["text"]} for x in r["files"]]}
    return json.dumps(obj, ensure_ascii=False) + "\n"


def write_shards(train, level, ratio_hint=0.0):
    """Cut the train packages into .corpus/shards/train-NNN.jsonl.xz (each <= shards.SHARD_CAP)
    and write the index models/corpus/shards.json. Returns the index."""
    sys.path.insert(0, HERE)
    import shards as sh
    by_id = {r["pkg"]: r for r in train}
    pkgs = [(r["pkg"], sum(pkg_bytes(r).values())) for r in train]
    total = sum(b for _, b in pkgs)
    ratio = max(0.16, ratio_hint)  # xz bytes per source byte, on the safe side (build 2: 0.141 at -9)
    n = sh.n_shards_for(total, ratio)
    os.makedirs(sh.SHARD_DIR, exist_ok=True)
    while True:
        plan = sh.plan(pkgs, n)
        log("writing %d shards (xz -%d -T2) ..." % (n, level))
        entries = []
        for i, ids in enumerate(plan):
            dst = os.path.join(sh.SHARD_DIR, sh.shard_name(i))
            tmp = dst + ".tmp"
            nbytes = collections.Counter()
            jsonl_bytes = nfiles = 0
            with open(tmp, "wb") as fo:
                proc = subprocess.Popen(["xz", "-T2", "-%d" % level, "-c"], stdin=subprocess.PIPE, stdout=fo)
                for pid in ids:
                    line = jsonl_line(by_id[pid]).encode("utf-8")
                    jsonl_bytes += len(line)
                    nbytes.update(pkg_bytes(by_id[pid]))
                    nfiles += len(by_id[pid]["files"])
                    proc.stdin.write(line)
                proc.stdin.close()
                if proc.wait() != 0:
                    raise SystemExit("xz failed")
            xzb = os.path.getsize(tmp)
            entries.append({"name": sh.shard_name(i), "n_packages": len(ids), "files": nfiles,
                            "bytes": sum(nbytes.values()),
                            "bytes_by_lang": {l: nbytes[l] for l in LANGS},
                            "jsonl_bytes": jsonl_bytes, "xz_bytes": xzb,
                            "sha256": sh.sha256_file(tmp), "packages": ids})
            log("  %s: %d packages, %.1f MiB source, %.1f MiB xz" % (
                sh.shard_name(i), len(ids), sum(nbytes.values()) / MiB, xzb / MiB))
        if max(e["xz_bytes"] for e in entries) <= sh.SHARD_CAP:
            break
        for i in range(n):
            os.remove(os.path.join(sh.SHARD_DIR, sh.shard_name(i)) + ".tmp")
        n += 1
        log("a shard is over the %d MiB cap: again with %d shards" % (sh.SHARD_CAP // MiB, n))
    for i in range(n):
        p = os.path.join(sh.SHARD_DIR, sh.shard_name(i))
        os.replace(p + ".tmp", p)
    for f in os.listdir(sh.SHARD_DIR):  # shards of an earlier, larger build
        if f.startswith("train-") and f not in {e["name"] for e in entries}:
            os.remove(os.path.join(sh.SHARD_DIR, f))
    index = {"about": "Train shards of the code corpus (models/corpus/README.md). Training run N takes "
                      "shards[N mod count]; each is a .jsonl.xz in .corpus/shards/ with train.jsonl's line format.",
             "xz": "xz -%d -T2" % level, "cap_bytes": sh.SHARD_CAP, "target_bytes": sh.SHARD_TARGET,
             "plan": "packages in sha1(pkg) order, each to the shard with the fewest source bytes so far",
             "count": n, "shards": entries}
    errs = sh.check_index(index, [r["pkg"] for r in train])
    if errs:
        raise SystemExit("shard index inconsistent: %s" % errs)
    with open(sh.INDEX + ".tmp", "w") as f:
        json.dump(index, f, indent=1)
        f.write("\n")
    os.replace(sh.INDEX + ".tmp", sh.INDEX)
    return index


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
    ap.add_argument("--xz-level", type=int, default=6)
    ap.add_argument("--no-compress", action="store_true")
    args = ap.parse_args()
    t0 = time.time()
    os.makedirs(CACHE, exist_ok=True)

    specs = []  # (source, name, version, strict)
    for path, source, strict in LISTS:
        for n, v in read_list(path, "@" if source == "npm" else "="):
            specs.append((source, n, v, strict))
    npm_specs = [(n, v) for src, n, v, _ in specs if src == "npm"]
    deb_specs = [(n, v) for src, n, v, _ in specs if src == "debian"]
    log("%d npm packages, %d debian packages" % (len(npm_specs), len(deb_specs)))

    # 1. downloads (cached)
    with cf.ThreadPoolExecutor(args.jobs) as ex:
        futs = [ex.submit(npm_fetch, n, v) for n, v in npm_specs]
        for i, f in enumerate(cf.as_completed(futs), 1):
            f.result()
            if i % 500 == 0 or i == len(futs):
                log("npm download %d/%d" % (i, len(futs)))
    deb_errors = deb_fetch_all(deb_specs)
    log("downloads done (%.0fs)" % (time.time() - t0))

    # 2. read + filter every package (parallel), kept in list order
    recs = [None] * len(specs)
    with cf.ProcessPoolExecutor(args.workers) as ex:
        futs = {}
        for i, (src, n, v, strict) in enumerate(specs):
            if src == "npm":
                futs[ex.submit(process_npm, n, v, strict)] = i
            else:
                futs[ex.submit(process_deb, n, v, deb_errors.get(n), strict)] = i
        for k, f in enumerate(cf.as_completed(futs), 1):
            recs[futs[f]] = f.result()
            recs[futs[f]]["build3"] = specs[futs[f]][3]
            if k % 500 == 0 or k == len(futs):
                log("read %d/%d packages" % (k, len(futs)))
    for prio, r in enumerate(recs):
        r["priority"] = prio
    log("read done (%.0fs)" % (time.time() - t0))

    # 2b. a build-3 package of a project already taken (npm X / Debian node-X / python3-X)
    #     or of a held-out project is left out
    heldout_set = set(read_heldout_list())
    held_keys = {project_key(s_, n): n for s_, n in heldout_set}
    taken = {}
    for r in recs:
        if r.get("reject"):
            continue
        k = project_key(r["source"], r["name"])
        if r["build3"] and (r["source"], r["name"]) not in heldout_set:
            if k in held_keys:
                r["reject"] = "same project as held-out package %s" % held_keys[k]
                continue
            if k in taken:
                r["reject"] = "same project as %s" % taken[k]
                continue
        taken.setdefault(k, r["pkg"])

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

    # 5. split by package: the pinned held-out list (build 2's held-out set), everything else train
    for r in kept:
        r["split"] = "heldout" if (r["source"], r["name"]) in heldout_set else "train"
    missing_held = sorted("%s:%s" % x for x in heldout_set - {(r["source"], r["name"]) for r in kept})
    if missing_held:
        log("WARNING: held-out packages not in this build: %s" % ", ".join(missing_held))

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

    # 6. write train.jsonl / heldout.jsonl (+ heldout .xz) and the train shards
    s = stats(kept)
    show(s)
    train = [r for r in kept if r["split"] == "train"]
    train_path = os.path.join(OUT, "train.jsonl")
    held_path = os.path.join(OUT, "heldout.jsonl")
    write_jsonl(train_path, train)
    write_jsonl(held_path, [r for r in kept if r["split"] == "heldout"])
    for old in ("train.jsonl.xz",):  # build 2's single compressed train file; shards replace it
        if os.path.exists(os.path.join(OUT, old)):
            os.remove(os.path.join(OUT, old))
    comp = {}
    shard_index = None
    if not args.no_compress:
        log("compressing heldout (xz -%d -T2) ..." % args.xz_level)
        sz, tmp, dst = xz_compress(held_path, args.xz_level)
        os.replace(tmp, dst)
        comp[os.path.basename(dst)] = sz
        shard_index = write_shards(train, args.xz_level)

    # 7. manifest
    s = stats(kept)
    shard_of = {p: i for i, x in enumerate(shard_index["shards"]) for p in x["packages"]} if shard_index else {}
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
            "heldout": "the packages pinned in heldout_packages.txt (build 2's set: sha1(name) %% %d == 0, plus packages in sha1 order until >= 1.5 MiB per language and >= 5 MiB total); build-3 packages of the same projects are left out" % HELDOUT_MOD,
            "build3_generated_header": GENERATED_HEAD.pattern,
            "build3_minified": "whitespace < 5%% of a file over 1000 chars, or >= 3 lines matching %s" % MINIFIED_PY.pattern,
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
        "shards": ({"index": "models/corpus/shards.json", "count": len(shard_index["shards"]),
                    "cap_bytes": shard_index["cap_bytes"],
                    "xz_bytes": [x["xz_bytes"] for x in shard_index["shards"]]}
                   if shard_index else None),
        "packages": [
            dict({"source": r["source"], "name": r["name"], "version": r["version"],
                  "license": r["license"], "split": r["split"], "files": len(r["files"]),
                  "bytes": sum(pkg_bytes(r).values()),
                  "bytes_by_lang": {l: b for l, b in pkg_bytes(r).items() if b},
                  "list": "build3" if r["build3"] else "build2"},
                 **({"shard": shard_of[r["pkg"]]} if r["pkg"] in shard_of else {}))
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
