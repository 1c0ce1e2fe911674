#!/usr/bin/env python3
"""One-off helper used to choose the pinned package lists (not needed to rebuild).

  select_packages.py npm-candidates TSV   popular npm names (name, version, downloads/month
                                          table) -> .corpus/select/npm_candidates.tsv
  select_packages.py npm-candidates2 TSV  second round: scopes/packages that tend to publish
                                          their TypeScript sources (appended)
  select_packages.py npm-analyze          download + filter every candidate with the same
                                          code as build_corpus.py -> .corpus/select/npm_analysis.jsonl
  select_packages.py deb-analyze NAMES    same for Debian packages (current candidate versions)
                                          -> .corpus/select/deb_analysis.jsonl

  select_packages.py select DEB_NAMES     pick from the analyses and write npm_packages.txt,
                                          debian_packages.txt and rejected_candidates.tsv
"""

import collections
import concurrent.futures as cf
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import build_corpus as bc  # noqa: E402

SEL = os.path.join(bc.OUT, "select")

# npm name patterns for ecosystems that ship TypeScript sources or plenty of real code
ECOSYSTEMS = re.compile(r"^(" + "|".join([
    r"d3-", r"@vscode/", r"vscode-", r"@typescript-eslint/", r"typescript", r"ts-", r"@ts-morph/",
    r"prettier", r"eslint", r"@eslint/", r"@rxjs/", r"rxjs", r"zod", r"date-fns", r"lodash-es",
    r"yargs", r"commander", r"express", r"body-parser", r"cookie-", r"koa", r"@koa/",
    r"fastify", r"@fastify/", r"@reduxjs/", r"redux", r"immer", r"typeorm", r"three", r"vue",
    r"@vue/", r"@vueuse/", r"svelte", r"@sveltejs/", r"@angular/", r"@nestjs/", r"@tanstack/",
    r"@trpc/", r"effect", r"@effect/", r"fp-ts", r"io-ts", r"@codemirror/", r"@lezer/",
    r"prosemirror-", r"@tiptap/", r"@apollo/", r"graphql", r"@graphql-tools/", r"@octokit/",
    r"@sinclair/", r"valibot", r"hono", r"@hono/", r"drizzle-", r"kysely", r"mobx", r"xstate",
    r"@xstate/", r"@floating-ui/", r"preact", r"solid-js", r"lit", r"@lit/", r"pinia", r"vite",
    r"@vitejs/", r"vitest", r"@vitest/", r"rollup", r"@rollup/", r"webpack", r"@babel/",
    r"typedoc", r"@microsoft/", r"@azure/", r"@opentelemetry/", r"socket\.io", r"undici",
    r"pino", r"winston", r"@mui/", r"chart\.js", r"@turf/", r"leaflet", r"pixi", r"@pixi/",
    r"jest", r"@jest/", r"mocha", r"chai", r"sinon", r"@sinonjs/", r"inversify", r"class-",
    r"mongoose", r"mongodb", r"sequelize", r"knex", r"prisma", r"@prisma/", r"ioredis", r"pg",
    r"mysql2", r"axios", r"got", r"ky", r"ofetch", r"node-fetch", r"cheerio", r"htmlparser2",
    r"parse5", r"jsdom", r"marked", r"markdown-it", r"remark", r"rehype", r"unified", r"micromark",
    r"mdast-", r"hast-", r"unist-", r"@types/", r"@ngrx/", r"ngx-", r"@nx/", r"nx", r"@swc/helpers",
    r"@angular-devkit/", r"@schematics/", r"@remix-run/", r"react-router", r"@react-aria/",
    r"@react-stately/", r"@internationalized/", r"@formatjs/", r"i18next", r"luxon", r"dayjs",
    r"moment", r"ajv", r"joi", r"yup", r"superstruct", r"@hapi/", r"@sideway/", r"openai",
    r"@anthropic-ai/", r"@langchain/", r"langchain", r"@modelcontextprotocol/", r"@smithy/",
    r"tslib", r"@algolia/", r"algoliasearch", r"@stoplight/", r"@apidevtools/", r"yaml",
    r"js-yaml", r"@iarna/", r"toml", r"@ltd/", r"chokidar", r"execa", r"zx", r"ink",
    r"@oclif/", r"oclif", r"inquirer", r"@inquirer/", r"enquirer", r"ora", r"listr",
    r"@changesets/", r"semver", r"@npmcli/", r"npm-", r"pacote", r"node-gyp", r"esbuild-",
    r"@esbuild-plugins/", r"postcss", r"tailwind", r"@tailwindcss/", r"autoprefixer", r"less",
    r"sass", r"stylus", r"css-", r"csstype", r"@emotion/", r"styled-", r"@stitches/",
    r"@stencil/", r"@ionic/", r"@capacitor/", r"@nuxt/", r"nuxt", r"@nestjs/", r"next-",
    r"@next/", r"@auth/", r"next-auth", r"@clerk/", r"@supabase/", r"firebase", r"@firebase/",
    r"@google-cloud/", r"googleapis", r"google-auth-library", r"gaxios", r"@grpc/", r"protobufjs",
    r"@protobufjs/", r"@bufbuild/", r"long", r"bn\.js", r"ethers", r"@ethersproject/", r"viem",
    r"web3", r"@noble/", r"@scure/", r"tweetnacl", r"jose", r"jsonwebtoken", r"passport",
    r"bcryptjs", r"uuid", r"nanoid", r"immutable", r"ramda", r"rambda", r"remeda", r"radash",
    r"es-toolkit", r"@sindresorhus/", r"p-", r"got", r"@szmarczak/", r"eventemitter3",
    r"mitt", r"nanoevents", r"rxdb", r"dexie", r"idb", r"localforage", r"@apollo/",
    r"urql", r"@urql/", r"relay-", r"react-query", r"swr", r"zustand", r"jotai", r"valtio",
    r"recoil", r"@headlessui/", r"@heroicons/", r"@radix-ui/", r"framer-motion", r"motion",
    r"@react-spring/", r"react-hook-form", r"@hookform/", r"formik", r"final-form",
    r"react-final-form", r"slate", r"lexical", r"@lexical/", r"quill", r"@ckeditor/",
    r"monaco-", r"@monaco-editor/", r"xterm", r"@xterm/", r"pdfjs-dist", r"pdf-lib", r"jspdf",
    r"exceljs", r"xlsx", r"papaparse", r"csv-", r"fast-csv", r"@fast-csv/", r"handlebars",
    r"mustache", r"ejs", r"pug", r"nunjucks", r"liquidjs", r"@lit-labs/", r"@open-wc/",
    r"@web/", r"@polymer/", r"playwright", r"@playwright/", r"puppeteer", r"cypress",
    r"@testing-library/", r"msw", r"@mswjs/", r"nock", r"supertest", r"superagent",
    r"ava", r"tap", r"uvu", r"@vue/", r"@volar/", r"vue-", r"@angular/", r"@nestjs/",
    r"@mikro-orm/", r"@typegoose/", r"objection", r"bookshelf", r"@electric-sql/",
    r"@libsql/", r"better-sqlite3", r"sql\.js", r"@sqlite\.org/", r"@duckdb/",
    r"node-cron", r"cron", r"bull", r"bullmq", r"agenda", r"amqplib", r"kafkajs",
    r"@aws-sdk/client-s3", r"@aws-sdk/lib-", r"aws-cdk-lib", r"constructs", r"@pulumi/",
    r"@octokit/", r"probot", r"@actions/", r"@changesets/", r"lerna", r"@lerna/",
    r"turbo", r"@turbo/", r"@rushstack/", r"@microsoft/api-extractor", r"@microsoft/tsdoc",
    r"@typescript/", r"@definitelytyped/", r"dts-", r"tsup", r"tsx", r"@swc/", r"sucrase",
    r"esbuild-register", r"@esbuild-kit/", r"jiti", r"unbuild", r"mkdist", r"rollup-plugin-",
    r"@rollup/", r"magic-string", r"acorn", r"espree", r"esprima", r"estraverse", r"esquery",
    r"esutils", r"escodegen", r"recast", r"ast-types", r"@babel/", r"babel-plugin-",
    r"source-map", r"terser", r"uglify", r"csso", r"svgo", r"sharp", r"jimp", r"@jimp/",
    r"color", r"chroma-js", r"tinycolor2", r"polished", r"@ctrl/", r"d3", r"@visx/",
    r"recharts", r"victory", r"echarts", r"zrender", r"plotly", r"vega", r"@observablehq/",
    r"@deck\.gl/", r"deck\.gl", r"mapbox-gl", r"maplibre-gl", r"@maplibre/", r"@mapbox/",
    r"ol", r"cesium", r"@babylonjs/", r"babylonjs", r"phaser", r"matter-js", r"cannon-es",
    r"@react-three/", r"gl-matrix", r"regl", r"twgl", r"ogl",
]) + r")")
PLATFORM = re.compile(r"(linux|darwin|win32|windows|android|freebsd|openbsd|sunos|x64|arm64|"
                      r"ia32|musl|wasm32|-gnu|-msvc|binary|prebuilt|@esbuild/|@img/|"
                      r"@rollup/rollup-|@swc/core-|@next/swc|lightningcss-|@parcel/watcher-|"
                      r"@biomejs/cli-|@oxc-|@rspack/binding|turbo-)", re.I)


