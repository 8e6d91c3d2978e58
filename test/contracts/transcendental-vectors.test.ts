/**
 * LibTranscendental (Solidity, on the in-process EDR chain) against packages/core/src/transcendental.ts:
 * every case of vectors/transcendental.json, the fixed-point exp/log bit for bit, a differential run on random rows
 * with claimed values straddling the bound, honest binary64 and float32-only values and far-off values (both sides run
 * the same integer algorithm, so they must agree on every input, not only far from the bound), the request reverts,
 * and the gas of one softmax and one loss check.
 */
import { describe, it, before } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { network } from "hardhat";
import { bitsOf } from "../../packages/core/src/float32.js";
import {
  LN2_FIXED,
  ONE,
  checkSoftmax,
  checkXentLoss,
  expNegFixed,
  logFixed,
  softmaxRowF32,
  softmaxRowFloat32Only,
  xentLossF32,
  xentLossFloat32Only,
} from "../../packages/core/src/transcendental.js";
import {
  lossBoundF64,
  softmaxBoundF64,
  xorshift,
  type TranscendentalVectors,
} from "../../packages/core/src/transcendental-vectors.js";

const vectors = JSON.parse(
  readFileSync(new URL("../../vectors/transcendental.json", import.meta.url), "utf8"),
) as TranscendentalVectors;

const { viem } = await network.create();
const fr = Math.fround;

