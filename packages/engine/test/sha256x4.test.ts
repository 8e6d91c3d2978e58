import { test } from "node:test";
import assert from "node:assert/strict";
import { sha256, toHex } from "@refereed/core";
import { FastHasher, WASM_PAGE, sha256x4 } from "../src/index.js";

/** parent j's preimage in a level at src and where its digest lands at dst (see sha256x4.ts) */
const pre = (src: number, j: number) => src + 65 * j;
const out = (dst: number, j: number) => dst + 65 * (j >> 1) + 1 + 32 * (j & 1);

test("this runtime has WebAssembly SIMD, so FastHasher takes the four-lane path (the fallback is tested beside it)", () => {
  assert.notEqual(sha256x4(), null);
  assert.equal(new FastHasher().simd, true);
  assert.equal(new FastHasher({ simd: false }).simd, false);
});

test("the four-lane level hash equals native SHA-256 of every 65-byte preimage, for every value of the last byte", () => {
  const x4 = sha256x4()!;
  const groups = 80; // 320 parents: every value of byte 64 and of byte 0, plus random bytes between
  const src = 64;
  const dst = src + 65 * 4 * groups;
  const mem = new Uint8Array(x4.memory.buffer);
  let s = 0x9e3779b9;
  for (let j = 0; j < 4 * groups; j++) {
    for (let i = 0; i < 65; i++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      mem[pre(src, j) + i] = s >>> 24;
    }
    mem[pre(src, j)] = j & 0xff;
    mem[pre(src, j) + 64] = (j * 7) & 0xff;
  }
  // extremes: all zero, all ones, and a one-bit difference from a neighbour in the same group
  mem.fill(0, pre(src, 0), pre(src, 1));
  mem.fill(0xff, pre(src, 1), pre(src, 2));
  mem.copyWithin(pre(src, 3), pre(src, 2), pre(src, 3));
  mem[pre(src, 3) + 40]! ^= 1;
  const before = mem.slice(src, dst);
  x4.level(src, dst, 0); // no groups: nothing written
  assert.ok(mem.subarray(dst, dst + 65 * 2 * groups).every((b) => b === 0));
  x4.level(src, dst, groups);
  for (let j = 0; j < 4 * groups; j++) {
    const want = sha256(mem.subarray(pre(src, j), pre(src, j) + 65));
    assert.equal(toHex(mem.subarray(out(dst, j), out(dst, j) + 32)), toHex(want), `parent ${j}`);
  }
  // it reads its input level and writes only digest slots of the next one
  assert.deepEqual(mem.slice(src, dst), before);
  for (let m = 0; m < 2 * groups; m++) assert.equal(mem[dst + 65 * m], 0, `prefix byte of next-level preimage ${m} untouched`);
});

test("instances are independent and their memory grows", () => {
  const a = sha256x4()!;
  const b = sha256x4()!;
  assert.notEqual(a.memory, b.memory);
  const pages = a.memory.buffer.byteLength / WASM_PAGE;
  a.memory.grow(2);
  assert.equal(a.memory.buffer.byteLength / WASM_PAGE, pages + 2);
  // a level far into grown memory
  const src = pages * WASM_PAGE + 1000;
  const mem = new Uint8Array(a.memory.buffer);
  mem.fill(0x5a, src, src + 65 * 4);
  a.level(src, src + 65 * 4, 1);
  const want = toHex(sha256(new Uint8Array(65).fill(0x5a)));
  for (let j = 0; j < 4; j++) assert.equal(toHex(mem.subarray(out(src + 65 * 4, j), out(src + 65 * 4, j) + 32)), want);
});
