/**
 * Gas of whole disputes on a REAL rollup of 1,024 iterations of the MNIST MLP (784-128-64-10, batch 64, momentum,
 * dropout 1/5 after both hidden layers, BLS VRF seeds; the bench job of step-cases.ts with 1,024 steps), the issue's
 * `dispute.interactive.total` / `dispute.direct`:
 *
 *   npx node --import tsx packages/adjudication/scripts/bench-dispute-gas.ts
 *
 * On the in-process chain, with the real protocol (bench-protocol.ts): the trainer trains the rollup as the engine's
 * `wrong-update` adversary from iteration 777 (the update of fc1.w, the model's largest tensor, 100,352 elements in
 * 392 chunks: the deepest path of the game) and submits it. The challenger audits iteration 777 of the trace
 * (`audit`), which names the first bad element, and opens two games. It plays the first interactively: every reveal
 * of the trainer and every choice of the challenger is its own transaction, from the shared move planners
 * (`trainerMove`, `challengerChoice`) on the trainer's trace; the step is the trainer's, as the game makes it; then the
 * challenger settles the game (`resolve`, ADR 0010), its own transaction. It walks the second in one multicall, step
 * and `resolve` included (`planWalk`, as the challenger bot sends it). Both must end ChallengerWon and resolved.
 *
 * Keys (receipt.gasUsed − 21,000 of each transaction, summed; merged into bench/results/gas.json):
 *   dispute.interactive.total / .txs   openGame + every move + the step + resolve
 *   dispute.interactive.step           the step transaction alone
 *   dispute.interactive.resolve        the resolve transaction alone (challenger won: rollup rejected, job ended)
 *   dispute.direct                     the multicall walk with the step and resolve (the game was opened apart)
 *   dispute.step.<name>                a challenger-won step alone, for the ops whose trainer-won step (`step.<name>`)
 *                                      is nearest its limit: the trainer of a 3-step rollup adds 1 to the element
 *                                      that step-cases.ts measures for that name (a fresh job each). Held to the
 *                                      same goal as `step.<name>` (stepGoal); each game is then resolved, and the
 *                                      largest of those is `game.resolve.challengerWon`
 * The trace of 1,024 iterations (~1.1 GB: trace format 2 stores the source nodes, ADR 0011) is written to a temporary
 * directory and removed at the end.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { audit, loadMnist, makeAdversary, traceSource, type Adversary, type Job, type TraceReader } from "@refereed/engine";
import { GameStatus, RollupStatus, Side, challengerChoice, planWalk, resolveCall, sideToMove, trainerMove, type Target } from "@refereed/trainer/shared";
import { BenchError, GAS_JSON, benchRollup, mergeGasResults, pathOf } from "./bench-protocol.js";
import { benchJob, stepGoal } from "./step-cases.js";

const ITERATIONS = 1024;
const CHEAT_AT = 777;
const LIMITS = { total: 4_000_000, txs: 30, direct: 2_000_000 };

/** The ops whose trainer-won step is within ~35k of its limit, at the elements step-cases.ts measures for them. */
const CHALLENGER_WON_CASES = [
  { name: "linear.k128", node: "fc2.z", element: 0, step: 1, where: "fc2.z[0]" },
  { name: "linear.k64", node: "fc3.z", element: 0, step: 1, where: "fc3.z[0]" },
  { name: "matmul_nt.worst", node: "fc2.dout", element: 1625, step: 1, where: "fc2.dout[1625]" },
  { name: "xent_loss", node: "loss", element: 32, step: 1, where: "loss[32]" },
  { name: "sgd.end", node: "fc1.w.next", element: 50176, step: 2, where: "fc1.w.next[50176], last iteration" },
  { name: "momentum.end", node: "fc2.w.v.next", element: 4096, step: 2, where: "fc2.w.v.next[4096], last iteration" },
  { name: "dropout_bwd", node: "fc1.dropout.bwd", element: 4097, step: 1, where: "fc1.dropout.bwd[4097]" },
] as const;