def npm_candidates(tsv):
    rows = []
    with open(tsv) as f:
        next(f)
        for line in f:
            p = line.rstrip("\n").split("\t")
            if len(p) < 3:
                continue
            try:
                rows.append((p[0], p[1], int(p[2])))
            except ValueError:
                continue
    rows.sort(key=lambda r: -r[2])
    out, seen = [], set()
    types = 0
    for name, ver, dl in rows:
        if PLATFORM.search(name) or name in seen or not re.match(r"^\d+\.\d+\.\d+$", ver):
            continue
        top = len(out) < 1500 and dl >= 2_000_000
        eco = ECOSYSTEMS.match(name) and dl >= 40_000
        if name.startswith("@types/"):
            if types >= 200 or dl < 1_000_000:
                continue
            types += 1
        if top or eco:
            seen.add(name)
            out.append((name, ver, dl))
        if len(out) >= 4000:
            break
    os.makedirs(SEL, exist_ok=True)
    with open(os.path.join(SEL, "npm_candidates.tsv"), "w") as f:
        for r in out:
            f.write("%s\t%s\t%d\n" % r)
    print(len(out), "candidates")

# Second round: scopes / packages likely to publish their TypeScript sources
TS_SCOPES = re.compile(r"^@(effect|tanstack|tiptap|lexical|docusaurus|wagmi|solana|noble|scure|supabase|"
    r"azure|azure-rest|react-aria|react-spectrum|react-stately|react-types|internationalized|xterm|trpc|"
    r"mswjs|ethersproject|apollo|urql|remix-run|react-router|coral-xyz|metamask|walletconnect|reown|"
    r"chakra-ui|solid-primitives|lit-labs|nanostores|preact|microsoft|vscode|fluentui|glimmer|ember|"
    r"codemirror|lezer|xstate|statelyai|zag-js|ark-ui|mantine|lit|shikijs|unocss|vue-macros|volar|"
    r"vitest|storybook|graphql-codegen|graphql-tools|envelop|graphql-yoga|whatwg-node|pothos|prisma|"
    r"mikro-orm|sapphire|discordjs|octokit|cloudflare|aws-amplify|firebase|angular|ionic|capacitor|"
    r"nativescript|ngrx|stencil|builder\.io|qwik|solidjs|astrojs|tauri-apps|electron|jsonforms|rjsf|"
    r"tsparticles|turf|deck\.gl|loaders\.gl|math\.gl|luma\.gl|visx|nivo|uppy|dnd-kit|use-gesture|"
    r"react-spring|react-three|pmndrs|headlessui|vueuse|nuxt|nuxtjs|sveltejs|melt-ui|ai-sdk|langchain|"
    r"modelcontextprotocol|mastra|openai|google|bufbuild|connectrpc|grpc|protobuf-ts|opentelemetry|"
    r"sentry|datadog|slack|hono|fastify|nestjs|typegoose|typespec|autorest|azure-tools|changesets|"
    r"manypkg|rushstack|eslint-community|stylistic|angular-eslint|nx|module-federation|rspack|umijs|"
    r"ant-design|antv|ckeditor|blocknote|milkdown|udecode|excalidraw|pixi|babylonjs|effect-ts|"
    r"sinclair|inversifyjs|loopback|feathersjs|adonisjs|ts-rest|zodios|orpc|hey-api|kubb|orval|"
    r"redocly|scalar|stoplight|apidevtools|readme|mermaid-js|vercel|neondatabase|libsql|electric-sql|"
    r"upstash|inngest|temporalio|liveblocks|hocuspocus|automerge|rocicorp|legendapp)/")
