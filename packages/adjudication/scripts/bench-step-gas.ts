/**
 * Gas of OneStepVerifier's one-step checks on the MNIST MLP (784-128-64-10, batch 64, momentum 0.9, dropout 1/5 after
 * both hidden layers, BLS VRF seeds), three real training steps of the engine in one rollup.
 *
 *   npx node --import tsx packages/adjudication/scripts/bench-step-gas.ts
 *
 * Each figure is receipt.gasUsed − 21000 of a transaction on the in-process EDR chain (osaka) that sends the
 * StepContext and the proof to OneStepHarness, which calls the verifier and reverts unless the verdict is "valid"
 * (the trace is honest), so every number is that of a check that ran to its end. This is the verifier's own cost, a
 * diagnostic: the transaction a user sends is `Refereed.step`, measured by bench-game-step-gas.ts as `step.<op>`
 * (the issue's keys and goals). `verifier.step.<op>` is the largest over every node of that op in the middle
 * iteration, at the middle element (dropout: the larger of a kept and a dropped element). Dot products (linear,
 * matmul_nt, row_sum) also get `.k<K>` per inner dimension K at the element whose rows span the most chunks, and
 * `.worst` (that element, over the op's nodes other than the 784-input layer). Extra keys: `.param.start` (iteration
 * 0, start-state link), `.sgd.end` / `.momentum.end` (last iteration, with the END-STATE link), `.journal` (a journal
 * entry). The harness transaction carries the whole StepContext as calldata, which the game's step does not; the goal
 * column is shown for comparison, not enforced. Merged into bench/results/gas.json (a flat {"name": gas} file other
 * benchmarks write too: read, merge, write).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { network } from "hardhat";
import type { Hex } from "viem";
import { ProofBuilder, traceRollupSource, type StepContext } from "../src/index.js";
import { GAS_JSON, mergeGasResults } from "./bench-protocol.js";
import { BENCH_MODEL, BENCH_STEPS, benchJob, stepCases, stepGoal, trainBenchTrace } from "./step-cases.js";

const MODEL = BENCH_MODEL;
const STEPS = BENCH_STEPS;
const goal = (name: string): number => stepGoal(name.replace(/^verifier\.step\./, ""));

class BenchError extends Error {
  constructor(name: string, detail: string) {
    super(`bench ${name}: ${detail}`);
    this.name = "BenchError";
  }
}

// ─────────────────────────────────────────── the trace ───────────────────────────────────────────────────────────
const bench = benchJob();
const dir = mkdtempSync(join(tmpdir(), "refereed-step-gas-"));
try {
  const reader = await trainBenchTrace(bench, dir);
  const b = new ProofBuilder(traceRollupSource(reader, 0, bench.train));

  // ─────────────────────────────────────────── the chain ───────────────────────────────────────────────────────────
  const { viem } = await network.create();
  const publicClient = await viem.getPublicClient();
  const verifier = await viem.deployContract("OneStepVerifier");
  const harness = await viem.deployContract("OneStepHarness", [verifier.address]);

  async function send(name: string, journal: boolean, ctx: StepContext, proof: Hex): Promise<{ gas: number; bytes: number; tokens: number }> {
    const hash = journal ? await harness.write.stepJournal([ctx, proof, true]) : await harness.write.stepElement([ctx, proof, true]);
    const receipt = await publicClient.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success") throw new BenchError(name, `transaction ${hash} reverted`);
    const tx = await publicClient.getTransaction({ hash });
    let tokens = 0;
    for (let i = 2; i < tx.input.length; i += 2) tokens += tx.input.slice(i, i + 2) === "00" ? 1 : 4;
    return { gas: Number(receipt.gasUsed) - 21000, bytes: (tx.input.length - 2) / 2, tokens };
  }
  const results = new Map<string, { gas: number; bytes: number; tokens: number; where: string }>();
  const record = (name: string, r: { gas: number; bytes: number; tokens: number }, where: string) => {
    const prev = results.get(name);
    if (!prev || r.gas > prev.gas) results.set(name, { ...r, where });
  };

  // ─────────────────────────────────────────── the cases (step-cases.ts, shared with bench-game-step-gas.ts) ──────
  for (const c of stepCases(reader, 0, STEPS)) {
    const name = c.names[0]!;
    const r =
      c.kind === "element"
        ? await send(name, false, b.elementContext(c.ref), b.elementProof(c.ref))
        : await send(name, true, b.journalContext(c.step, c.index), b.journalProof(c.step, c.index));
    for (const n of c.names) record(`verifier.step.${n}`, r, c.where);
  }

  // ─────────────────────────────────────────── report ──────────────────────────────────────────────────────────────
  const names = [...results.keys()].sort();
  console.log(`one-step gas, MNIST MLP ${MODEL.sizes.join("-")}, batch ${MODEL.batch} (tx gas − 21000; max over the op's nodes)`);
  console.log(`${"name".padEnd(31)} ${"gas".padStart(10)} ${"goal".padStart(10)} ${"calldata B".padStart(11)} ${"tokens".padStart(7)} ${"floor".padStart(7)} ${"exec~".padStart(8)}  where`);
  let over = 0;
  for (const name of names) {
    const r = results.get(name)!;
    const ok = r.gas <= goal(name);
    if (!ok) over++;
    // EIP-7623 (Prague): a transaction pays max(4·tokens + execution, 10·tokens) above the base cost
    const floored = r.gas <= 10 * r.tokens;
    const exec = floored ? "≤" + String(6 * r.tokens) : String(r.gas - 4 * r.tokens);
    console.log(`${name.padEnd(31)} ${String(r.gas).padStart(10)} ${String(goal(name)).padStart(10)} ${String(r.bytes).padStart(11)} ${String(r.tokens).padStart(7)} ${(floored ? "yes" : "no").padStart(7)} ${exec.padStart(8)}  ${r.where}${ok ? "" : "  OVER GOAL"}`);
  }
  mergeGasResults(Object.fromEntries(names.map((name) => [name, results.get(name)!.gas])));
  console.log(`merged ${names.length} keys into ${GAS_JSON}${over ? `; ${over} over the step goals (the verifier alone; not enforced here)` : ""}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
