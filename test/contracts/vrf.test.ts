/**
 * LibBlsVrf (Solidity, EIP-2537 precompiles on the in-process EDR chain) against packages/core/src/vrf.ts on
 * every case of vectors/vrf.json: the same context x, the same H1, the same verdict and the same reason.
 */
import { describe, it, before } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { network } from "hardhat";
import type { Hex } from "viem";
import { fromHex, toHex } from "../../packages/core/src/bytes.js";
import {
  type VrfFailureReason,
  encodeG1,
  hashToG1,
  popVerify,
  vrfContext,
  vrfEval,
  vrfKeygen,
  vrfVerify,
} from "../../packages/core/src/vrf.js";
import type { VrfVectors } from "../../packages/core/src/vrf-vectors.js";

const vectors = JSON.parse(readFileSync(new URL("../../vectors/vrf.json", import.meta.url), "utf8")) as VrfVectors;

/** LibBlsVrf.VrfStatus, by TypeScript failure reason. */
const STATUS: Record<VrfFailureReason | "ok", number> = {
  ok: 0,
  "bad-length": 1,
  "nonzero-padding": 2,
  "field-not-reduced": 3,
  infinity: 4,
  "not-on-curve": 5, // the pairing precompile refuses off-curve points...
  "not-in-subgroup": 5, // ...and points outside the subgroup alike: PointRejected
  "pairing-mismatch": 6,
};

/** The custom error verifyOrRevert / popVerify must raise, by status. */
const ERROR_OF_STATUS = [
  undefined,
  "BlsInvalidLength",
  "BlsFieldPaddingNonZero",
  "BlsFieldNotReduced",
  "BlsPointAtInfinity",
  "BlsPointRejected",
  "BlsVrfProofMismatch",
] as const;

const { viem } = await network.create();

