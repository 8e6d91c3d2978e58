/**
 * The real protocol on the in-process chain, as the gas benchmarks of real games use it (bench-game-step-gas.ts,
 * bench-dispute-gas.ts): OneStepVerifier, TrainerKeys and Refereed deployed; a trainer that registers its BLS key,
 * accepts a job the requester creates for the bench spec, trains one rollup of the job with the nonce drawn on-chain
 * (optionally as an adversary of the engine) and submits it. Returns what a game needs: the contracts, the rollup's
 * data for the shared move planners (`TraceRollupData`) and a `mined` helper that requires success.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { network } from "hardhat";
import { parseEther, parseEventLogs, type Hex, type PublicClient, type WalletClient } from "viem";
import { fromHex, toHex } from "@refereed/core";
import { TraceReader, makeJob, type Adversary, type Dataset, type JobSpec } from "@refereed/engine";
import { rollupTraceName, trainRollup } from "@refereed/trainer";
import {
  ProtocolReader,
  TraceRollupData,
  callRequest,
  jobParamsForSpec,
  planWalk,
  rollupIdOf,
  type GameView,
  type JobTerms,
  type PathState,
  type ProtocolContracts,
  type RefereedCall,
  type Target,
} from "@refereed/trainer/shared";

/** bench/results/gas.json: a flat {"name": gas} file several benchmarks write (read, merge, write). */
export const GAS_JSON = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "bench", "results", "gas.json");

/** The current gas.json; merges `results` into it, drops the keys `drop` names, writes it back with sorted keys. */
export function mergeGasResults(results: Record<string, number>, drop: (key: string) => boolean = () => false): Record<string, number> {
  const merged: Record<string, number> = existsSync(GAS_JSON) ? (JSON.parse(readFileSync(GAS_JSON, "utf8")) as Record<string, number>) : {};
  for (const k of Object.keys(merged)) if (drop(k)) delete merged[k];
  Object.assign(merged, results);
  const sorted = Object.fromEntries(Object.entries(merged).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  mkdirSync(dirname(GAS_JSON), { recursive: true });
  writeFileSync(GAS_JSON, `${JSON.stringify(sorted, null, 2)}\n`);
  return sorted;
}

/** The path fields of a game record, as the move planners take them. */
export const pathOf = (g: GameView): PathState => ({ iteration: g.iteration, nodeId: g.nodeId, element: g.element, journalIndex: g.journalIndex });

export class BenchError extends Error {
  constructor(what: string, detail: string) {
    super(`bench ${what}: ${detail}`);
    this.name = "BenchError";
  }
}

/** Job terms with room for every game of a benchmark (each block advances the chain clock). */
export function benchTerms(rollupSteps: number): JobTerms {
  return {
    rollupSteps,
    challengeWindow: 86_400,
    trainerClock: 3_600,
    challengerClock: 3_600,
    submissionTimeout: 86_400,
    trainerBond: parseEther("1"),
    challengerBond: parseEther("0.01"),
  };
}

export interface BenchRollupInput {
  readonly spec: JobSpec;
  readonly train: Dataset;
  readonly key: { readonly sk: Uint8Array; readonly pk: Uint8Array; readonly pop: Uint8Array };
  /** iterations of the job's first (and only measured) rollup */
  readonly steps: number;
  /** where the trace is written (the caller removes it) */
  readonly dir: string;
  /** the trainer cheats as this engine adversary (default: honest) */
  readonly adversary?: Adversary | ((job: ReturnType<typeof makeJob>) => Adversary);
  readonly uri: string;
}

/** Deploys the protocol, creates and accepts the job, trains and submits its first rollup. */
export async function benchRollup(i: BenchRollupInput) {
  const { viem } = await network.create();
  const publicClient = await viem.getPublicClient();
  const wallets = await viem.getWalletClients();
  const wallet = (k: number) => {
    const w = wallets[k];
    if (!w) throw new BenchError("setup", `the in-process chain has ${wallets.length} accounts, not ${k + 1}`);
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

  const terms = benchTerms(i.steps);
  await mined("setup", keys.write.registerKey([toHex(i.key.pk), toHex(i.key.pop)], { account: trainer.account }));
  const created = await mined("setup", refereed.write.createJob([jobParamsForSpec(i.spec, terms)], { account: requester.account, value: parseEther("1") }));
  const jobCreated = created.logs.find((l) => l.eventName === "JobCreated");
  if (!jobCreated) throw new BenchError("setup", "no JobCreated event");
  const jobId = jobCreated.args.jobId;
  // the key's registration and the acceptance are in different blocks (KeyTooFresh): createJob mined in between
  await mined("setup", refereed.write.acceptJob([jobId], { account: trainer.account, value: terms.trainerBond }));
  const { nonce } = await reader.jobState(jobId);
  const job = makeJob(i.spec, fromHex(nonce, 32, "nonce"));
  const adversary = typeof i.adversary === "function" ? i.adversary(job) : i.adversary;
  const tTrain = Date.now();
  await trainRollup({ job, data: i.train, sk: i.key.sk, traceRoot: i.dir, jobId, index: 0, firstStep: 0, count: i.steps, adversary });
  const trainMs = Date.now() - tTrain;
  const trace = TraceReader.open(join(i.dir, rollupTraceName(jobId, 0)));
  const rollupId = rollupIdOf(jobId, 0);
  const data = new TraceRollupData({
    reader: trace,
    firstStep: 0,
    data: i.train,
    vrfPublicKey: i.key.pk,
    chain: { jobId, rollupId, rollupIndex: 0n, toleranceProfile: 0 },
  });
  const { startState, rollupRoot, endState } = data.claim;
  await mined("setup", refereed.write.submitRollup([jobId, startState, rollupRoot, endState, i.uri], { account: trainer.account }));

  /** Sends `calls` from `from` (one call, or a multicall), requiring success. */
  const send = (what: string, from: WalletClient, calls: readonly RefereedCall[]) =>
    mined(what, from.writeContract(callRequest(contracts.refereed, calls) as Parameters<typeof from.writeContract>[0]));

  /** The challenger opens a game against the rollup's claim; its id and the transaction's gas. */
  async function openGame(what: string) {
    const o = await mined(what, refereed.write.openGame([rollupId, startState, rollupRoot, endState], { account: challenger.account, value: terms.challengerBond }));
    const ev = o.logs.find((l) => l.eventName === "GameOpened");
    if (!ev) throw new BenchError(what, "no GameOpened event");
    return { gameId: ev.args.gameId, gas: Number(o.receipt.gasUsed) - 21_000 };
  }

  /**
   * The challenger, holding the trace, walks game `gameId` to the one-step check of `target` in one multicall (the
   * bots' own walk, `planWalk`), without the step; returns the step call and the number of calls walked.
   */
  async function walkToStep(what: string, gameId: bigint, target: Target) {
    const g0 = await reader.game(gameId);
    const plan = planWalk({ gameId, pos: g0.pos, path: pathOf(g0), data, as: "challenger", target, maxCalls: 1024 });
    // INVARIANT: the challenger holds the whole trace, so its plan reaches the step.
    const step = plan.calls.at(-1);
    if (plan.stoppedBy !== "decided" || step?.functionName !== "step") throw new BenchError(what, `the walk stopped early (${plan.stoppedBy})`);
    const walk = plan.calls.slice(0, -1);
    await send(what, challenger, walk);
    return { step, walkCalls: walk.length };
  }

  return { publicClient, requester, trainer, challenger, refereed, contracts, reader, mined, send, openGame, walkToStep, terms, job, jobId, rollupId, trace, data, trainMs };
}
