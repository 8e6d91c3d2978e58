import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { GROUP_ORDER, InvalidSecretKeyError, fromHex, sha256, vrfEval, vrfKeygen, vrfVerify } from "@refereed/core";
import { BlsSeedProvider, fastVrfEvaluator, nobleVrfEvaluator } from "../src/index.js";

const vectors = JSON.parse(readFileSync(fileURLToPath(new URL("../../../vectors/vrf.json", import.meta.url)), "utf8")) as {
  cases: { name: string; x: string; valid: boolean }[];
};

const be32 = (v: bigint) => {
  const b = new Uint8Array(32);
  for (let i = 31; i >= 0; i--, v >>= 8n) b[i] = Number(v & 0xffn);
  return b;
};

test("mcl-wasm evaluation is bit-identical to the reference on every context of the shared vectors, and verifies", async () => {
  const xs = vectors.cases.filter((c) => c.valid).map((c) => fromHex(c.x));
  assert.ok(xs.length >= 6);
  for (const seed of [1, 2, 250]) {
    const k = vrfKeygen(new Uint8Array(32).fill(seed));
    const fast = await fastVrfEvaluator(k.sk);
    assert.equal(fast.backend, "mcl-wasm");
    for (const x of xs) {
      const got = fast.eval(x);
      const want = vrfEval(k.sk, x);
      assert.deepEqual(got.pi, want.pi);
      assert.deepEqual(got.y, want.y);
      assert.equal(vrfVerify(k.pk, x, got.pi).valid, true);
    }
    fast.dispose();
  }
});

test("mcl-wasm evaluation matches the reference for edge scalars (1, r−1) and inputs of 0 to 256 bytes", async () => {
  for (const s of [1n, 2n, GROUP_ORDER - 1n]) {
    const sk = be32(s);
    const fast = await fastVrfEvaluator(sk);
    for (const len of [0, 1, 31, 32, 33, 64, 200, 256]) {
      const x = new Uint8Array(len).map((_, i) => (i * 37 + len) & 0xff);
      assert.deepEqual(fast.eval(x).pi, vrfEval(sk, x).pi, `s = ${s}, ${len}-byte input`);
    }
    fast.dispose();
  }
});

test("the fast evaluator refuses what the reference refuses, inputs it cannot hold, and use after dispose", async () => {
  await assert.rejects(fastVrfEvaluator(new Uint8Array(32)), InvalidSecretKeyError);
  await assert.rejects(fastVrfEvaluator(be32(GROUP_ORDER)), InvalidSecretKeyError);
  await assert.rejects(fastVrfEvaluator(new Uint8Array(31).fill(1)), InvalidSecretKeyError);
  assert.throws(() => nobleVrfEvaluator(new Uint8Array(32)), InvalidSecretKeyError);
  const fast = await fastVrfEvaluator(be32(7n));
  assert.throws(() => fast.eval(new Uint8Array(257)), /257 bytes/);
  fast.dispose();
  assert.throws(() => fast.eval(new Uint8Array(32)), /after dispose/);
});

test("BlsSeedProvider.fast gives the same seeds as the reference provider", async () => {
  const k = vrfKeygen(new Uint8Array(32).fill(9));
  const slow = new BlsSeedProvider(k.sk);
  const fast = await BlsSeedProvider.fast(k.sk);
  assert.equal(slow.backend, "noble");
  assert.equal(fast.backend, "mcl-wasm");
  for (let step = 0; step < 4; step++) {
    const ctx = { modelId: sha256(Uint8Array.of(1)), step, batchId: step * 3, nonce: sha256(Uint8Array.of(2)), layerId: step % 2 };
    assert.deepEqual(fast.seed(ctx), slow.seed(ctx));
  }
});