TS_NAMES = re.compile(r"^(effect|viem|ox|abitype|wagmi|valibot|arktype|ts-pattern|type-fest|ts-essentials|"
    r"utility-types|fp-ts|io-ts|monocle-ts|purify-ts|neverthrow|true-myth|typebox|superjson|devalue|"
    r"seroval|hono|elysia|itty-router|kysely|drizzle-orm|remeda|es-toolkit|radash|ts-morph|ts-toolbelt|"
    r"tslog|consola|citty|unstorage|ofetch|h3|nitropack|unimport|unplugin|magicast|pathe|ufo|defu|"
    r"hookable|scule|mlly|pkg-types|c12|giget|nypm|ohash|unenv|destr|cookie-es|radix3|rou3|crossws|"
    r"birpc|vite-node|tinyspy|tinybench|tinypool|loupe|msw|graphql-ws|graphql-sse|graphql-http|urql|"
    r"wonka|solid-js|lit|lit-html|lit-element|preact|nanostores|zustand|jotai|valtio|xstate|mobx|immer|"
    r"mutative|rxjs|ix|most|xstream|ramda|lodash-es|date-fns|luxon|dayjs|temporal-polyfill|chrono-node|"
    r"rrule|cron-parser|croner|yaml|smol-toml|jsonc-parser|json5|ajv|zod|yup|joi|superstruct|runtypes|"
    r"class-validator|class-transformer|reflect-metadata|inversify|tsyringe|typedi|awilix|mongodb|"
    r"mongoose|pg|postgres|mysql2|ioredis|redis|bullmq|kafkajs|amqplib|nats|mqtt|ws|undici|axios|got|ky|"
    r"openai|groq-sdk|cohere-ai|replicate|ollama|langchain|llamaindex|ai|maplibre-gl|mapbox-gl|leaflet|"
    r"ol|cesium|three|postprocessing|three-mesh-bvh|camera-controls|maath|pixi\.js|phaser|matter-js|"
    r"planck|cannon-es|excalibur|kaplay|babylonjs|playcanvas|p5|tone|howler|wavesurfer\.js|hls\.js|"
    r"dashjs|shaka-player|video\.js|plyr|pdfjs-dist|pdf-lib|jspdf|pdfmake|docx|exceljs|papaparse|d3|"
    r"vega|vega-lite|chart\.js|echarts|zrender|apexcharts|uplot|lightweight-charts|recharts|victory|"
    r"mermaid|cytoscape|sigma|graphology.*|vis-network|konva|fabric|paper|two\.js|gsap|animejs|motion|"
    r"framer-motion|popmotion|lottie-web|xterm|monaco-editor|codemirror|prismjs|highlight\.js|shiki|"
    r"marked|markdown-it|remark|unified|micromark|mdast-util-.*|hast-util-.*|unist-util-.*|rehype-.*|"
    r"remark-.*|turndown|dompurify|sanitize-html|linkifyjs|i18next|react-i18next|vue-i18n|"
    r"intl-messageformat|messageformat|typesafe-i18n|lingui)$")
