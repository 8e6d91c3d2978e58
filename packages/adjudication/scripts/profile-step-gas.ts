/**
 * Where the gas of a one-step transaction goes: debug-traces selected steps of the bench-step-gas.ts setup (MNIST MLP
 * 784-128-64-10, batch 64, three training steps, in-process EDR chain) and attributes every opcode's gas to the
 * Solidity function it was compiled from (source maps and ASTs of the build info of `npx hardhat build`).
 *
 *   npx node --import tsx packages/adjudication/scripts/profile-step-gas.ts [case ...] [--top N]
 *
 * Cases: linear.k128, linear.k64, matmul_nt.k10, sgd, sgd.end, momentum.end, relu, relu_bwd, row_sum, xent_loss,
 * param, data_x, journal (default: linear.k128 and sgd.end). Per case it prints the transaction's gas (− 21000), the
 * execution gas the trace accounts for, and the N most expensive functions (self gas: a call's callee is counted in
 * the callee). Depth 1 is OneStepHarness, depth 2 OneStepVerifier, depth 3 OneStepPrimitives (the verifier's only
 * callee besides precompiles, which leave no steps). `<generated>` is compiler-generated code (ABI coding, checked
 * arithmetic helpers) of that contract. The optimizer merges identical code blocks, so a little gas lands on a function
 * that shares a block with the one that ran. A profiling aid, not a benchmark: bench-step-gas.ts records the figures.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { network } from "hardhat";
import type { Hex } from "viem";
import { ProofBuilder, traceRollupSource, type StepContext } from "../src/index.js";
import { BENCH_STEPS as STEPS, benchJob, trainBenchTrace } from "./step-cases.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

const args = process.argv.slice(2);
const topAt = args.indexOf("--top");
const top = topAt >= 0 ? Number(args[topAt + 1]) : 20;
const wanted = args.filter((a, i) => a !== "--top" && i !== topAt + 1);
if (wanted.length === 0) wanted.push("linear.k128", "sgd.end");

// ─────────────────────────────────────────── source attribution ──────────────────────────────────────────────────
interface AstNode { nodeType?: string; name?: string; kind?: string; src?: string; [k: string]: unknown }
interface Attribution { label(pc: number): string }

/** pc → "Contract.function" for the deployed code of `contract` (artifact path relative to artifacts/contracts). */
function attribution(artifact: string, contract: string): Attribution {
  const art = JSON.parse(readFileSync(join(root, "artifacts", "contracts", artifact), "utf8")) as { buildInfoId: string; sourceName: string };
  const info = join(root, "artifacts", "build-info", `${art.buildInfoId}.output.json`);
  if (!existsSync(info)) throw new Error(`no build info ${info}: run npx hardhat build`);
  const out = (JSON.parse(readFileSync(info, "utf8")) as { output: { sources: Record<string, { id: number; ast: AstNode }>; contracts: Record<string, Record<string, { evm: { deployedBytecode: { object: string; sourceMap: string } } }>> } }).output;
  const funcs = new Map<number, { s: number; e: number; name: string }[]>();
  const walk = (n: unknown, file: number, owner: string): void => {
    if (Array.isArray(n)) return n.forEach((c) => walk(c, file, owner));
    if (n === null || typeof n !== "object") return;
    const node = n as AstNode;
    const o = node.nodeType === "ContractDefinition" ? String(node.name) : owner;
    if ((node.nodeType === "FunctionDefinition" || node.nodeType === "ModifierDefinition") && node.src) {
      const [s, l] = node.src.split(":").map(Number) as [number, number];
      const list = funcs.get(file) ?? [];
      list.push({ s, e: s + l, name: `${o}.${node.name || node.kind}` });
      funcs.set(file, list);
    }
    for (const v of Object.values(node)) walk(v, file, o);
  };
  for (const src of Object.values(out.sources)) walk(src.ast, src.id, "");
  const code = out.contracts[Object.keys(out.contracts).find((k) => out.contracts[k]![contract])!]![contract]!.evm.deployedBytecode;
  // instruction index of every pc (PUSH1..PUSH32 carry 1..32 data bytes)
  const bytes = Buffer.from(code.object, "hex");
  const indexOf = new Map<number, number>();
  for (let pc = 0, i = 0; pc < bytes.length; i++) {
    indexOf.set(pc, i);
    const op = bytes[pc]!;
    pc += 1 + (op >= 0x60 && op <= 0x7f ? op - 0x5f : 0);
  }
  // decompressed source map entries s:l:f (an empty field repeats the previous entry's)
  const entries: [number, number, number][] = [];
  let prev: [number, number, number] = [0, 0, -1];
  for (const e of code.sourceMap.split(";")) {
    const p = e.split(":");
    const cur: [number, number, number] = [p[0] ? Number(p[0]) : prev[0], p[1] ? Number(p[1]) : prev[1], p[2] ? Number(p[2]) : prev[2]];
    entries.push(cur);
    prev = cur;
  }
  return {
    label(pc: number): string {
      const entry = entries[indexOf.get(pc) ?? -1];
      if (!entry || !funcs.has(entry[2])) return `${contract}:<generated>`;
      const [s, l, f] = entry;
      let best: { s: number; e: number; name: string } | undefined;
      for (const fn of funcs.get(f)!) if (fn.s <= s && s + l <= fn.e && (!best || fn.e - fn.s < best.e - best.s)) best = fn;
      return best?.name ?? `${contract}:<generated>`;
    },
  };
}