describe("LibBlsVrf agrees with packages/core on vectors/vrf.json", () => {
  let vrf: Awaited<ReturnType<typeof viem.deployContract<"VrfHarness">>>;

  before(async () => {
    vrf = await viem.deployContract("VrfHarness");
  });

  it("the vector file has the promised coverage", () => {
    assert.ok(vectors.cases.length >= 20, `only ${vectors.cases.length} cases`);
    const reasons = new Set(vectors.cases.map((c) => c.reason));
    for (const r of Object.keys(STATUS)) assert.ok(reasons.has(r as VrfFailureReason), `no case with reason ${r}`);
    assert.ok(vectors.cases.filter((c) => c.valid).length >= 4);
    assert.ok(vectors.pops.some((p) => p.valid) && vectors.pops.some((p) => !p.valid));
  });

  for (const c of vectors.cases) {
    it(`case "${c.name}": context, H1, status and revert reason match`, async () => {
      const fields = [c.modelId as Hex, BigInt(c.step), BigInt(c.batchId), c.nonce as Hex, c.layerId] as const;
      // x: TypeScript, Solidity and the file agree
      const xTs = toHex(
        vrfContext({ modelId: fromHex(c.modelId, 32), step: BigInt(c.step), batchId: BigInt(c.batchId), nonce: fromHex(c.nonce, 32), layerId: c.layerId }),
      );
      assert.equal(xTs, c.x);
      assert.equal(await vrf.read.context(fields), c.x);
      // H1(x): the on-chain hash-to-curve is RFC 9380's
      assert.equal(await vrf.read.hashToG1Vrf([c.x as Hex]), toHex(encodeG1(hashToG1(fromHex(c.x)))));

      // TypeScript verdict still the file's
      const ts = vrfVerify(fromHex(c.pk), fromHex(c.x), fromHex(c.pi));
      assert.equal(ts.valid, c.valid);
      assert.equal(ts.valid ? "ok" : ts.reason, c.reason);

      // Solidity verdict
      const status = await vrf.read.check([c.pk as Hex, c.x as Hex, c.pi as Hex]);
      assert.equal(status, STATUS[c.reason], `status ${status} for reason ${c.reason}`);
      assert.equal(await vrf.read.verify([c.pk as Hex, c.x as Hex, c.pi as Hex]), c.valid);

      if (c.valid) {
        assert.equal(await vrf.read.verifyOrRevert([c.pk as Hex, c.x as Hex, c.pi as Hex]), c.y);
        assert.equal(await vrf.read.verifyContext([c.pk as Hex, ...fields, c.pi as Hex]), c.y);
        assert.equal(await vrf.read.output([c.pi as Hex]), c.y);
      } else {
        const name = ERROR_OF_STATUS[STATUS[c.reason]]!;
        await viem.assertions.revertWithCustomError(vrf.read.verifyOrRevert([c.pk as Hex, c.x as Hex, c.pi as Hex]), vrf, name);
        await viem.assertions.revertWithCustomError(vrf.read.verifyContext([c.pk as Hex, ...fields, c.pi as Hex]), vrf, name);
      }
    });
  }

  for (const p of vectors.pops) {
    it(`pop "${p.name}": status and revert reason match`, async () => {
      const ts = popVerify(fromHex(p.pk), fromHex(p.pop));
      assert.equal(ts.valid ? "ok" : ts.reason, p.reason);
      const status = await vrf.read.popCheck([p.pk as Hex, p.pop as Hex]);
      assert.equal(status, STATUS[p.reason]);
      if (p.valid) {
        await vrf.read.popVerify([p.pk as Hex, p.pop as Hex]); // does not revert
      } else {
        const s = STATUS[p.reason];
        const name = s === 6 ? "BlsPopMismatch" : ERROR_OF_STATUS[s]!;
        await viem.assertions.revertWithCustomError(vrf.read.popVerify([p.pk as Hex, p.pop as Hex]), vrf, name);
      }
    });
  }

  it("revert diagnostics carry the input and the byte offset", async () => {
    const c = vectors.cases.find((v) => v.name === "non-canonical: pi.y padding byte 15 nonzero")!;
    await viem.assertions.revertWithCustomErrorWithArgs(vrf.read.verifyOrRevert([c.pk as Hex, c.x as Hex, c.pi as Hex]), vrf, "BlsFieldPaddingNonZero", [1, 64n]);
    const k = vectors.cases.find((v) => v.name === "non-canonical: pk.x.c1 + p (not reduced)")!;
    await viem.assertions.revertWithCustomErrorWithArgs(vrf.read.verifyOrRevert([k.pk as Hex, k.x as Hex, k.pi as Hex]), vrf, "BlsFieldNotReduced", [0, 64n]);
    const l = vectors.cases.find((v) => v.name === "bad length: pi 127 bytes")!;
    await viem.assertions.revertWithCustomErrorWithArgs(vrf.read.verifyOrRevert([l.pk as Hex, l.x as Hex, l.pi as Hex]), vrf, "BlsInvalidLength", [1, 128n, 127n]);
    const m = vectors.cases.find((v) => v.name.startsWith("wrong context: step"))!;
    await viem.assertions.revertWithCustomErrorWithArgs(vrf.read.verifyOrRevert([m.pk as Hex, m.x as Hex, m.pi as Hex]), vrf, "BlsVrfProofMismatch", [m.x as Hex]);
  });

  it("a fresh key: TypeScript proof verifies on-chain, and a proof for a neighbouring context does not", async () => {
    const key = vrfKeygen(new Uint8Array(32).fill(0x5a));
    const ctx = { modelId: new Uint8Array(32).fill(9), step: 77n, batchId: 5n, nonce: new Uint8Array(32).fill(3), layerId: 2 };
    const x = vrfContext(ctx);
    const { pi, y } = vrfEval(key.sk, x);
    assert.equal(await vrf.read.verifyOrRevert([toHex(key.pk), toHex(x), toHex(pi)]), toHex(y));
    const x2 = vrfContext({ ...ctx, step: 78n });
    assert.equal(await vrf.read.verify([toHex(key.pk), toHex(x2), toHex(pi)]), false);
    await vrf.read.popVerify([toHex(key.pk), toHex(key.pop)]);
  });

  it("verifyTx stores y for a valid proof and zero for a refused one, within the gas budget", async () => {
    const publicClient = await viem.getPublicClient();
    const ok = vectors.cases.find((c) => c.valid)!;
    const hash = await vrf.write.verifyTx([ok.pk as Hex, ok.x as Hex, ok.pi as Hex]);
    const receipt = await publicClient.waitForTransactionReceipt({ hash });
    assert.equal(receipt.status, "success");
    assert.equal(await vrf.read.lastY(), ok.y);
    await viem.assertions.emitWithArgs(Promise.resolve(hash), vrf, "VrfChecked", [ok.x as Hex, 0, ok.y as Hex]);
    // budget from the brief: a full verification transaction under 160k gas beyond the 21k base
    assert.ok(receipt.gasUsed - 21_000n <= 160_000n, `verifyTx used ${receipt.gasUsed - 21_000n} gas beyond the base`);

    const bad = vectors.cases.find((c) => c.reason === "pairing-mismatch")!;
    const hash2 = await vrf.write.verifyTx([bad.pk as Hex, bad.x as Hex, bad.pi as Hex]);
    await publicClient.waitForTransactionReceipt({ hash: hash2 });
    assert.equal(await vrf.read.lastY(), `0x${"00".repeat(32)}`);
    await viem.assertions.emitWithArgs(Promise.resolve(hash2), vrf, "VrfChecked", [bad.x as Hex, 6, `0x${"00".repeat(32)}`]);
  });

  it("a refused point does not burn the caller's gas (the pairing gets exactly its price)", async () => {
    const publicClient = await viem.getPublicClient();
    const off = vectors.cases.find((c) => c.reason === "not-in-subgroup" && c.name.includes("pi"))!;
    const hash = await vrf.write.verifyTx([off.pk as Hex, off.x as Hex, off.pi as Hex], { gas: 5_000_000n });
    const receipt = await publicClient.waitForTransactionReceipt({ hash });
    assert.equal(receipt.status, "success");
    // one refused pairing (~103k) plus the probe pairing (~103k) plus hashing: far below the 5M sent
    assert.ok(receipt.gasUsed < 400_000n, `gasUsed ${receipt.gasUsed}`);
    await viem.assertions.emitWithArgs(Promise.resolve(hash), vrf, "VrfChecked", [off.x as Hex, 5, `0x${"00".repeat(32)}`]);
  });

  it("too little gas for the pairing reverts instead of reporting an honest proof as invalid", async () => {
    const publicClient = await viem.getPublicClient();
    const ok = vectors.cases.find((c) => c.valid)!;
    // enough to get past the hashing, not enough for the pairing
    await assert.rejects(async () => {
      const hash = await vrf.write.verifyTx([ok.pk as Hex, ok.x as Hex, ok.pi as Hex], { gas: 90_000n });
      const r = await publicClient.waitForTransactionReceipt({ hash });
      if (r.status !== "success") throw new Error("reverted");
    });
    await assert.rejects(vrf.simulate.verifyTx([ok.pk as Hex, ok.x as Hex, ok.pi as Hex], { gas: 90_000n }), (e: Error) => {
      assert.match(e.message, /BlsInsufficientGas/);
      return true;
    });
  });
});

describe("LibBlsVrf fails closed on a chain without EIP-2537 (cancun)", () => {
  it("verify reverts with BlsPrecompileFailed instead of accepting or refusing", async () => {
    const { viem: cancun } = await network.create({ override: { hardfork: "cancun" } });
    const vrf = await cancun.deployContract("VrfHarness");
    const ok = vectors.cases.find((c) => c.valid)!;
    await cancun.assertions.revertWithCustomError(vrf.read.check([ok.pk as Hex, ok.x as Hex, ok.pi as Hex]), vrf, "BlsPrecompileFailed");
    const bad = vectors.cases.find((c) => c.reason === "pairing-mismatch")!;
    await cancun.assertions.revertWithCustomError(vrf.read.verify([bad.pk as Hex, bad.x as Hex, bad.pi as Hex]), vrf, "BlsPrecompileFailed");
    await cancun.assertions.revertWithCustomError(vrf.read.popVerify([ok.pk as Hex, vectors.pops[0]!.pop as Hex]), vrf, "BlsPrecompileFailed");
  });
});