SKIP_SCOPES = re.compile(r"^@(aws-sdk|aws-cdk|smithy|cdktf|pulumi|types)/")


def npm_candidates2(tsv, per_scope=40, limit=2200):
    have = set(l.split("\t")[0] for l in open(os.path.join(SEL, "npm_candidates.tsv")))
    rows = []
    with open(tsv) as f:
        next(f)
        for line in f:
            p = line.rstrip("\n").split("\t")
            if len(p) < 3 or p[0] in have or PLATFORM.search(p[0]) or SKIP_SCOPES.match(p[0]):
                continue
            try:
                dl = int(p[2])
            except ValueError:
                continue
            if dl >= 3000 and re.match(r"^\d+\.\d+\.\d+$", p[1]) and (
                    TS_SCOPES.match(p[0]) or TS_NAMES.match(p[0])):
                rows.append((p[0], p[1], dl))
    rows.sort(key=lambda r: -r[2])
    per, out = {}, []
    for r in rows:
        sc = r[0].split("/")[0] if r[0].startswith("@") else ""
        if sc and per.get(sc, 0) >= per_scope:
            continue
        per[sc] = per.get(sc, 0) + 1
        out.append(r)
    out = out[:limit]
    with open(os.path.join(SEL, "npm_candidates.tsv"), "a") as f:
        for r in out:
            f.write("%s\t%s\t%d\n" % r)
    print(len(out), "more candidates")



def summarize(rec):
    b = bc.pkg_bytes(rec) if not rec.get("reject") else {}
    dts = sum(len(x["text"].encode()) for x in rec.get("files", ()) if bc.is_dts(x["path"]))
    return {"name": rec["name"], "version": rec["version"], "license": rec.get("license"),
            "reject": rec.get("reject"), "ts_source": rec.get("ts_source"),
            "files": len(rec.get("files", ())), "bytes": dict(b), "dts": dts,
            "skipped": rec.get("skipped")}


def npm_analyze():
    cands = []
    with open(os.path.join(SEL, "npm_candidates.tsv")) as f:
        for line in f:
            n, v, dl = line.rstrip("\n").split("\t")
            cands.append((n, v, int(dl)))
    done = {}
    outp = os.path.join(SEL, "npm_analysis.jsonl")
    if os.path.exists(outp):
        for line in open(outp):
            r = json.loads(line)
            done[(r["name"], r["version"])] = r
    todo = [c for c in cands if (c[0], c[1]) not in done]
    print(len(todo), "to analyze", flush=True)
    with cf.ThreadPoolExecutor(8) as ex:
        for i, _ in enumerate(ex.map(lambda c: bc.npm_fetch(c[0], c[1]), todo), 1):
            if i % 100 == 0:
                bc.log("downloaded %d/%d" % (i, len(todo)))
    with cf.ProcessPoolExecutor(2) as ex, open(outp, "a") as fo:
        futs = {ex.submit(bc.process_npm, n, v): dl for n, v, dl in todo}
        for i, f in enumerate(cf.as_completed(futs), 1):
            s = summarize(f.result())
            s["downloads"] = futs[f]
            fo.write(json.dumps(s) + "\n")
            if i % 200 == 0:
                bc.log("analyzed %d/%d" % (i, len(todo)))


