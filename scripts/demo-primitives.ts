/**
 * `npm run demo` — the most end-to-end path that exists today (issue 2 level; the full trainer/challenger demo
 * replaces it when the protocol contracts and bots land):
 *   1. an in-process EVM (Hardhat 3 EDR, osaka: EIP-2537 precompiles) and the primitive contracts;
 *   2. a trainer key (BLS12-381) with a proof of possession, verified on-chain;
 *   3. a rollup of real commitments: per iteration a dropout layer whose mask comes from the VRF output for a
 *      context bound to the chain-drawn nonce, node outputs committed as tensor roots, graph and journal roots;
 *   4. the contracts verify the Merkle path of one element down from the rollup root, the VRF proof for the
 *      on-chain context, the mask bit, and the dropout value with the tolerance rule — and reject a tampered one.
 * Prints each check with the gas of a real transaction (minus the 21,000 base cost).
 */
import { network } from "hardhat";
import type { Hex } from "viem";
import {
  applyDropout,
  encodeIterationLeaf,
  encodeJournalEntry,
  graphTree,
  journalTree,
  openElement,
  rollupTree,
  sha256,
  tensorTree,
  toHex,
  utf8,
  vrfContext,
  vrfEval,
  vrfKeygen,
  bitsOf,
  type IterationLeaf,
  type JournalEntry,
} from "@refereed/core";

const hex = (b: Uint8Array): Hex => toHex(b);
const rows: { check: string; result: string; gas: string }[] = [];

