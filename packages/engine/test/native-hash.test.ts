import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { tensorRoot, toHex } from "@refereed/core";
import { FastHasher, nativeTree, nativeTreeStatus, selfCheck, type NativeTree } from "../src/index.js";
import { testValues } from "./helpers.js";

const status = nativeTreeStatus();
// skipped only where the module is absent or unusable here (no compiler, no SHA-NI, switched off); a module that was
// built and fails its self-check fails the first test instead
const skip = status.loaded || status.reason === "self-check" ? false : `native tree: ${status.detail}`;

test("the native tree, where built, passed its load-time self-check", () => {
  assert.notEqual(status.reason, "self-check", status.detail);
  assert.equal(status.loaded, status.reason === "loaded");
});

test("the native tree's SHA-256 equals node:crypto for every length to 300 bytes and across block boundaries", { skip }, () => {
  const m = nativeTree()!;
  const out = new Uint8Array(32);
  const lens = [...Array.from({ length: 301 }, (_, i) => i), 1023, 1024, 1025, 4095, 4096, 4097, 100_003];
  for (const len of lens) {
    const data = Uint8Array.from({ length: len }, (_, i) => (i * 29 + len * 7) & 0xff);
    m.sha256(data, out);
    assert.equal(toHex(out), toHex(createHash("sha256").update(data).digest()), `${len} bytes`);
  }
  // every bit of a block's words reaches the digest: one flipped bit in each byte position changes it
  const base = new Uint8Array(128).fill(0x5a);
  m.sha256(base, out);
  const ref = toHex(out);
  for (let i = 0; i < base.length; i++) {
    const d = base.slice();
    d[i]! ^= 1 << (i & 7);
    m.sha256(d, out);
    assert.notEqual(toHex(out), ref, `flip in byte ${i}`);
    assert.equal(toHex(out), toHex(createHash("sha256").update(d).digest()), `flip in byte ${i}`);
  }
});

test("the native tree reads any TypedArray's bytes: views at an offset, over a SharedArrayBuffer, other element types", { skip }, () => {
  const h = new FastHasher();
  assert.equal(h.native, true);
  const sab = new SharedArrayBuffer(4 * 9000);
  const t = new Float32Array(sab, 4 * 5, 8000);
  t.set(testValues(8000, 9));
  assert.equal(toHex(h.tensorRoot(t)), toHex(tensorRoot(t)));
  // the same bytes seen as other element types give the same top
  const m = nativeTree()!;
  const a = new Uint8Array(32);
  const b = new Uint8Array(32);
  m.tensorTop(t, a);
  m.tensorTop(new Uint8Array(sab, 4 * 5, 4 * 8000), b);
  assert.deepEqual(a, b);
  m.tensorTop(new Float64Array(sab, 8 * 3, 4000), a);
  m.tensorTop(new Uint32Array(sab, 8 * 3, 8000), b);
  assert.deepEqual(a, b);
});

test("the native tree rejects bad arguments with errors that name them", { skip }, () => {
  const m = nativeTree()! as unknown as Record<string, (...a: unknown[]) => void>;
  const out = new Uint8Array(32);
  assert.throws(() => m.tensorTop!("bytes", out), { name: "TypeError", message: "data must be a TypedArray" });
  assert.throws(() => m.tensorTop!(new DataView(new ArrayBuffer(8)), out), { name: "TypeError", message: "data must be a TypedArray" });
  assert.throws(() => m.tensorTop!(new Float32Array(4), new Uint8Array(31)), { name: "RangeError", message: "out must be a Uint8Array of 32 bytes" });
  assert.throws(() => m.tensorTop!(new Float32Array(4), {}), { name: "TypeError", message: "out must be a Uint8Array of 32 bytes" });
  assert.throws(() => m.tensorTop!(new Float32Array(0), out), { name: "RangeError", message: "a tensor needs at least one byte" });
  assert.throws(() => m.sha256!(new Float32Array(4)), { name: "TypeError", message: /expected \(data: TypedArray, out: Uint8Array of 32 bytes\)/ });
  // nothing was written by the calls that threw
  assert.deepEqual(out, new Uint8Array(32));
});

test("the load-time self-check names the input on which a module disagrees with the reference", { skip }, () => {
  const good = nativeTree()!;
  assert.equal(selfCheck(good), null);
  const wrongShort: NativeTree = {
    sha256: (d, o) => (good.sha256(d, o), d.byteLength === 56 && (o[0]! ^= 1)),
    tensorTop: good.tensorTop,
  };
  assert.equal(selfCheck(wrongShort), "sha256 of 56 bytes");
  // a tree that pads odd levels with something else than the zero subtree: only the odd-width shapes catch it
  const wrongPad: NativeTree = {
    sha256: good.sha256,
    tensorTop: (d, o) => {
      good.tensorTop(d, o);
      if (d.byteLength === 4 * (5 * 256 + 3)) o[31]! ^= 0x80;
    },
  };
  assert.equal(selfCheck(wrongPad), "the tensor root of 1283 elements");
});

test("REFEREED_NATIVE_HASH=0 turns the native tree off, and FastHasher still gives core's roots", () => {
  const code = [
    'import { FastHasher, nativeTreeStatus } from "@refereed/engine";',
    'import { tensorRoot, toHex } from "@refereed/core";',
    "const t = new Float32Array(3000).map((_, i) => i * 0.5);",
    "const h = new FastHasher();",
    "console.log(JSON.stringify({ status: nativeTreeStatus(), native: h.native, same: toHex(h.tensorRoot(t)) === toHex(tensorRoot(t)) }));",
  ].join("\n");
  const r = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code], { encoding: "utf8", env: { ...process.env, REFEREED_NATIVE_HASH: "0" } });
  assert.equal(r.status, 0, r.stderr);
  const got = JSON.parse(r.stdout.trim().split("\n").at(-1)!);
  assert.deepEqual(got, { status: { loaded: false, reason: "disabled", detail: "disabled by REFEREED_NATIVE_HASH=0" }, native: false, same: true });
});