def deb_analyze(names_file):
    names = [l.strip() for l in open(names_file) if l.strip()]
    specs = []
    r = subprocess.run(["apt-cache", "policy"] + names, stdout=subprocess.PIPE, text=True)
    for m in re.finditer(r"^(\S+):\n\s+Installed:.*\n\s+Candidate:\s*(\S+)", r.stdout, re.M):
        if m.group(2) != "(none)":
            specs.append((m.group(1), m.group(2)))
    print(len(specs), "debian candidates", flush=True)
    errs = bc.deb_fetch_all(specs)
    with cf.ProcessPoolExecutor(2) as ex, open(os.path.join(SEL, "deb_analysis.jsonl"), "w") as fo:
        for rec in ex.map(bc.process_deb, [n for n, v in specs], [v for n, v in specs],
                          [errs.get(n) for n, v in specs]):
            fo.write(json.dumps(summarize(rec)) + "\n")


# ----------------------------------------------------------------------------- picking

MiB = 1 << 20
NPM_SKIP = {  # generated or data-heavy: API typings, icon sets, locale data, bundles
    "googleapis", "aws-cdk-lib", "@pulumi/aws", "@formatjs/intl-displaynames",
    "@formatjs/intl-listformat", "@mui/icons-material", "lucide-react", "@heroicons/react",
    "next", "firebase-tools", "es-abstract", "@mui/x-charts", "core-js", "core-js-pure"}
DEB_SKIP = {"python3-plotly"}  # generated validator classes
DEB_LATER = set("""python3-mne python3-nipype python3-dipy python3-galpy python3-sunpy
    python3-astroquery python3-photutils python3-pydicom python3-nibabel python3-vispy
    python3-tables python3-xarray python3-biopython python3-skimage python3-numba python3-pysam
    python3-pyfaidx python3-reproject python3-pyvo python3-emcee python3-lmfit
    python3-uncertainties python3-meshio python3-pyrr python3-pywt python3-resampy
    python3-soundfile python3-audioread python3-mido python3-pydub python3-pyproj
    python3-geopandas python3-boto python3-openstacksdk python3-novaclient python3-keystoneauth1
    python3-mpmath python3-dask python3-distributed python3-llvmlite python3-pyrle python3-onnx
    python3-capstone python3-jieba python3-pint python3-cobra python3-sklearn python3-seaborn
    python3-altair python3-patsy python3-healpy python3-iminuit""".split())


def npm_select(ts_target=150, js_target=92, max_n=1000):
    """TS-source packages (most downloaded first) up to ~ts_target MiB of TypeScript, the
    most-used @types up to ~9%, then the most downloaded packages with >= 48 KiB of JS."""
    rs = [json.loads(l) for l in open(os.path.join(SEL, "npm_analysis.jsonl"))]
    ok = [r for r in rs if not r["reject"]]
    ts = lambda r: r["bytes"].get("typescript", 0)
    js = lambda r: r["bytes"].get("javascript", 0)
    tot = lambda r: sum(r["bytes"].values())
    real_ts = lambda r: ts(r) - r["dts"]

    def bad(r):
        return (r["name"] in NPM_SKIP or tot(r) > 8 * MiB or r["name"].startswith("@types/")
                or (r["dts"] > 2 * MiB and r["dts"] > 0.8 * tot(r))  # generated typings
                or r["name"].startswith("@azure/arm-"))
    cands = sorted([r for r in ok if not bad(r)], key=lambda r: -r["downloads"])
    got, sel = {"typescript": 0, "javascript": 0}, []

    def add(r):
        sel.append(r)
        for k in got:
            got[k] += r["bytes"].get(k, 0)
    for r in [r for r in cands if r["ts_source"] and real_ts(r) >= 12 * 1024]:
        if got["typescript"] >= (ts_target - 12) * MiB:
            break
        add(r)
    types = 0
    for r in sorted([r for r in ok if r["name"].startswith("@types/")], key=lambda r: -r["downloads"]):
        if types > min(12 * MiB, 0.09 * ts_target * MiB):
            break
        if 8192 <= ts(r) <= 3 * MiB:
            add(r)
            types += ts(r)
    names = {r["name"] for r in sel}
    for r in cands:
        if r["name"] in names or js(r) < 48 * 1024 or r["ts_source"]:
            continue
        if got["javascript"] >= js_target * MiB or len(sel) >= max_n:
            break
        add(r)
    sel.sort(key=lambda r: -r["downloads"])
    with open(os.path.join(bc.HERE, "npm_packages.txt"), "w") as f:
        f.write("# npm packages (name@version), most downloaded first; python3 build_corpus.py reads them.\n"
                "# Chosen with select_packages.py (see README.md): permissive license, real source in the tarball.\n")
        for r in sel:
            f.write("%s@%s\n" % (r["name"], r["version"]))
    print(len(sel), "npm packages", {k: round(v / MiB, 1) for k, v in got.items()})


