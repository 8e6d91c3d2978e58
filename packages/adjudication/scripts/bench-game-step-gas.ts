/**
 * Gas of the REAL one-step transaction, `Refereed.step`, for every op of the MNIST MLP (784-128-64-10, batch 64,
 * momentum 0.9, dropout 1/5 after both hidden layers, BLS VRF seeds, three steps in one rollup), beside the
 * verifier-only figures of bench-step-gas.ts.
 *
 *   npx node --import tsx packages/adjudication/scripts/bench-game-step-gas.ts
 *
 * On the in-process EDR chain: the protocol (OneStepVerifier, TrainerKeys, Refereed) is deployed, the trainer registers
 * its BLS key with its proof of possession, a requester creates the job (`jobParamsForSpec`), the trainer accepts it,
 * trains the rollup with the nonce drawn on-chain (`trainRollup`) and submits it. Then, for every case of
 * step-cases.ts (the elements bench-step-gas.ts measures), a challenger opens a game and walks it, in ONE multicall,
 * to the ElementStep / JournalStep of that leaf (the bots' own walk: `planWalk` over `TraceRollupData`, without its
 * final step); the trainer then sends `step` alone (`trainerMove`), and its receipt.gasUsed − 21000 is recorded as
 * `step.<name>` (the largest over the cases carrying the name): the issue's keys, since this is the transaction a user
 * sends. The trace is honest: every step must resolve the
 * game TrainerWon with a valid verdict. The trainer withdraws its credit after each game, so every step starts from the
 * same money state (no credit yet: the step pays the zero → non-zero credit write a first won game pays).
 *
 * Prints op → verifier-only (`verifier.step.<name>` from bench/results/gas.json, as bench-step-gas.ts last wrote it) vs game
 * step and their difference. The difference is what the game adds: the context read from storage, the leaf check, the
 * resolution (status, open-game count, credits, events), and other calldata (the claim and the leaf instead of the
 * StepContext); where either transaction pays the EIP-7623 calldata floor the parts do not simply add. The goal column
 * is the issue's `step.<name>` goal; a figure over it is flagged and makes the script exit non-zero. Merges `step.*`
 * into bench/results/gas.json (read, merge, write: other benchmarks write it too; keys sorted; the `game.step.*` keys of
 * earlier versions are dropped).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { network } from "hardhat";
import { parseEther, parseEventLogs, type Hex, type PublicClient } from "viem";
import { fromHex, toHex } from "@refereed/core";
import { TraceReader, makeJob } from "@refereed/engine";
import { rollupTraceName, trainRollup } from "@refereed/trainer";
import {
  GameStatus,
  Phase,
  ProtocolReader,
  TraceRollupData,
  callRequest,
  jobParamsForSpec,
  planWalk,
  rollupIdOf,
  trainerMove,
  type GameView,
  type JobTerms,
  type PathState,
  type ProtocolContracts,
  type Target,
} from "@refereed/trainer/shared";
import { BENCH_MODEL, BENCH_STEPS, benchJob, stepCases, stepGoal, type StepCase } from "./step-cases.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const outFile = join(root, "bench", "results", "gas.json");

const TERMS: JobTerms = {
  rollupSteps: BENCH_STEPS,
  challengeWindow: 86_400, // room for every game (each block advances the chain clock)
  trainerClock: 3_600,
  challengerClock: 3_600,
  submissionTimeout: 86_400,
  trainerBond: parseEther("1"),
  challengerBond: parseEther("0.01"),
};
const REWARD = parseEther("1");
/** the measured rollup: the job's first (index 0) */
const FIRST_STEP = 0;

/** A step transaction: gas above the base cost, calldata bytes and EIP-7623 tokens. */
interface Measured {
  readonly gas: number;
  readonly bytes: number;
  readonly tokens: number;
}

class BenchError extends Error {
  constructor(name: string, detail: string) {
    super(`bench step.${name}: ${detail}`);
    this.name = "BenchError";
  }
}

