/**
 * The trainer daemon defends its rollups: a challenger opens games against an HONEST rollup anyway and plays them
 * interactively (it only chooses; every reveal, leaf reveal and the final step is the trainer's), toward a linear
 * element, a PARAM element in the rollup's first iteration (start-state link), a dropout element and a journal entry.
 * The trainer answers every move from its trace before its clock runs out and wins every game with the one-step proof
 * (full OneStepVerifier); it is credited the challenger's bonds, withdraws them, and its rollup still finalizes.
 * A fifth game's challenger stops choosing: the trainer claims the timeout and settles the game in one transaction.
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
  Side,
  TraceRollupData,
  callRequest,
  challengerChoice,
  protocolContracts,
  runTrainer,
  sideToMove,
  type Target,
  type TrainerHandle,
} from "../src/index.js";
import { REWARD, TERMS, TRAIN_EXAMPLES, freePort, makeSpec, testLogger, until, type Chain, useChain, type JobStateTuple, type SendRequest } from "./fixtures.js";

let chain: Chain;
const tmp = useChain("defend", (c) => (chain = c));


describe("the trainer daemon defends an honest rollup", () => {
  it("wins every game a challenger opens and plays interactively, then finalizes and is paid", async () => {
    let trainer: TrainerHandle | undefined;
    try {
      const requester = await chain.account();
      const trainerAcct = await chain.account();
      const rogue: LocalAccount = await chain.account();
      const vrfSeed = new Uint8Array(32).fill(21);
      const spec = makeSpec(vrfSeed, 3, 21);
      const jobId = await chain.createJob(requester, spec);
      const dataDir = join(tmp.dir, "trainer");
      trainer = await runTrainer({
        rpcUrl: chain.url,
        deployment: chain.deployment,
        account: trainerAcct,
        vrfSeed,
        spec,
        jobId,
        dataDir,
        traceServer: { port: await freePort() },
        confirmations: 1,
        pollIntervalMs: 100,
        tickMs: 150,
        logger: await testLogger("defend-trainer"),
      });
      await until("the rollup submitted", async () => (await chain.read<JobStateTuple>("jobState", [jobId]))[2] === 1n);

      // the rogue challenger reads the trainer's published trace (for its choices only)
      const reader = TraceReader.open(join(dataDir, "traces", `job${jobId}-r0`));
      const data = new TraceRollupData({ reader, firstStep: 0, data: loadMnist(TRAIN_EXAMPLES).train });
      const t = reader.template;
      const linear = t.nodes.find((n) => n.name === "fc2.z")!;
      const drop = t.dropout[0]!;
      const targets: Target[] = [
        { branch: "graph", iteration: 1, node: linear.id, element: 7 },
        { branch: "graph", iteration: 0, node: t.params[0]!.id, element: 12_000 },
        { branch: "graph", iteration: 2, node: drop.node, element: 5 },
        { branch: "journal", iteration: 2, index: 0 },
      ];
      const contracts = protocolContracts(chain.deployment);
      const protocol = new ProtocolReader(chain.publicClient, contracts);
      const send = (req: SendRequest) => chain.send(rogue, req);
      const claim = data.claim;
      const rollupId = jobId << 64n;
      const games: bigint[] = [];
      for (let k = 0; k < targets.length; k++) {
        const r = await send({ ...contracts.refereed, functionName: "openGame", args: [rollupId, claim.startState, claim.rollupRoot, claim.endState], value: TERMS.challengerBond });
        const ev = parseEventLogs({ abi: loadArtifact("Refereed").abi, logs: r.logs, eventName: "GameOpened" }) as unknown as { args: { gameId: bigint } }[];
        games.push(ev[0]!.args.gameId);
      }
      // a fifth game whose challenger never chooses
      const opened = await send({ ...contracts.refereed, functionName: "openGame", args: [rollupId, claim.startState, claim.rollupRoot, claim.endState], value: TERMS.challengerBond });
      const silent = (parseEventLogs({ abi: loadArtifact("Refereed").abi, logs: opened.logs, eventName: "GameOpened" }) as unknown as { args: { gameId: bigint } }[])[0]!.args.gameId;
      // play: choose toward each target whenever it is the challenger's turn; the trainer daemon does the rest
      const deadline = Date.now() + 90_000;
      const choices = new Map<bigint, number>();
      for (;;) {
        let open = 0;
        for (let k = 0; k < games.length; k++) {
          const g = await protocol.game(games[k]!);
          if (g.status !== GameStatus.InProgress) continue;
          open++;
          if (sideToMove(g.pos) !== Side.Challenger) continue;
          const m = challengerChoice(g.gameId, g.pos, { iteration: g.iteration, nodeId: g.nodeId, element: g.element, journalIndex: g.journalIndex }, targets[k]!, data)!;
          await send(callRequest(contracts.refereed, [m.call]));
          choices.set(g.gameId, (choices.get(g.gameId) ?? 0) + 1);
        }
        if (open === 0) break;
        assert.ok(Date.now() < deadline, "games ended in time");
        await new Promise((r) => setTimeout(r, 100));
      }
      for (const [k, gameId] of games.entries()) {
        const g = await protocol.game(gameId);
        assert.equal(g.status, GameStatus.TrainerWon, `game ${gameId} toward ${JSON.stringify(targets[k])}`);
        assert.ok((choices.get(gameId) ?? 0) >= 2, `game ${gameId} was played interactively (${choices.get(gameId)} choices)`);
      }
      await until("the trainer withdrew the four challenger bonds", async () => (await chain.withdrawn(trainerAcct.address)) === 4n * TERMS.challengerBond);
      await until("the trainer recorded four won games", () => trainer!.status().gamesWon === 4);
      // the silent game: the trainer revealed, the challenger never chose; once its clock is out the trainer claims it
      await until("the trainer revealed in the silent game", async () => sideToMove((await protocol.game(silent)).pos) === Side.Challenger);
      await chain.advance(Number(TERMS.challengerClock) + 1);
      await until("the silent game decided for the trainer and settled", async () => {
        const g = await protocol.game(silent);
        return g.status === GameStatus.TrainerWon && g.resolved;
      });
      const refereed = { address: contracts.refereed.address, abi: loadArtifact("Refereed").abi };
      const [timedOut] = (await chain.publicClient.getContractEvents({ ...refereed, eventName: "TimedOut", args: { gameId: silent }, fromBlock: 0n })) as unknown as { transactionHash: string }[];
      const [settled] = (await chain.publicClient.getContractEvents({ ...refereed, eventName: "GameResolved", args: { gameId: silent }, fromBlock: 0n })) as unknown as { transactionHash: string }[];
      assert.equal(settled!.transactionHash, timedOut!.transactionHash, "the timeout and its resolve in one transaction");
      await until("the trainer withdrew the fifth bond", async () => (await chain.withdrawn(trainerAcct.address)) === 5n * TERMS.challengerBond);
      await until("the trainer recorded five won games", () => trainer!.status().gamesWon === 5);
      await chain.advance(Number(TERMS.challengeWindow) + 1);
      await until("job completed", async () => (await chain.read<JobStateTuple>("jobState", [jobId]))[0] === JobStatus.Completed);
      await until("reward and bond withdrawn too", async () => (await chain.withdrawn(trainerAcct.address)) === 5n * TERMS.challengerBond + REWARD + TERMS.trainerBond);
      assert.match(await trainer.metrics.bot.text(), /refereed_trainer_games_won_total 5/);
    } finally {
      await trainer?.stop();
    }
  });
});