def deb_select(candidates, py_target=94):
    rs = [json.loads(l) for l in open(os.path.join(SEL, "deb_analysis.jsonl"))]
    order = [l.strip() for l in open(candidates) if l.strip()]
    ok = {r["name"]: r for r in rs if not r["reject"]}
    first = [n for n in order if n in ok and n not in DEB_SKIP and n not in DEB_LATER]
    later = [n for n in order if n in ok and n not in DEB_SKIP and n in DEB_LATER]
    sel, cum = [], 0
    for n in first + later:
        if cum >= py_target * MiB:
            break
        sel.append(n)
        cum += ok[n]["bytes"].get("python", 0)
    with open(os.path.join(bc.HERE, "debian_packages.txt"), "w") as f:
        f.write("# Debian bookworm packages (name=version), in priority order (last = dropped first if the\n"
                "# compressed corpus is too big). Chosen with select_packages.py deb-analyze: permissive\n"
                "# copyright only, general-purpose libraries first (see README.md).\n")
        for n in sel:
            f.write("%s=%s\n" % (n, ok[n]["version"]))
    print(len(sel), "debian packages", round(cum / MiB, 1), "MiB")


def write_rejected():
    rows = []
    for src, fn in (("npm", "npm_analysis.jsonl"), ("debian", "deb_analysis.jsonl")):
        seen = set()
        for l in open(os.path.join(SEL, fn)):
            r = json.loads(l)
            if r["reject"] and r["name"] not in seen:
                seen.add(r["name"])
                rows.append((src, r["name"], r["version"], (r.get("license") or "").replace("\t", " "),
                             r["reject"].replace("\t", " ")))
    rows.sort()
    with open(bc.REJECTED_CANDIDATES, "w") as f:
        f.write("# Candidates examined by select_packages.py and rejected (source, name, version, license, reason)\n")
        for r in rows:
            f.write("\t".join(r) + "\n")


# ----------------------------------------------------------------------------- build 3
# Build 3 appends two lists (npm_packages_3.txt, debian_packages_3.txt) read after the build-2
# lists, so every build-2 package keeps its files and the held-out set stays the same.

NPM_TSV = "/work/.library/env/packages/npm.tsv"  # name, version, downloads a month


def norm_project(source, name):
    """Project key used to keep one copy of a project and to keep held-out projects out."""
    n = name.lower()
    if source == "debian":
        n = re.sub(r"^(python3|node)-", "", n)
    n = n.lstrip("@").replace("/", "-")
    return re.sub(r"[._]", "-", n)


def heldout_keys():
    return {norm_project(s, n) for s, n in bc.read_heldout_list()}


def npm_candidates3(tsv=NPM_TSV, limit=12000):
    listed = {n for n, v in bc.read_list(bc.NPM_LIST, "@")}
    rej = {l.split("\t")[1] for l in open(bc.REJECTED_CANDIDATES) if not l.startswith("#")}
    held = heldout_keys()
    rows = []
    with open(tsv) as f:
        next(f)
        for line in f:
            p = line.rstrip("\n").split("\t")
            if len(p) < 3:
                continue
            try:
                rows.append((p[0], p[1], int(p[2])))
            except ValueError:
                continue
    rows.sort(key=lambda r: (-r[2], r[0]))
    out = []
    for name, ver, dl in rows:
        if (name in listed or name in rej or name.startswith("@types/") or name in NPM_SKIP
                or PLATFORM.search(name) or not re.match(r"^\d+\.\d+\.\d+$", ver)
                or norm_project("npm", name) in held):
            continue
        out.append((name, ver, dl))
        if len(out) >= limit:
            break
    os.makedirs(SEL, exist_ok=True)
    with open(os.path.join(SEL, "npm_candidates3.tsv"), "w") as f:
        for r in out:
            f.write("%s\t%s\t%d\n" % r)
    print(len(out), "npm candidates (build 3)")


