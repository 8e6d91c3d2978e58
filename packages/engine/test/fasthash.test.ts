import { test } from "node:test";
import assert from "node:assert/strict";
import { Kind, merkleRoot, tensorRoot, toHex } from "@refereed/core";
import { FastHasher } from "../src/index.js";
import { testValues } from "./helpers.js";

test("FastHasher.tensorRoot equals core tensorRoot for lengths around chunk and power-of-two boundaries", () => {
  const h = new FastHasher();
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

test("FastHasher.rootOfLeaves equals core merkleRoot for every tree kind and odd sizes", () => {
  const h = new FastHasher();
  for (const kind of [Kind.Graph, Kind.Journal, Kind.Rollup, Kind.State, Kind.Dataset]) {
    for (const n of [1, 2, 3, 5, 8, 13, 64, 100]) {
      const leaves = Array.from({ length: n }, (_, i) => new Uint8Array(kind === Kind.Journal ? 264 : 32).fill((i * 37 + kind) & 0xff));
      assert.equal(toHex(h.rootOfLeaves(kind, leaves)), toHex(merkleRoot(kind, leaves)), `kind ${kind}, n = ${n}`);
    }
  }
});
