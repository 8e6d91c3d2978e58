/**
 * Gas of the protocol contract on the in-process chain, merged into bench/results/gas.json ({"name": gas}, where gas
 * is receipt.gasUsed − 21,000 of a real transaction, calldata included).
 *
 *   job.create / job.accept    createJob, and acceptJob (which writes the job's step facts as a data contract: ADR 0007)
 *   rollup.submit              one submitRollup (O(1): the same for 5 or 1,024 iterations; both are measured)
 *   game.open                  one openGame
 *   game.move                  one reveal of 4 levels (16 children) + the choice, the larger of all such pairs
 *   game.move.reveal / .choose the two transactions of that pair
 *   dispute.v0.interactive.total  a full interactive game on a rollup of 1,024 iterations (open → step), all
 *                              transactions, on the MLP-shaped template below with OneStepVerifierV0's rules
 *   dispute.v0.interactive.txs its number of transactions
 *   dispute.v0.direct          the same game walked by the challenger in one multicall (reveals + choices + step)
 * The issue's dispute.interactive.* and dispute.direct are measured on a real rollup of the MNIST MLP with the real
 * verifier by packages/adjudication/scripts/bench-dispute-gas.ts.
 *   step.v0.relu / step.v0.param  the one-step transaction of OneStepVerifierV0's two rules (interactive, alone)
 *
 * The rollup's graph has the shape of the MNIST MLP's largest tensor: 32 nodes, node 1 = RELU of a 784×128 = 100,352
 * element PARAM (392 chunks), so the path has the depth of the real one: rollup tree 10, graph 5, tensor 9.
 *
 * Run: npx node --import tsx scripts/bench-game-gas.ts
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { network } from "hardhat";
import {
  DEFAULT_JOB,
  GameStatus,
  Harness,
  type NodeDesc,
  OP,
  Trace,
  directDisputeCalls,
  fraudFinder,
  scriptedChooser,
  toyParams,
} from "../test/protocol/helpers.js";

const OUT = new URL("../bench/results/gas.json", import.meta.url);

function mlpShapedTemplate(): NodeDesc[] {
  const big = 784 * 128;
  const nodes: NodeDesc[] = [
    { opcode: OP.PARAM, numel: big, rows: 784, cols: 128, inputs: [], attrs: [0, 16, 0] },
    { opcode: OP.RELU, numel: big, rows: 784, cols: 128, inputs: [0], attrs: [] },
  ];
  for (let p = 1; p < 16; p++) {
    const id = nodes.length;
    nodes.push({ opcode: OP.PARAM, numel: 128, rows: 1, cols: 128, inputs: [], attrs: [p, 16, id] });
    nodes.push({ opcode: OP.RELU, numel: 128, rows: 1, cols: 128, inputs: [id], attrs: [] });
  }
  return nodes;
}

async function main() {
  const results: Record<string, number> = {};
  const conn = await network.create();
  const template = mlpShapedTemplate();
  const params = toyParams(template, 3);
  const ITER = 1024;
  const target = { iteration: 777, node: 1, element: 100_000 };
  const tamper = { rollup: 0, ...target, value: 42.5 };
  const honest = new Trace({ template, params, stepsTotal: ITER, rollupSteps: ITER });
  const cheat = new Trace({ template, params, stepsTotal: ITER, rollupSteps: ITER, tamper });
  const cfg = { ...DEFAULT_JOB, stepsTotal: ITER, rollupSteps: ITER };

  // Interactive: the cheating trainer answers every move, the challenger bisects with its own reference trace.
  {
    const h = await Harness.create(conn, cheat, cfg);
    await h.setupJob();
    const [submit] = await h.submit();
    const open = await h.openGame(0);
    const res = await h.play(open.gameId, 0, fraudFinder(honest, 0));
    if (res.status !== GameStatus.ChallengerWon) throw new Error("bench: the challenger should have won");
    results["job.create"] = Number(h.setupGas!.create);
    results["job.accept"] = Number(h.setupGas!.accept);
    results["rollup.submit"] = Number(submit!.gas);
    results["game.open"] = Number(open.sent.gas);
    const worst = res.moves.reduce((a, b) => (a.reveal + a.choose >= b.reveal + b.choose ? a : b));
    results["game.move"] = Number(worst.reveal + worst.choose);
    results["game.move.reveal"] = Number(worst.reveal);
    results["game.move.choose"] = Number(worst.choose);
    results["dispute.v0.interactive.total"] = Number(res.gas + open.sent.gas);
    results["dispute.v0.interactive.txs"] = res.txs + 1;
    const { balance, owed } = await h.solvency();
    if (balance !== owed) throw new Error(`bench: balance ${balance} != owed ${owed}`);
  }
  // Direct: one multicall from the challenger.
  {
    const h = await Harness.create(conn, cheat, cfg);
    await h.setupJob();
    await h.submit();
    const { gameId } = await h.openGame(0);
    const sent = await h.sent(
      h.refereed.write.multicall([directDisputeCalls(h.refereed, h.trace, 0, gameId, target)], { account: h.alice.account }),
    );
    if ((await h.game(gameId)).status !== GameStatus.ChallengerWon) throw new Error("bench: direct dispute not won");
    results["dispute.v0.direct"] = Number(sent.gas);
  }
  // The one-step transactions of V0's rules, and submitRollup for a small rollup (O(1) check).
  for (const [name, node, element, iteration] of [
    ["step.v0.relu", 1, 100_000, 777],
    ["step.v0.param", 0, 100_000, 777],
  ] as const) {
    const h = await Harness.create(conn, honest, cfg);
    await h.setupJob();
    await h.submit();
    const { gameId } = await h.openGame(0);
    const path = [iteration >> 6, (iteration >> 2) & 15, iteration & 3, node >> 1, node & 1, (element >> 13) & 15, (element >> 9) & 15, (element >> 8) & 1];
    const chooser = scriptedChooser(path, element & 255);
    let stepGas = 0n;
    for (;;) {
      const g = await h.game(gameId);
      if (g.status !== GameStatus.InProgress) break;
      const side = await h.refereed.read.sideToMove([gameId]);
      const sent = side === 0 ? await h.trainerMove(gameId, 0) : await h.challengerMove(gameId, chooser);
      if (sent.logs.some((l) => l.eventName === "Stepped")) stepGas = sent.gas;
    }
    if ((await h.game(gameId)).status !== GameStatus.TrainerWon) throw new Error(`bench: ${name} should be won by the trainer`);
    const g = await h.game(gameId);
    if (g.iteration !== iteration || g.nodeId !== node || g.element !== element) throw new Error(`bench: ${name} took the wrong path`);
    results[name] = Number(stepGas);
  }
  {
    const small = new Trace({ template, params, stepsTotal: 5, rollupSteps: 5 });
    const h = await Harness.create(conn, small, { ...cfg, stepsTotal: 5, rollupSteps: 5 });
    await h.setupJob();
    const [s] = await h.submit();
    results["rollup.submit.5iterations"] = Number(s!.gas);
  }

  let merged: Record<string, number> = {};
  try {
    merged = JSON.parse(readFileSync(OUT, "utf8")) as Record<string, number>;
  } catch {
    merged = {}; // first writer
  }
  Object.assign(merged, results);
  mkdirSync(dirname(OUT.pathname), { recursive: true });
  writeFileSync(OUT, `${JSON.stringify(merged, null, 2)}\n`);
  const limits: Record<string, number> = {
    "rollup.submit": 80_000,
    "game.open": 150_000,
    "game.move": 70_000,
    "dispute.v0.interactive.total": 4_000_000,
    "dispute.v0.interactive.txs": 30,
    "dispute.v0.direct": 2_000_000,
  };
  for (const [k, v] of Object.entries(results)) {
    const lim = limits[k];
    console.log(`${k.padEnd(28)} ${String(v).padStart(10)}${lim ? `  (limit ${lim}${v <= lim ? ", ok" : ", OVER"})` : ""}`);
  }
  const over = Object.entries(limits).filter(([k, lim]) => (results[k] ?? 0) > lim);
  if (over.length) {
    console.error(`over budget: ${over.map(([k]) => k).join(", ")}`);
    process.exitCode = 1;
  }
}

await main();