const byDepth = new Map<number, Attribution>([
  [1, attribution("harness/OneStepHarness.sol/OneStepHarness.json", "OneStepHarness")],
  [2, attribution("OneStepVerifier.sol/OneStepVerifier.json", "OneStepVerifier")],
  [3, attribution("OneStepVerifier.sol/OneStepPrimitives.json", "OneStepPrimitives")],
]);

interface Step { pc: number; op: string; gas: number; gasCost: number; depth: number }

/** Self gas per function label: an opcode's gas, a call's without what its callee's steps used. */
function selfGas(steps: Step[]): Map<string, number> {
  const acc = new Map<string, number>();
  for (let i = 0; i < steps.length; i++) {
    const s = steps[i]!;
    const next = steps[i + 1];
    let cost = s.gasCost;
    if (next && next.depth === s.depth) cost = s.gas - next.gas;
    else if (next && next.depth > s.depth) {
      let j = i + 1;
      while (j < steps.length && steps[j]!.depth > s.depth) j++;
      const last = steps[j - 1]!;
      const inner = next.gas - (last.gas - last.gasCost);
      if (j < steps.length) cost = s.gas - steps[j]!.gas - inner;
    }
    const label = byDepth.get(s.depth)?.label(s.pc) ?? `depth ${s.depth}`;
    acc.set(label, (acc.get(label) ?? 0) + cost);
  }
  return acc;
}

// ─────────────────────────────────────────── the trace and the chain ─────────────────────────────────────────────
const bench = benchJob();
const dir = mkdtempSync(join(tmpdir(), "refereed-step-prof-"));
try {
  const reader = await trainBenchTrace(bench, dir);
  const b = new ProofBuilder(traceRollupSource(reader, 0, bench.train));
  const t = b.template;
  const { viem } = await network.create();
  const publicClient = await viem.getPublicClient();
  const verifier = await viem.deployContract("OneStepVerifier");
  const harness = await viem.deployContract("OneStepHarness", [verifier.address]);
  const id = (name: string) => t.nodes.find((x) => x.name === name)!.id;
  const mid = (name: string) => Math.floor(t.nodes[id(name)]!.shape.reduce((x, y) => x * y, 1) / 2);
  const cases: Record<string, { journal?: boolean; step: number; node: number; element: number }> = {
    "linear.k128": { step: 1, node: id("fc2.z"), element: 0 },
    "linear.k64": { step: 1, node: id("fc3.z"), element: 0 },
    "matmul_nt.k10": { step: 1, node: id("fc2.dout"), element: 1625 },
    sgd: { step: 1, node: id("fc2.w.next"), element: 4096 },
    "sgd.end": { step: STEPS - 1, node: id("fc2.w.next"), element: mid("fc2.w.next") },
    "momentum.end": { step: STEPS - 1, node: id("fc2.w.v.next"), element: mid("fc2.w.v.next") },
    relu: { step: 1, node: id("fc1.relu"), element: 4096 },
    relu_bwd: { step: 1, node: id("fc1.dz"), element: 4096 },
    row_sum: { step: 1, node: id("fc1.db"), element: 64 },
    xent_loss: { step: 1, node: id("loss"), element: 32 },
    param: { step: 1, node: id("fc3.w"), element: 320 },
    data_x: { step: 1, node: id("x"), element: 25088 },
    journal: { journal: true, step: 1, node: 0, element: 1 },
  };
  for (const name of wanted) {
    const c = cases[name];
    if (!c) throw new Error(`unknown case ${name}; one of ${Object.keys(cases).join(", ")}`);
    const ctx: StepContext = c.journal ? b.journalContext(c.step, c.element) : b.elementContext({ step: c.step, node: c.node, element: c.element });
    const proof: Hex = c.journal ? b.journalProof(c.step, c.element) : b.elementProof({ step: c.step, node: c.node, element: c.element });
    const hash = c.journal ? await harness.write.stepJournal([ctx, proof, true]) : await harness.write.stepElement([ctx, proof, true]);
    const receipt = await publicClient.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success") throw new Error(`${name}: transaction reverted`);
    const trace = (await publicClient.request({
      method: "debug_traceTransaction" as never,
      params: [hash, { disableStorage: true, disableMemory: true, disableStack: true }] as never,
    })) as { structLogs: Step[] };
    const gas = selfGas(trace.structLogs);
    const exec = [...gas.values()].reduce((x, y) => x + y, 0);
    console.log(`\n${name}: ${Number(receipt.gasUsed) - 21000} gas (tx − 21000), ${exec} of it execution in ${trace.structLogs.length} steps`);
    for (const [label, g] of [...gas.entries()].sort((x, y) => y[1] - x[1]).slice(0, top)) console.log(`${String(g).padStart(9)}  ${label}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