const started = Date.now();
const train = loadMnist().train; // the 8,000 training digits
const { key, spec } = benchJob(ITERATIONS, train);
const dir = mkdtempSync(join(tmpdir(), "refereed-dispute-gas-"));
try {
  const r = await benchRollup({
    spec,
    train,
    key,
    steps: ITERATIONS,
    dir,
    adversary: (job) => makeAdversary("wrong-update", job, CHEAT_AT),
    uri: "bench://dispute-gas/r0",
  });
  const { trainer, challenger, reader, send, openGame, trace, data } = r;

  // ── the challenger's audit of the cheating iteration names the element to dispute ──
  const tAudit = Date.now();
  const { v, target } = auditTarget("audit", trace, CHEAT_AT);
  const auditMs = Date.now() - tAudit;

  const gasOf = (rc: { gasUsed: bigint }) => Number(rc.gasUsed) - 21_000;
  // both games open before either resolves: no game opens on a rejected rollup
  const inter = await openGame("interactive");
  const direct = await openGame("direct");

  // ── the interactive game: one transaction per move ──
  let total = inter.gas;
  let txs = 1;
  let stepGas = 0;
  for (let guard = 0; ; guard++) {
    if (guard > 200) throw new BenchError("interactive", "the game did not end in 200 moves");
    const g = await reader.game(inter.gameId);
    if (g.status !== GameStatus.InProgress) break;
    const side = sideToMove(g.pos);
    const mv = side === Side.Trainer ? trainerMove(inter.gameId, g.pos, pathOf(g), data) : challengerChoice(inter.gameId, g.pos, pathOf(g), target, data);
    if (!mv) throw new BenchError("interactive", `no ${side === Side.Trainer ? "trainer" : "challenger"} move at phase ${g.pos.phase}`);
    const sent = await send(`interactive ${mv.call.functionName}`, side === Side.Trainer ? trainer : challenger, [mv.call]);
    total += gasOf(sent.receipt);
    txs++;
    if (mv.call.functionName === "step") stepGas = gasOf(sent.receipt);
  }
  const gi = await reader.game(inter.gameId);
  if (gi.status !== GameStatus.ChallengerWon) throw new BenchError("interactive", `the game ended with status ${gi.status}, not ChallengerWon`);
  const settled = await send("interactive resolve", challenger, [resolveCall(inter.gameId)]);
  const resolveGas = gasOf(settled.receipt);
  total += resolveGas;
  txs++;
  if ((await reader.rollupStatus(r.rollupId)) !== RollupStatus.Rejected) throw new BenchError("interactive", "resolve did not reject the rollup");

  // ── the direct game: the whole walk, the step and resolve in one multicall ──
  const g0 = await reader.game(direct.gameId);
  const plan = planWalk({ gameId: direct.gameId, pos: g0.pos, path: pathOf(g0), data, as: "challenger", target, maxCalls: 1024 });
  if (plan.stoppedBy !== "decided") throw new BenchError("direct", `the walk stopped early (${plan.stoppedBy})`);
  const directCalls = [...plan.calls, resolveCall(direct.gameId)];
  const walked = await send("direct", challenger, directCalls);
  const gd = await reader.game(direct.gameId);
  if (gd.status !== GameStatus.ChallengerWon || !gd.resolved) throw new BenchError("direct", `the game ended with status ${gd.status} (resolved: ${gd.resolved}), not ChallengerWon and resolved`);
  const directGas = gasOf(walked.receipt);

  // ── challenger-won steps alone, for the ops nearest their limit ──
  const won: { name: string; where: string; gas: number; resolveGas: number; goal: number }[] = [];
  for (const c of CHALLENGER_WON_CASES) won.push({ ...c, ...(await challengerWonStep(c.node, c.element, c.step)), goal: stepGoal(c.name) });

  const results: Record<string, number> = {
    "dispute.interactive.total": total,
    "dispute.interactive.txs": txs,
    "dispute.interactive.step": stepGas,
    "dispute.interactive.resolve": resolveGas,
    "dispute.direct": directGas,
    ...Object.fromEntries(won.map((w) => [`dispute.step.${w.name}`, w.gas])),
    "game.resolve.challengerWon": Math.max(...won.map((w) => w.resolveGas)),
  };
  mergeGasResults(results);
  const stepsOver = won.filter((w) => w.gas > w.goal);
  const over = total > LIMITS.total || txs > LIMITS.txs || directGas > LIMITS.direct || stepsOver.length > 0;
  console.log(
    `dispute on a real rollup of ${ITERATIONS} iterations of the MNIST MLP, trainer cheating from iteration ${CHEAT_AT} (${v.nodeName}[${v.element}], ${v.reason}):\n` +
      `  interactive: ${txs} transactions, ${total} gas (limit ${LIMITS.txs} tx, ${LIMITS.total}); its step ${stepGas}, its resolve ${resolveGas}\n` +
      `  direct (one multicall of ${directCalls.length} calls, resolve included): ${directGas} gas (limit ${LIMITS.direct})\n` +
      won.map((w) => `  a challenger-won step of ${w.where}: dispute.step.${w.name} ${w.gas} gas (goal ${w.goal}${w.gas > w.goal ? ", OVER" : ""}; the trainer's: step.${w.name}), then resolve ${w.resolveGas}\n`).join("") +
      (over ? "  OVER A LIMIT\n" : "") +
      `merged into ${GAS_JSON}; training ${(r.trainMs / 1000).toFixed(1)} s, audit ${auditMs} ms, total ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  if (over) process.exitCode = 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}


/** The challenger's audit of iteration `at` of `trace`: the first bad element, as the game's target. */
function auditTarget(what: string, trace: TraceReader, at: number) {
  const found = audit(traceSource(trace), { data: train, steps: [at], datasetChecked: true });
  if (found.ok) throw new BenchError(what, `no violation found in iteration ${at}`);
  const v = found.violation;
  const target: Target = { branch: "graph", iteration: v.step, node: v.node, element: v.element };
  return { v, target };
}

/**
 * The step transaction that the challenger wins, alone: a rollup of 3 iterations whose trainer adds 1 to element
 * `element` of node `node` in iteration `at` (after computing it: later nodes read the changed value, so that element
 * is the first bad one), the audit's target (which must be that element), the walk to the step in one multicall, then
 * the step sent by the challenger (anyone may), then its `resolve`, which must reject the rollup.
 */
async function challengerWonStep(node: string, element: number, at: number): Promise<{ gas: number; resolveGas: number }> {
  const steps = 3;
  const what = `${node}[${element}]`;
  const d = mkdtempSync(join(tmpdir(), "refereed-dispute-step-"));
  try {
    const adversary = (job: Job): Adversary => ({
      kind: "activation-tamper", // the nearest kind; the change is this bench's own
      step: at,
      expectedNode: node,
      description: `adds 1 to ${what} in iteration ${at}`,
      options: {
        hook: (n, out, _o, ctx) => {
          if (ctx.step === at && n.name === node) out[element] = out[element]! + 1;
        },
      },
    });
    const r = await benchRollup({ spec: benchJob(steps, train).spec, train, key, steps, dir: d, adversary, uri: "bench://dispute-gas/step" });
    const { v, target } = auditTarget(what, r.trace, at);
    if (v.nodeName !== node || v.element !== element) throw new BenchError(what, `the audit named ${v.nodeName}[${v.element}] instead`);
    const { gameId } = await r.openGame(what);
    const { step } = await r.walkToStep(what, gameId, target);
    const sent = await r.send(what, r.challenger, [step]);
    const g = await r.reader.game(gameId);
    if (g.status !== GameStatus.ChallengerWon) throw new BenchError(what, `the game ended with status ${g.status}, not ChallengerWon`);
    const settled = await r.send(what, r.challenger, [resolveCall(gameId)]);
    if ((await r.reader.rollupStatus(r.rollupId)) !== RollupStatus.Rejected) throw new BenchError(what, "resolve did not reject the rollup");
    return { gas: Number(sent.receipt.gasUsed) - 21_000, resolveGas: Number(settled.receipt.gasUsed) - 21_000 };
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
}