def deb_candidates3(max_size=60 * MiB):
    """Every bookworm python3-* and node-* package not in the build-2 list (no -dbg/-doc)."""
    listed = {n for n, v in bc.read_list(bc.DEB_LIST, "=")}
    held = heldout_keys()
    names = subprocess.run(["apt-cache", "pkgnames", "python3-"], stdout=subprocess.PIPE, text=True).stdout.split()
    names += subprocess.run(["apt-cache", "pkgnames", "node-"], stdout=subprocess.PIPE, text=True).stdout.split()
    names = sorted(set(n for n in names if n not in listed and not re.search(r"-(dbg|doc|dev)$", n)
                       and norm_project("debian", n) not in held))
    r = subprocess.run(["apt-cache", "show", "--no-all-versions"] + names, stdout=subprocess.PIPE, text=True)
    out = []
    for para in r.stdout.split("\n\n"):
        f = dict(re.findall(r"^([A-Za-z-]+): (.*)$", para, re.M))
        if "Package" not in f or not f.get("Filename", "").startswith("pool/"):
            continue
        if int(f.get("Size", 0)) > max_size:
            continue
        out.append((f["Package"], f["Version"]))
    out = sorted(set(out))
    os.makedirs(SEL, exist_ok=True)
    with open(os.path.join(SEL, "deb_candidates3.txt"), "w") as fo:
        for n, v in out:
            fo.write("%s=%s\n" % (n, v))
    print(len(out), "debian candidates (build 3)")


def analyze3(jobs=24, workers=3):
    """Download and filter every build-3 candidate (strict filters) -> *_analysis3.jsonl."""
    npm = [l.rstrip("\n").split("\t") for l in open(os.path.join(SEL, "npm_candidates3.tsv"))]
    deb = bc.read_list(os.path.join(SEL, "deb_candidates3.txt"), "=")
    outn = os.path.join(SEL, "npm_analysis3.jsonl")
    outd = os.path.join(SEL, "deb_analysis3.jsonl")
    done = set()
    for fn in (outn, outd):
        if os.path.exists(fn):
            for line in open(fn):
                r = json.loads(line)
                done.add((r["name"], r["version"]))
    npm = [c for c in npm if (c[0], c[1]) not in done]
    deb = [c for c in deb if c not in done]
    bc.log("%d npm, %d debian to analyze" % (len(npm), len(deb)))
    with cf.ThreadPoolExecutor(jobs) as ex:
        for i, _ in enumerate(ex.map(lambda c: bc.npm_fetch(c[0], c[1]), npm), 1):
            if i % 500 == 0:
                bc.log("npm downloaded %d/%d" % (i, len(npm)))
    with cf.ProcessPoolExecutor(workers) as ex:
        with open(outn, "a") as fo:
            futs = {ex.submit(bc.process_npm, n, v, True): int(dl) for n, v, dl in npm}
            for i, f in enumerate(cf.as_completed(futs), 1):
                s = summarize(f.result())
                s["downloads"] = futs[f]
                fo.write(json.dumps(s) + "\n")
                if i % 1000 == 0:
                    bc.log("npm analyzed %d/%d" % (i, len(npm)))
        errs = bc.deb_fetch_all(deb)
        bc.log("debian downloads done")
        with open(outd, "a") as fo:
            for i, s in enumerate(ex.map(lambda_deb, deb, [errs.get(n) for n, v in deb], chunksize=8), 1):
                fo.write(json.dumps(s) + "\n")
                if i % 500 == 0:
                    bc.log("debian analyzed %d/%d" % (i, len(deb)))
    bc.log("analysis done")


# Build 3 leaves out, besides everything npm_select / deb_select leave out: generated SDK clients,
# icon sets, locale / data tables, typings-only packages, and packages over 4 MiB.
NPM3_SKIP = re.compile(r"^@(aws-sdk|aws-cdk|smithy|cdktf|pulumi|types|azure|google-cloud|datadog|"
                       r"icons|fortawesome|tabler|iconify|iconify-json|phosphor-icons|mdi)/|icons?\b|emoji|"
                       r"flags?\b|locale|cldr|tzdata|timezone|mime-db|caniuse|country|countries|"
                       r"-data$|^aws-sdk$|^twilio$|googleapis|^@octokit/openapi|openapi-types|"
                       r"unicode-\d|^es-abstract|^core-js|^@babel/runtime|^regenerate-unicode|^figlet$|^hyphen$", re.I)
DEB3_SKIP = re.compile(r"^python3-(azure|plotly|botocore|dynaconf|boto3|googleapi|mypy-boto3|pyqt|pyside|"
                       r"vtk|gi-|openstack-doc)|^node-(lodash-packages|mathjax|pdfjs|three|ace-builds|"
                       r"typescript$|typescript-types$)")


