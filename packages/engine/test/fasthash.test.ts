import { test as tap } from "node:test";
import assert from "node:assert/strict";
import { Kind, merkleRoot, tensorRoot, toHex } from "@refereed/core";
import { FastHasher, nativeTreeStatus } from "../src/index.js";
import { testValues } from "./helpers.js";

// every test runs on the three paths: tensor trees in the native SHA-256 tree (ADR 0013; skipped, with the reason,
// where it is not built or usable), inner nodes four at a time in WebAssembly SIMD, and one node:crypto call each
const native = nativeTreeStatus();
for (const [nat, simd] of [[true, true], [false, true], [false, false]] as const) {
  const path = nat ? "(native tree)" : simd ? "(SIMD inner nodes)" : "(node:crypto inner nodes)";
  const test = (name: string, fn: () => void) => tap(name, { skip: nat && !native.loaded && native.reason !== "self-check" ? `native tree: ${native.detail}` : false }, fn);

  test(`FastHasher.tensorRoot equals core tensorRoot for lengths around chunk and power-of-two boundaries ${path}`, () => {
    const h = new FastHasher({ simd, native: nat });
    assert.equal(h.simd, simd);
    assert.equal(h.native, nat);
    for (const n of [1, 2, 255, 256, 257, 511, 512, 513, 768, 1024, 1025, 4096, 5000, 65536, 100352]) {
      const t = testValues(n, n);
      assert.equal(toHex(h.tensorRoot(t)), toHex(tensorRoot(t)), `n = ${n}`);
    }
    // a view into a larger buffer (offset) and special values
    const big = testValues(3000, 1);
    big[700] = NaN;
    big[701] = -0;
    const view = big.subarray(600, 2900);
    assert.equal(toHex(h.tensorRoot(view)), toHex(tensorRoot(view)));
  });

  test(`FastHasher.rootOfLeaves equals core merkleRoot for every tree kind and odd sizes ${path}`, () => {
    const h = new FastHasher({ simd, native: nat });
    for (const kind of [Kind.Graph, Kind.Journal, Kind.Rollup, Kind.State, Kind.Dataset]) {
      for (const n of [1, 2, 3, 5, 8, 13, 64, 100]) {
        const leaves = Array.from({ length: n }, (_, i) => new Uint8Array(kind === Kind.Journal ? 264 : 32).fill((i * 37 + kind) & 0xff));
        assert.equal(toHex(h.rootOfLeaves(kind, leaves)), toHex(merkleRoot(kind, leaves)), `kind ${kind}, n = ${n}`);
      }
    }
  });

  test(`one FastHasher reused across sizes, kinds and buffers keeps no state between roots ${path}`, () => {
    const h = new FastHasher({ simd, native: nat });
    // growing and shrinking trees through the same scratch levels; odd widths leave ZERO padding in different slots
    const sizes = [300_000, 1, 513, 100_352, 3, 257 * 256 + 1, 2, 65536, 769];
    for (const n of [...sizes, ...sizes.reverse()]) {
      const t = testValues(n, n + 7);
      assert.equal(toHex(h.tensorRoot(t)), toHex(tensorRoot(t)), `n = ${n}`);
      const leaves = Array.from({ length: (n % 37) + 1 }, (_, i) => new Uint8Array(32).fill((i * 11 + n) & 0xff));
      assert.equal(toHex(h.rootOfLeaves(Kind.Graph, leaves)), toHex(merkleRoot(Kind.Graph, leaves)), `graph after n = ${n}`);
    }
    // a tensor in a SharedArrayBuffer at an odd 4-byte offset (the commit worker's slots)
    const sab = new SharedArrayBuffer(4 * 5000);
    const shared = new Float32Array(sab, 4 * 3, 4000);
    shared.set(testValues(4000, 3));
    assert.equal(toHex(h.tensorRoot(shared)), toHex(tensorRoot(shared)));
  });

  test(`FastHasher.rootOfLeaves handles leaves of different lengths in one tree ${path}`, () => {
    const h = new FastHasher({ simd, native: nat });
    const lens = [0, 1, 32, 264, 3140, 33, 32, 5000, 2, 2];
    const leaves = lens.map((len, i) => new Uint8Array(len).fill(i + 1));
    for (let n = 1; n <= leaves.length; n++) {
      const ls = leaves.slice(0, n);
      assert.equal(toHex(h.rootOfLeaves(Kind.Dataset, ls)), toHex(merkleRoot(Kind.Dataset, ls)), `n = ${n}`);
    }
  });
}
