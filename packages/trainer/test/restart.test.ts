/**
 * The trainer as a separate process (`src/main.ts` with a JSON config), killed with SIGKILL in the middle of a game
 * it must defend, and restarted on the same data directory. The trainer is honest (6 steps, two rollups); a rogue
 * challenger in the test opens a game against its first rollup anyway and plays it interactively (one choice per
 * transaction, toward an element of fc2.z), so every reveal and the final step are the trainer's and the kill lands
 * between its moves. The restarted trainer resumes from its Store and its traces on disk (no second key
 * registration, acceptance or submission), answers the pending move, wins the game with the one-step proof (the
 * challenger's bond comes to it), finalizes both rollups after the window and withdraws each credit exactly once.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { parseEventLogs, type LocalAccount } from "viem";
import { loadArtifact } from "@refereed/client";
import { TraceReader, loadMnist } from "@refereed/engine";
import {
  GameStatus,
  JobStatus,
  ProtocolReader,
  RollupStatus,
  Side,
  TraceRollupData,
  callRequest,
  challengerChoice,
  protocolContracts,
  sideToMove,
  type Target,
} from "../src/index.js";
import { REWARD, TERMS, TRAIN_EXAMPLES, freePort, makeSpec, transactionsFrom, until, type Chain, useChain, type JobStateTuple, FUNDED, type SendRequest } from "./fixtures.js";
import { botBase, killAllBots, startBot, trainerBotConfig, writeConfig } from "./procs.js";

let chain: Chain;
const tmp = useChain("trainer-restart", (c) => (chain = c), killAllBots);


describe("trainer process: kill -9 mid-game and restart", () => {
  it("resumes, defends and wins the game, finalizes its rollups and withdraws each credit once", async () => {
    const requester = await chain.account();
    const rogue: LocalAccount = await chain.account();
    const { privateKey: key, account: trainer } = await chain.keyedAccount();
    const vrfSeed = new Uint8Array(32).fill(41);
    const spec = makeSpec(vrfSeed, 6, 41);
    const jobId = await chain.createJob(requester, spec);
    const dataDir = join(tmp.dir, "trainer-state");
    const config = writeConfig(
      join(tmp.dir, "trainer.json"),
      trainerBotConfig(botBase(tmp.dir, chain.url, { tickMs: 200 }), { privateKey: key, vrfSeed, spec, jobId, dataDir, traceServer: { port: await freePort() } }),
    );
    let proc = startBot("trainer", config, "trainer-1");
    await proc.ready();
    await until("both rollups submitted", async () => (await chain.read<JobStateTuple>("jobState", [jobId]))[2] === 2n, 120_000);

    // the rogue challenger reads the trainer's published trace (for its choices only) and opens a game anyway
    const reader = TraceReader.open(join(dataDir, "traces", `job${jobId}-r0`));
    const data = new TraceRollupData({ reader, firstStep: 0, data: loadMnist(TRAIN_EXAMPLES).train });
    const target: Target = { branch: "graph", iteration: 1, node: reader.template.nodes.find((n) => n.name === "fc2.z")!.id, element: 7 };
    const contracts = protocolContracts(chain.deployment);
    const protocol = new ProtocolReader(chain.publicClient, contracts);
    const send = (req: SendRequest) => chain.send(rogue, req);
    const claim = data.claim;
    const rollup0 = jobId << 64n;
    const opened = await send({ ...contracts.refereed, functionName: "openGame", args: [rollup0, claim.startState, claim.rollupRoot, claim.endState], value: TERMS.challengerBond });
    const gameId = (parseEventLogs({ abi: loadArtifact("Refereed").abi, logs: opened.logs, eventName: "GameOpened" }) as unknown as { args: { gameId: bigint } }[])[0]!.args.gameId;

    // the rogue chooses whenever it is its turn, in the background, until the game is resolved
    let choices = 0;
    let rogueDone = false;
    const rogueLoop = (async () => {
      const deadline = Date.now() + 150_000;
      while (!rogueDone) {
        const g = await protocol.game(gameId);
        if (g.status !== GameStatus.InProgress) return g.status;
        if (sideToMove(g.pos) === Side.Challenger) {
          const m = challengerChoice(g.gameId, g.pos, { iteration: g.iteration, nodeId: g.nodeId, element: g.element, journalIndex: g.journalIndex }, target, data)!;
          await send(callRequest(contracts.refereed, [m.call]));
          choices++;
        }
        if (Date.now() > deadline) throw new Error("the game did not end in time");
        await new Promise((r) => setTimeout(r, 100));
      }
      return null;
    })();
    rogueLoop.catch(() => undefined); // awaited below; a failure must not surface as an unhandled rejection first
    try {
      // kill -9 right after the trainer's first move in the game
      const moveOf = (l: { msg?: string; key?: unknown }) => l.msg === "move sent" && String(l.key).startsWith(`trainer:move:${gameId}:`);
      await proc.waitFor(moveOf);
      assert.deepEqual(await proc.kill("SIGKILL"), { code: null, signal: "SIGKILL" }, "killed by a signal");
      const movesBefore = proc.count(moveOf);
      // the rogue answers; then it is the trainer's move, and nobody makes it while the trainer is down
      const stuck = await until("the trainer's turn with the trainer down", async () => {
        const g = await protocol.game(gameId);
        return g.status === GameStatus.InProgress && sideToMove(g.pos) === Side.Trainer ? g : null;
      });
      await new Promise((r) => setTimeout(r, 1500));
      const still = await protocol.game(gameId);
      assert.equal(still.status, GameStatus.InProgress, "killed mid-game");
      assert.equal(still.posWord, stuck.posWord, "no move while the trainer is down");

      proc = startBot("trainer", config, "trainer-2");
      await proc.ready();
      assert.equal(await rogueLoop, GameStatus.TrainerWon, "the restarted trainer won the game");
      assert.ok(proc.line("follower resumes from its saved cursor"), "resumed from its store");
      assert.ok(proc.count(moveOf) >= 1, "the restarted trainer made the pending move");
      assert.ok(movesBefore >= 1 && choices >= 2, `played interactively (${movesBefore} trainer moves before the kill, ${choices} choices)`);
      await until("the trainer withdrew the challenger's bond", async () => (await chain.withdrawn(trainer.address)) === TERMS.challengerBond);
      await until("the trainer recorded the won game", () => proc.line((l) => l.msg === "game resolved" && l.gameId === gameId.toString() && l.outcome === "trainer won"));

      // after the window both rollups finalize (in order), the job completes, reward and bond are withdrawn
      await chain.advance(Number(TERMS.challengeWindow) + 1);
      await until("job completed", async () => (await chain.read<JobStateTuple>("jobState", [jobId]))[0] === JobStatus.Completed, 60_000);
      for (const k of [0n, 1n]) assert.equal(Number(await chain.read<number>("rollupStatus", [rollup0 | k])), RollupStatus.Finalized);
      await until("reward and bond withdrawn", async () => (await chain.withdrawn(trainer.address)) === TERMS.challengerBond + REWARD + TERMS.trainerBond, 60_000);
      assert.equal(await chain.read<bigint>("credits", [trainer.address]), 0n);

      // each credit withdrawn exactly once; one registration, one acceptance, one submission per rollup
      await new Promise((r) => setTimeout(r, 1000)); // a duplicate withdrawal would be sent within a few ticks
      const sent = await transactionsFrom(chain, trainer.address);
      const calls = (name: string) => sent.filter((t) => t.functionName === name);
      assert.deepEqual(sent.filter((t) => !t.success), [], "no reverted transaction");
      assert.equal(sent.filter((t) => t.functionName === null).length, 1, "one key registration (TrainerKeys)");
      assert.equal(calls("acceptJob").length, 1);
      assert.equal(calls("submitRollup").length, 2);
      assert.equal(calls("finalizeRollup").length, 2);
      assert.equal(calls("withdraw").length, 2, "two credits (the game's bond, then reward and bond), two withdrawals");
      const withdrawals = (await chain.publicClient.getContractEvents({ ...contracts.refereed, eventName: "Withdrawn", args: { account: trainer.address }, fromBlock: 0n })).map(
        (l) => (l as unknown as { args: { amount: bigint } }).args.amount,
      );
      assert.deepEqual(withdrawals, [TERMS.challengerBond, REWARD + TERMS.trainerBond]);
      const fees = sent.reduce((s, t) => s + t.fee, 0n);
      assert.equal(await chain.publicClient.getBalance({ address: trainer.address }), FUNDED - fees + TERMS.challengerBond + REWARD, "bond back, reward and the rogue's bond, less gas");
      const refereedBalance = await chain.publicClient.getBalance({ address: contracts.refereed.address });
      assert.equal(refereedBalance, await chain.read<bigint>("totalOwed"));
      assert.equal(refereedBalance, 0n, "nothing left owed");
      assert.deepEqual(await proc.kill("SIGTERM"), { code: 0, signal: null }, "graceful stop on SIGTERM");
    } finally {
      rogueDone = true;
      await rogueLoop.catch(() => undefined);
    }
  });
});