async function main() {
  const t0 = Date.now();
  console.log("refereed demo: primitives end to end on an in-process chain\n");
  const { viem } = await network.create();
  const publicClient = await viem.getPublicClient();
  const lib = await viem.deployContract("LibHarness");
  const vrf = await viem.deployContract("VrfHarness");

  async function measured(check: string, send: () => Promise<Hex>, result: string) {
    const hash = await send();
    const receipt = await publicClient.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success") throw new Error(`${check}: transaction reverted`);
    rows.push({ check, result, gas: (receipt.gasUsed - 21000n).toLocaleString("en-US") });
  }

  // 2. trainer key with proof of possession
  const key = vrfKeygen(sha256(utf8("demo trainer key")));
  const pop = key.pop;
  await vrf.read.popVerify([hex(key.pk), hex(pop)]);
  rows.push({ check: "BLS key + proof of possession", result: "verified on-chain", gas: "(view)" });

  // the nonce comes from the chain, after the key exists
  const block = await publicClient.getBlock();
  const nonce = sha256(utf8(`nonce:${block.hash}:${block.mixHash ?? ""}`));
  const modelId = sha256(utf8("refereed demo job spec v1"));
  const rate = { num: 1, den: 5 };

  // 3. a rollup of 8 iterations, each: x (512 activations) -> dropout -> out
  const iterations: IterationLeaf[] = [];
  const kept: { x: Float32Array; out: Float32Array; entry: JournalEntry; xTree: ReturnType<typeof tensorTree>; outTree: ReturnType<typeof tensorTree>; g: ReturnType<typeof graphTree>; j: ReturnType<typeof journalTree> }[] = [];
  for (let step = 0; step < 8; step++) {
    const x = Float32Array.from({ length: 512 }, (_, i) => Math.max(0, Math.sin(i * 0.37 + step) * 2.5));
    const ctx = vrfContext({ modelId, step: BigInt(step), batchId: BigInt(step), nonce, layerId: 1 });
    const { pi, y } = vrfEval(key.sk, ctx);
    const { out, vdo } = applyDropout(x, y, rate);
    const xTree = tensorTree(x);
    const outTree = tensorTree(out);
    const g = graphTree([xTree.root, outTree.root]);
    const entry: JournalEntry = { layerId: 1, x: ctx, pi, y, maskHash: vdo.maskHash, qHash: vdo.qHash, n: x.length };
    const j = journalTree([entry]);
    iterations.push({ step: BigInt(step), graphRoot: g.root, journalRoot: j.root });
    kept.push({ x, out, entry, xTree, outTree, g, j });
  }
  const rollup = rollupTree(iterations);
  rows.push({ check: "rollup of 8 iterations committed", result: `root ${hex(rollup.root).slice(0, 18)}…`, gas: "(off-chain)" });

  // 4. on-chain checks for one element of iteration 5
  const it = 5;
  const k = kept[it]!;
  const e = 300;
  const leafData = encodeIterationLeaf(iterations[it]!);
  await measured(
    "iteration leaf in rollup (depth 3)",
    () => lib.write.merkleVerifyTx([0x13, 8n, hex(rollup.root), BigInt(it), hex(leafData), rollup.proof(it).siblings.map(hex)]),
    "valid",
  );
  await measured(
    "node leaf in graph",
    () => lib.write.merkleVerifyTx([0x11, 2n, hex(k.g.root), 1n, hex(k.outTree.root), k.g.proof(1).siblings.map(hex)]),
    "valid",
  );
  const opening = openElement(k.out, k.outTree, e);
  const [openedOk, onchainOut] = await lib.read.verifyElement([hex(k.outTree.root), 512n, BigInt(e), hex(opening.chunkData), opening.siblings.map(hex)]);
  if (!openedOk || Number(onchainOut) !== bitsOf(k.out[e]!)) throw new Error("element opening mismatch");
  rows.push({ check: `element ${e} opened from its tensor root`, result: `0x${Number(onchainOut).toString(16)}`, gas: "(view)" });
  await measured(
    "journal entry in journal root",
    () => lib.write.merkleVerifyTx([0x12, 1n, hex(k.j.root), 0n, hex(encodeJournalEntry(k.entry)), []]),
    "valid",
  );
  const xOnchain = await vrf.read.context([hex(modelId), BigInt(it), BigInt(it), hex(nonce), 1]);
  if (xOnchain !== hex(k.entry.x)) throw new Error("on-chain VRF context differs from the trainer's");
  await measured("VRF proof for the on-chain context", () => vrf.write.verifyTx([hex(key.pk), xOnchain, hex(k.entry.pi)]), "valid");
  const bit = await lib.read.maskBit([hex(k.entry.y), BigInt(rate.num), BigInt(rate.den), BigInt(e)]);
  await measured("mask bit from y (PRG)", () => lib.write.maskBitTx([hex(k.entry.y), BigInt(rate.num), BigInt(rate.den), BigInt(e), bit]), bit ? "keep" : "drop");
  const [, okHonest] = await lib.read.dropoutElement([hex(k.entry.y), BigInt(rate.num), BigInt(rate.den), BigInt(e), bitsOf(k.x[e]!), bitsOf(k.out[e]!)]);
  const tampered = bit ? bitsOf(k.x[e]!) : bitsOf(1.25);
  const [, okTampered] = await lib.read.dropoutElement([hex(k.entry.y), BigInt(rate.num), BigInt(rate.den), BigInt(e), bitsOf(k.x[e]!), tampered]);
  rows.push({ check: "dropout value, honest", result: okHonest ? "accepted" : "REJECTED", gas: "(view)" });
  rows.push({ check: "dropout value, tampered", result: okTampered ? "ACCEPTED" : "rejected", gas: "(view)" });
  const wrongCtx = await vrf.read.check([hex(key.pk), hex(kept[4]!.entry.x), hex(k.entry.pi)]);
  rows.push({ check: "VRF proof against another step's context", result: wrongCtx === 0 ? "ACCEPTED" : "rejected", gas: "(view)" });

  console.table(rows);
  const failed = !okHonest || okTampered || wrongCtx === 0;
  console.log(`\n${failed ? "FAILED" : "all checks behaved as the protocol requires"} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  if (failed) process.exitCode = 1;
}

await main();
