#!/usr/bin/env python3
"""One-off helper used to choose the pinned package lists (not needed to rebuild).

  select_packages.py npm-candidates TSV   popular npm names (name, version, downloads/month
                                          table) -> .corpus/select/npm_candidates.tsv
  select_packages.py npm-analyze          download + filter every candidate with the same
                                          code as build_corpus.py -> .corpus/select/npm_analysis.jsonl
  select_packages.py deb-analyze NAMES    same for Debian packages (current candidate versions)
                                          -> .corpus/select/deb_analysis.jsonl

The final lists (npm_packages.txt, debian_packages.txt) were then written from the
analyses, in priority order (see README.md).
"""

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


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "npm-candidates":
        npm_candidates(sys.argv[2])
    elif cmd == "npm-analyze":
        npm_analyze()
    elif cmd == "deb-analyze":
        deb_analyze(sys.argv[2])