const started = Date.now();
const { train, key, spec } = benchJob();
const dir = mkdtempSync(join(tmpdir(), "refereed-game-step-gas-"));
try {
  // ─────────────────────────────────────────── the protocol ──────────────────────────────────────────────────────────
  const { viem } = await network.create();
  const publicClient = await viem.getPublicClient();
  const wallets = await viem.getWalletClients();
  const wallet = (i: number) => {
    const w = wallets[i];
    if (!w) throw new BenchError("setup", `the in-process chain has ${wallets.length} accounts, not ${i + 1}`);
    return w;
  };
  const [requester, trainer, challenger] = [wallet(0), wallet(1), wallet(2)];
  const verifier = await viem.deployContract("OneStepVerifier");
  const keys = await viem.deployContract("TrainerKeys");
  const refereed = await viem.deployContract("Refereed", [verifier.address, keys.address]);
  const contracts: ProtocolContracts = {
    refereed: { address: refereed.address, abi: refereed.abi },
    keys: { address: keys.address, abi: keys.abi },
    verifierAbi: verifier.abi,
  };
  const reader = new ProtocolReader(publicClient as unknown as PublicClient, contracts);

  /** Waits for `hash`, requires success, returns the receipt and Refereed's decoded events. */
  async function mined(what: string, hash: Hex | Promise<Hex>) {
    const h = await hash;
    const receipt = await publicClient.waitForTransactionReceipt({ hash: h });
    if (receipt.status !== "success") throw new BenchError(what, `transaction ${h} reverted`);
    const logs = parseEventLogs({ abi: refereed.abi, logs: receipt.logs });
    return { receipt, logs };
  }

  // ─────────────────────────────────────────── the job and its rollup ────────────────────────────────────────────────
  await mined("setup", keys.write.registerKey([toHex(key.pk), toHex(key.pop)], { account: trainer.account }));
  const created = await mined("setup", refereed.write.createJob([jobParamsForSpec(spec, TERMS)], { account: requester.account, value: REWARD }));
  const jobCreated = created.logs.find((l) => l.eventName === "JobCreated");
  if (!jobCreated) throw new BenchError("setup", "no JobCreated event");
  const jobId = jobCreated.args.jobId;
  // the key's registration and the acceptance are in different blocks (KeyTooFresh): createJob mined in between
  await mined("setup", refereed.write.acceptJob([jobId], { account: trainer.account, value: TERMS.trainerBond }));
  const { nonce } = await reader.jobState(jobId);
  const job = makeJob(spec, fromHex(nonce, 32, "nonce"));
  const tTrain = Date.now();
  await trainRollup({ job, data: train, sk: key.sk, traceRoot: dir, jobId, index: 0, firstStep: FIRST_STEP, count: BENCH_STEPS });
  const trainMs = Date.now() - tTrain;
  const trace = TraceReader.open(join(dir, rollupTraceName(jobId, 0)));
  const rollupId = rollupIdOf(jobId, 0);
  const data = new TraceRollupData({
    reader: trace,
    firstStep: FIRST_STEP,
    data: train,
    vrfPublicKey: key.pk,
    chain: { jobId, rollupId, rollupIndex: 0n, toleranceProfile: 0 },
  });
  const { startState, rollupRoot, endState } = data.claim;
  await mined("setup", refereed.write.submitRollup([jobId, startState, rollupRoot, endState, "bench://game-step-gas/r0"], { account: trainer.account }));

  // ─────────────────────────────────────────── one game per case ─────────────────────────────────────────────────────
  const pathOf = (g: GameView): PathState => ({ iteration: g.iteration, nodeId: g.nodeId, element: g.element, journalIndex: g.journalIndex });
  // cases name absolute steps; the game names the rollup's iterations
  const targetOf = (c: StepCase): Target =>
    c.kind === "element"
      ? { branch: "graph", iteration: c.ref.step - FIRST_STEP, node: c.ref.node, element: c.ref.element }
      : { branch: "journal", iteration: c.step - FIRST_STEP, index: c.index };

  /** Opens a game, walks it to the case's step in one multicall, sends the trainer's step; returns the step's gas. */
  async function measure(c: StepCase): Promise<Measured & { walkCalls: number }> {
    const name = c.names[0]!;
    const opened = await mined(name, refereed.write.openGame([rollupId, startState, rollupRoot, endState], { account: challenger.account, value: TERMS.challengerBond }));
    const ev = opened.logs.find((l) => l.eventName === "GameOpened");
    if (!ev) throw new BenchError(name, "no GameOpened event");
    const gameId = ev.args.gameId;
    const g0 = await reader.game(gameId);
    const plan = planWalk({ gameId, pos: g0.pos, path: pathOf(g0), data, as: "challenger", target: targetOf(c), maxCalls: 1024 });
    // INVARIANT: the challenger holds the whole trace, so its plan reaches the step (the trainer's, sent apart).
    if (plan.stoppedBy !== "resolved" || plan.calls.at(-1)?.functionName !== "step") throw new BenchError(name, `the walk stopped early (${plan.stoppedBy})`);
    const walk = plan.calls.slice(0, -1);
    await mined(name, challenger.writeContract(callRequest(contracts.refereed, walk) as Parameters<typeof challenger.writeContract>[0]));

    const g = await reader.game(gameId);
    const wantPhase = c.kind === "element" ? Phase.ElementStep : Phase.JournalStep;
    if (g.status !== GameStatus.InProgress || g.pos.phase !== wantPhase) throw new BenchError(name, `after the walk: status ${g.status}, phase ${g.pos.phase} (want ${wantPhase})`);
    const at = c.kind === "element" ? [g.iteration, g.nodeId, g.element] : [g.iteration, g.journalIndex];
    const t = targetOf(c);
    const want = t.branch === "graph" ? [t.iteration, t.node, t.element] : [t.iteration, t.index];
    if (at.join() !== want.join()) throw new BenchError(name, `the walk reached ${at.join("/")}, not ${want.join("/")}`);
    const step = trainerMove(gameId, g.pos, pathOf(g), data);
    if (!step || step.call.functionName !== "step") throw new BenchError(name, "the trainer has no step to send");
    const sent = await mined(name, trainer.writeContract(callRequest(contracts.refereed, [step.call]) as Parameters<typeof trainer.writeContract>[0]));
    const stepped = sent.logs.find((l) => l.eventName === "Stepped");
    if (!stepped || stepped.args.trainerValid !== true) throw new BenchError(name, "the verifier did not judge the honest trainer valid");
    const after = await reader.game(gameId);
    if (after.status !== GameStatus.TrainerWon) throw new BenchError(name, `game ${gameId} resolved with status ${after.status}, not TrainerWon`);
    // every step starts from the same money state: the trainer holds no credit
    await mined(name, refereed.write.withdraw({ account: trainer.account }));
    const tx = await publicClient.getTransaction({ hash: sent.receipt.transactionHash });
    let tokens = 0; // EIP-7623 calldata tokens: 1 per zero byte, 4 per other byte
    for (let i = 2; i < tx.input.length; i += 2) tokens += tx.input.slice(i, i + 2) === "00" ? 1 : 4;
    return { gas: Number(sent.receipt.gasUsed) - 21_000, bytes: (tx.input.length - 2) / 2, tokens, walkCalls: walk.length };
  }

  const cases = stepCases(trace, FIRST_STEP, BENCH_STEPS);
  const results = new Map<string, Measured & { where: string }>();
  let walkCalls = 0;
  const tGames = Date.now();
  for (const c of cases) {
    const r = await measure(c);
    walkCalls = Math.max(walkCalls, r.walkCalls);
    for (const name of c.names) {
      const prev = results.get(name);
      if (!prev || r.gas > prev.gas) results.set(name, { gas: r.gas, bytes: r.bytes, tokens: r.tokens, where: c.where });
    }
  }
  const gamesMs = Date.now() - tGames;

  // ─────────────────────────────────────────── report ────────────────────────────────────────────────────────────────
  const merged: Record<string, number> = existsSync(outFile) ? (JSON.parse(readFileSync(outFile, "utf8")) as Record<string, number>) : {};
  const names = [...results.keys()].sort();
  const fmt = (x: number | undefined) => (x === undefined ? "-" : String(x));
  console.log(`one-step gas in the game (Refereed.step, tx gas − 21000) vs the verifier alone (OneStepHarness), MNIST MLP ${BENCH_MODEL.sizes.join("-")}, batch ${BENCH_MODEL.batch}`);
  console.log(`${"op".padEnd(18)} ${"verifier".padStart(9)} ${"game step".padStart(9)} ${"diff".padStart(7)} ${"goal".padStart(9)} ${"step B".padStart(6)} ${"tokens".padStart(6)} ${"floor".padStart(5)}  where`);
  let over = 0;
  for (const name of names) {
    const r = results.get(name)!;
    const v = merged[`verifier.step.${name}`];
    const goal = stepGoal(name);
    if (r.gas > goal) over++;
    // EIP-7623 (Prague): a transaction pays max(4·tokens + execution, 10·tokens) above the base cost
    const floored = r.gas <= 10 * r.tokens;
    console.log(
      `${name.padEnd(18)} ${fmt(v).padStart(9)} ${String(r.gas).padStart(9)} ${(v === undefined ? "-" : String(r.gas - v)).padStart(7)} ` +
        `${String(goal).padStart(9)} ${String(r.bytes).padStart(6)} ${String(r.tokens).padStart(6)} ${(floored ? "yes" : "no").padStart(5)}  ${r.where}${r.gas > goal ? "  OVER GOAL" : ""}`,
    );
  }
  for (const k of Object.keys(merged)) if (k.startsWith("game.step.")) delete merged[k];
  for (const name of names) merged[`step.${name}`] = results.get(name)!.gas;
  const sorted = Object.fromEntries(Object.entries(merged).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  mkdirSync(dirname(outFile), { recursive: true });
  writeFileSync(outFile, `${JSON.stringify(sorted, null, 2)}\n`);
  console.log(
    `${cases.length} games (walks of up to ${walkCalls} calls in one multicall), all TrainerWon; ${over} steps over the step goals; ` +
      `merged ${names.length} step.* keys into ${outFile}; ` +
      `training ${(trainMs / 1000).toFixed(1)} s, games ${(gamesMs / 1000).toFixed(1)} s, total ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  if (over) process.exitCode = 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