def select3(npm_mib=440, deb_mib=400, max_pkg=4 * MiB):
    """Pick build-3 packages from the analyses (strict filters): npm packages shipping real
    TypeScript sources, then the rest by downloads, until ~npm_mib of source, Debian smallest first (breadth over a few big monoliths) until ~deb_mib; skip
    projects already taken (build-2 lists, held-out, npm `x` vs Debian `node-x`). Write the *_3.txt
    lists; append the candidates rejected by the filters to rejected_candidates.tsv."""
    taken = {norm_project("npm", n) for n, v in bc.read_list(bc.NPM_LIST, "@")}
    taken |= {norm_project("debian", n) for n, v in bc.read_list(bc.DEB_LIST, "=")}
    taken |= heldout_keys()
    taken |= {norm_project("npm", n) for n in NPM_SKIP}  # their Debian node-* copies neither
    rn = [json.loads(l) for l in open(os.path.join(SEL, "npm_analysis3.jsonl"))]
    rd = [json.loads(l) for l in open(os.path.join(SEL, "deb_analysis3.jsonl"))]
    tot = lambda r: sum(r["bytes"].values())

    def bad_npm(r):
        return (r["name"] in NPM_SKIP or NPM3_SKIP.search(r["name"]) or tot(r) > max_pkg or tot(r) < 1024
                or (r["dts"] > 512 * 1024 and r["dts"] > 0.5 * tot(r)) or r["name"].startswith("@azure/arm-"))
    npm_sel, deb_sel, cum = [], [], 0
    real_ts = lambda r: r["bytes"].get("typescript", 0) - r["dts"]
    ts_first = lambda r: (not (r["ts_source"] and real_ts(r) >= 4096), -r["downloads"], r["name"])
    for r in sorted(rn, key=ts_first):  # packages shipping real TypeScript first, then by downloads
        k = norm_project("npm", r["name"])
        if r["reject"] or bad_npm(r) or k in taken:
            continue
        if cum >= npm_mib * MiB:
            break
        taken.add(k)
        npm_sel.append(r)
        cum += tot(r)
    cum = 0
    for r in sorted(rd, key=lambda r: (tot(r), r["name"])):
        k = norm_project("debian", r["name"])
        if (r["reject"] or r["name"] in DEB_SKIP or DEB3_SKIP.search(r["name"]) or k in taken
                or tot(r) < 1024 or tot(r) > 2 * max_pkg):
            continue
        if cum >= deb_mib * MiB:
            break
        taken.add(k)
        deb_sel.append(r)
        cum += tot(r)
    npm_sel.sort(key=lambda r: (-r["downloads"], r["name"]))
    deb_sel.sort(key=lambda r: r["name"])
    with open(bc.NPM_LIST3, "w") as f:
        f.write("# Build 3: more npm packages (name@version), most downloaded first, read after the build-2\n"
                "# lists. Chosen with select_packages.py select3 (see README.md).\n")
        for r in npm_sel:
            f.write("%s@%s\n" % (r["name"], r["version"]))
    with open(bc.DEB_LIST3, "w") as f:
        f.write("# Build 3: more Debian bookworm python3-* and node-* packages (name=version), read after\n"
                "# the other lists. Chosen with select_packages.py select3 (see README.md).\n")
        for r in deb_sel:
            f.write("%s=%s\n" % (r["name"], r["version"]))
    lines = list(open(bc.REJECTED_CANDIDATES))
    have = set(lines)
    new = set()
    for src, rs in (("npm", rn), ("debian", rd)):
        for r in rs:
            if r["reject"]:
                new.add("\t".join([src, r["name"], r["version"], (r.get("license") or "").replace("\t", " "),
                                   r["reject"].replace("\t", " ")]) + "\n")
    with open(bc.REJECTED_CANDIDATES, "w") as f:
        f.writelines(lines)
        f.writelines(sorted(new - have))
    for name, sel in (("npm", npm_sel), ("debian", deb_sel)):
        b = collections.Counter()
        for r in sel:
            b.update(r["bytes"])
        print(len(sel), name, {k: round(v / MiB, 1) for k, v in b.items()})

def lambda_deb(nv, err):
    return summarize(bc.process_deb(nv[0], nv[1], err, True))


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "npm-candidates":
        npm_candidates(sys.argv[2])
    elif cmd == "npm-candidates2":
        npm_candidates2(sys.argv[2])
    elif cmd == "npm-analyze":
        npm_analyze()
    elif cmd == "deb-analyze":
        deb_analyze(sys.argv[2])
    elif cmd == "npm-candidates3":
        npm_candidates3()
    elif cmd == "deb-candidates3":
        deb_candidates3()
    elif cmd == "analyze3":
        analyze3()
    elif cmd == "select3":
        select3()
    elif cmd == "select":  # select DEB_CANDIDATES_FILE: write both lists + rejected_candidates.tsv
        npm_select()
        deb_select(sys.argv[2])
        write_rejected()