describe("LibTranscendental agrees with packages/core on vectors/transcendental.json", () => {
  let h: Awaited<ReturnType<typeof viem.deployContract<"TranscendentalHarness">>>;

  before(async () => {
    h = await viem.deployContract("TranscendentalHarness");
  });

  it("the vector file has the promised coverage", () => {
    assert.ok(vectors.softmax.length >= 40, `${vectors.softmax.length} softmax cases`);
    assert.ok(vectors.loss.length >= 30, `${vectors.loss.length} loss cases`);
    for (const set of [vectors.softmax, vectors.loss]) {
      assert.ok(set.some((c) => c.accept) && set.some((c) => !c.accept));
    }
  });

  it("the range-reduction constant is the TypeScript one", async () => {
    assert.equal(await h.read.ln2(), LN2_FIXED);
  });

  it("every softmax case: the Solidity verdict is the file's (and TypeScript's)", async () => {
    for (const c of vectors.softmax) {
      assert.equal(checkSoftmax(c.row, c.j, c.claimed).ok, c.accept, `TS: ${c.name}`);
      assert.equal(await h.read.checkSoftmax([c.row, BigInt(c.j), c.claimed]), c.accept, `Solidity: ${c.name}`);
    }
  });

  it("every loss case: the Solidity verdict is the file's (and TypeScript's)", async () => {
    for (const c of vectors.loss) {
      assert.equal(checkXentLoss(c.row, c.label, c.claimed).ok, c.accept, `TS: ${c.name}`);
      assert.equal(await h.read.checkXentLoss([c.row, c.label, c.claimed]), c.accept, `Solidity: ${c.name}`);
    }
  });

  it("expNegFixed and logFixed are bit-identical to TypeScript on 150 arguments each", async () => {
    const r = xorshift(9);
    for (let i = 0; i < 150; i++) {
      const d = (BigInt(Math.floor(r() * 145 * 2 ** 40)) << 152n) + BigInt(Math.floor(r() * 2 ** 40));
      assert.equal(await h.read.expNegFixed([d]), expNegFixed(d), `exp(-${Number(d) / 2 ** 192})`);
      const k = BigInt(Math.floor(r() * 24));
      const s = (ONE + ((BigInt(Math.floor(r() * 2 ** 50)) << 142n) >> BigInt(Math.floor(r() * 150)))) << k;
      assert.equal(await h.read.logFixed([s]), logFixed(s), `log(${Number(s) / 2 ** 192})`);
    }
  });

  it("differential: same verdict as TypeScript on 300 random rows (C 1..16, logits up to ±80 and 1e5), claimed values straddling the bound, honest and far off", async () => {
    const r = xorshift(10);
    let accepted = 0;
    let n = 0;
    let honest = 0;
    for (let t = 0; t < 300; t++) {
      const C = 1 + Math.floor(r() * 16);
      const scale = [0.01, 1, 5, 40, 80, 1e5][t % 6]!;
      const row = Float32Array.from({ length: C }, () => fr((r() * 2 - 1) * scale));
      const bits = Array.from(row, bitsOf);
      const j = Math.floor(r() * C);
      const p = softmaxRowF32(row)[j]!;
      const l = xentLossF32(row, j);
      const bs = softmaxBoundF64(row, j);
      const bl = lossBoundF64(row, j);
      const side = r() < 0.5 ? 1 : -1;
      // within a few float32 steps of the edge, either side: exercises the decision itself
      const off = Math.floor(r() * 9) - 4;
      const softmaxClaims = [
        bitsOf(fr((p + side * bs) * (1 + off * 2 ** -24))),
        bitsOf(softmaxRowFloat32Only(row)[j]!),
        bitsOf(fr(p * (1 + side * 2 ** -10))),
      ];
      const lossClaims = [
        bitsOf(fr((l + side * bl) * (1 + off * 2 ** -24))),
        bitsOf(xentLossFloat32Only(row, j)),
        bitsOf(fr(l + side * 2 ** -10 * Math.max(l, 1))),
      ];
      for (const [i, cs] of softmaxClaims.entries()) {
        const ts = checkSoftmax(bits, j, cs).ok;
        assert.equal(await h.read.checkSoftmax([bits, BigInt(j), cs]), ts, `softmax row ${row} j=${j} claimed 0x${cs.toString(16)}`);
        if (i === 1) assert.ok(ts, `float32-only softmax rejected: row ${row} j=${j}`);
        accepted += Number(ts);
        honest += Number(i === 1);
        n++;
      }
      for (const [i, cl] of lossClaims.entries()) {
        const tl = checkXentLoss(bits, bitsOf(j), cl).ok;
        assert.equal(await h.read.checkXentLoss([bits, bitsOf(j), cl]), tl, `loss row ${row} y=${j} claimed 0x${cl.toString(16)}`);
        if (i === 1) assert.ok(tl, `float32-only loss rejected: row ${row} y=${j}`);
        accepted += Number(tl);
        honest += Number(i === 1);
        n++;
      }
    }
    assert.equal(honest, 600);
    assert.ok(accepted > 800 && n - accepted > 500, `${accepted} of ${n} accepted: both outcomes must be exercised`);
  });

  it("reverts on a softmax index outside the row (a template error)", async () => {
    await assert.rejects(h.read.checkSoftmax([[bitsOf(1), bitsOf(2)], 2n, bitsOf(0.5)]), /TranscendentalIndexOutOfRange/);
    // C = 0 is a violation (false), not a revert
    assert.equal(await h.read.checkSoftmax([[], 0n, bitsOf(1)]), false);
  });

  it("transactions: verdicts are stored, a wrong expectation reverts, and the gas is reported", async () => {
    const publicClient = await viem.getPublicClient();
    const row = Float32Array.from([1.25, -0.5, 3.75, 0.125, -2.25, 0.875, 2.5, -1.125, 0.0625, 1.75]);
    const bits = Array.from(row, bitsOf);
    const j = 4;
    const p = bitsOf(softmaxRowF32(row)[j]!);
    const l = bitsOf(xentLossF32(row, 7));

    const [okS, gasS] = await h.read.gasSoftmax([bits, BigInt(j), p]);
    const [okL, gasL] = await h.read.gasXentLoss([bits, bitsOf(7), l]);
    assert.equal(okS, true);
    assert.equal(okL, true);

    const txS = await h.write.checkSoftmaxTx([bits, BigInt(j), p, true]);
    const rcS = await publicClient.waitForTransactionReceipt({ hash: txS });
    assert.equal(await h.read.lastOk(), true);
    const bad = bitsOf(fr(softmaxRowF32(row)[j]! * (1 + 2 ** -12)));
    const txBad = await h.write.checkXentLossTx([bits, bitsOf(7), bitsOf(fr(xentLossF32(row, 7) * 1.001)), false]);
    await publicClient.waitForTransactionReceipt({ hash: txBad });
    assert.equal(await h.read.lastOk(), false);
    const txL = await h.write.checkXentLossTx([bits, bitsOf(7), l, true]);
    const rcL = await publicClient.waitForTransactionReceipt({ hash: txL });
    assert.equal(await h.read.lastOk(), true);
    await assert.rejects(h.write.checkSoftmaxTx([bits, BigInt(j), bad, true]), /HarnessCheckFailed/);

    // worst case for the series: every other logit a little below the maximum (longest exp series)
    const dense = Array.from({ length: 10 }, (_, k) => bitsOf(fr(-0.69 * (k / 10))));
    const [, gasDense] = await h.read.gasSoftmax([dense, 9n, bitsOf(softmaxRowF32(new Float32Array(new Uint32Array(dense).buffer))[9]!)]);

    console.log(
      `gas (C = 10): softmax check ${gasS} inside the library (${gasDense} for a row with every |d_k| < ln2), ` +
        `loss check ${gasL}; transactions incl. 21k base + calldata: softmax ${rcS.gasUsed}, loss ${rcL.gasUsed}`,
    );
    assert.ok(gasS < 150_000n && gasDense < 150_000n, `softmax check costs ${gasS} / ${gasDense} gas`);
    assert.ok(gasL < 150_000n, `loss check costs ${gasL} gas`);
  });
});
