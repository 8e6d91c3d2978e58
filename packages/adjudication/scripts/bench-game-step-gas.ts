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
 * sends. The trace is honest: every step must decide the game TrainerWon with a valid verdict. The trainer then settles
 * the game (`resolve`, as its bot does: ADR 0010) and withdraws the challenger's bond, so every step starts from the
 * same money state (the trainer's credit slot at its 1-wei sentinel, written at acceptJob: docs/GAME.md §7). The largest
 * of those `resolve` transactions is `game.resolve.trainerWon`.
 *
 * Prints op → verifier-only (`verifier.step.<name>` from bench/results/gas.json, as bench-step-gas.ts last wrote it) vs game
 * step and their difference. The difference is what the game adds: the context read from storage, the leaf check, the
 * verdict (status, events), and other calldata (the claim and the leaf instead of the
 * StepContext); where either transaction pays the EIP-7623 calldata floor the parts do not simply add. The goal column
 * is the issue's `step.<name>` goal; a figure over it is flagged and makes the script exit non-zero. Merges `step.*`
 * into bench/results/gas.json (read, merge, write: other benchmarks write it too; keys sorted; the `game.step.*` keys of
 * earlier versions are dropped).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GameStatus, Phase, resolveCall, trainerMove, type Target } from "@refereed/trainer/shared";
import { BenchError, GAS_JSON, benchRollup, mergeGasResults, pathOf } from "./bench-protocol.js";
import { BENCH_MODEL, BENCH_STEPS, benchJob, stepCases, stepGoal, type StepCase } from "./step-cases.js";

/** the measured rollup: the job's first (index 0) */
const FIRST_STEP = 0;

/** A step transaction: gas above the base cost, calldata bytes and EIP-7623 tokens. */
interface Measured {
  readonly gas: number;
  /** the `resolve` that followed it */
  readonly resolveGas: number;
  readonly bytes: number;
  readonly tokens: number;
}

const started = Date.now();
const { train, key, spec } = benchJob();
const dir = mkdtempSync(join(tmpdir(), "refereed-game-step-gas-"));
try {
  // ─────────────────────────────────────────── the protocol, the job and its rollup ──────────────────────────────────
  const { publicClient, trainer, refereed, reader, mined, send, openGame, walkToStep, trace, data, trainMs } = await benchRollup({
    spec,
    train,
    key,
    steps: BENCH_STEPS,
    dir,
    uri: "bench://game-step-gas/r0",
  });

  // ─────────────────────────────────────────── one game per case ─────────────────────────────────────────────────────
  // cases name absolute steps; the game names the rollup's iterations
  const targetOf = (c: StepCase): Target =>
    c.kind === "element"
      ? { branch: "graph", iteration: c.ref.step - FIRST_STEP, node: c.ref.node, element: c.ref.element }
      : { branch: "journal", iteration: c.step - FIRST_STEP, index: c.index };

  /** Opens a game, walks it to the case's step in one multicall, sends the trainer's step; returns the step's gas. */
  async function measure(c: StepCase): Promise<Measured & { walkCalls: number }> {
    const name = c.names[0]!;
    const { gameId } = await openGame(name);
    // the step is the trainer's, sent apart
    const { walkCalls } = await walkToStep(name, gameId, targetOf(c));

    const g = await reader.game(gameId);
    const wantPhase = c.kind === "element" ? Phase.ElementStep : Phase.JournalStep;
    if (g.status !== GameStatus.InProgress || g.pos.phase !== wantPhase) throw new BenchError(name, `after the walk: status ${g.status}, phase ${g.pos.phase} (want ${wantPhase})`);
    const at = c.kind === "element" ? [g.iteration, g.nodeId, g.element] : [g.iteration, g.journalIndex];
    const t = targetOf(c);
    const want = t.branch === "graph" ? [t.iteration, t.node, t.element] : [t.iteration, t.index];
    if (at.join() !== want.join()) throw new BenchError(name, `the walk reached ${at.join("/")}, not ${want.join("/")}`);
    const step = trainerMove(gameId, g.pos, pathOf(g), data);
    if (!step || step.call.functionName !== "step") throw new BenchError(name, "the trainer has no step to send");
    const sent = await send(name, trainer, [step.call]);
    const stepped = sent.logs.find((l) => l.eventName === "Stepped");
    if (!stepped || stepped.args.trainerValid !== true) throw new BenchError(name, "the verifier did not judge the honest trainer valid");
    const after = await reader.game(gameId);
    if (after.status !== GameStatus.TrainerWon) throw new BenchError(name, `game ${gameId} decided with status ${after.status}, not TrainerWon`);
    // the trainer settles the game it won, then withdraws: every step starts from the same money state
    const settled = await send(name, trainer, [resolveCall(gameId)]);
    await mined(name, refereed.write.withdraw({ account: trainer.account }));
    const tx = await publicClient.getTransaction({ hash: sent.receipt.transactionHash });
    let tokens = 0; // EIP-7623 calldata tokens: 1 per zero byte, 4 per other byte
    for (let i = 2; i < tx.input.length; i += 2) tokens += tx.input.slice(i, i + 2) === "00" ? 1 : 4;
    return { gas: Number(sent.receipt.gasUsed) - 21_000, resolveGas: Number(settled.receipt.gasUsed) - 21_000, bytes: (tx.input.length - 2) / 2, tokens, walkCalls };
  }

  const cases = stepCases(trace, FIRST_STEP, BENCH_STEPS);
  const results = new Map<string, Measured & { where: string }>();
  let walkCalls = 0;
  let resolveGas = 0;
  const tGames = Date.now();
  for (const c of cases) {
    const r = await measure(c);
    walkCalls = Math.max(walkCalls, r.walkCalls);
    resolveGas = Math.max(resolveGas, r.resolveGas);
    for (const name of c.names) {
      const prev = results.get(name);
      if (!prev || r.gas > prev.gas) results.set(name, { gas: r.gas, resolveGas: r.resolveGas, bytes: r.bytes, tokens: r.tokens, where: c.where });
    }
  }
  const gamesMs = Date.now() - tGames;

  // ─────────────────────────────────────────── report ────────────────────────────────────────────────────────────────
  // the verifier-alone figures, as bench-step-gas.ts last wrote them
  const merged: Record<string, number> = existsSync(GAS_JSON) ? (JSON.parse(readFileSync(GAS_JSON, "utf8")) as Record<string, number>) : {};
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
  mergeGasResults(
    { ...Object.fromEntries(names.map((name) => [`step.${name}`, results.get(name)!.gas])), "game.resolve.trainerWon": resolveGas },
    (k) => k.startsWith("game.step."),
  );
  console.log(
    `${cases.length} games (walks of up to ${walkCalls} calls in one multicall), all TrainerWon, each settled by the trainer's resolve (at most ${resolveGas} gas); ${over} steps over the step goals; ` +
      `merged ${names.length} step.* keys into ${GAS_JSON}; ` +
      `training ${(trainMs / 1000).toFixed(1)} s, games ${(gamesMs / 1000).toFixed(1)} s, total ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  if (over) process.exitCode = 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
