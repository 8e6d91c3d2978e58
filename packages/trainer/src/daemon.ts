/**
 * The trainer daemon (`runTrainer`): one process, one job.
 *
 *   follower ──(JobCreated with our spec hash, GameOpened)──▶ state (Store)
 *   main loop:  register the VRF key (PoP) → accept the job (bond) → read the nonce → for each rollup:
 *               train with the engine (honest or an adversary) → publish the trace → submitRollup(trace URI)
 *   duty loop (every tick): defend every open game from the trace (solver → responder), finalize rollups whose window
 *               passed, withdraw credits; metrics (clock margins, credits, balance)
 *
 * Everything it needs to resume is in the Store and on disk (traces): a trainer killed at any point and restarted
 * with the same config picks up where it was — the same transactions (idempotency keys), the rollup it was training
 * (retrained deterministically), the games in progress (defended from the trace on disk).
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { keccak256, type Address, type Hex, type PublicClient } from "viem";
import {
  ChainFollower,
  ContractRevertError,
  Store,
  TxSender,
  componentLogger,
  createLogger,
  type Logger,
} from "@refereed/client";
import { fromHex, toHex, vrfKeygen } from "@refereed/core";
import { ConfigError, TraceReader, makeJob, onchainJobFields, specHashHex, type Dataset, type Job } from "@refereed/engine";
import { startTraceServer, traceUri, type TraceServer } from "@refereed/trace";
import { trainerStorePath, trainerTraceDir, type TrainerConfig } from "./config.js";
import { trainerMetrics, type TrainerMetrics } from "./metrics.js";
import { TrainerResponder } from "./responder.js";
import { finalizeActions, trainerGameActions, withdrawActions, type RollupView } from "./solver.js";
import { TrainerState, jobParamsFromStored, type StoredRollup } from "./state.js";
import { adversaryFor, endStateOf, rollupTraceComplete, rollupTraceName, rollupTraceStatus, trainRollup } from "./train.js";
import { ChainNudger, DEV_CHAIN_IDS, ProtocolReader, makePublicClient, protocolContracts, type JobParams, type ProtocolContracts } from "./shared/chain.js";
import { BotConfigError, jsonSafe } from "./shared/config.js";
import { TraceRollupData } from "./shared/data.js";
import { loadJobDataset } from "./shared/dataset.js";
import { GameStatus, JobStatus, RollupStatus, Side, awaitsResolve, clockMargin, rollupIdOf } from "./shared/game.js";
import { collectCredits } from "./shared/metrics.js";
import { dutyLoop } from "./shared/process.js";

/** A snapshot of what the trainer is doing (for tests, the CLI's status and the demo). */
export interface TrainerStatus {
  readonly phase: "starting" | "registering" | "waiting-for-job" | "training" | "submitted-all" | "stopped" | "failed";
  readonly jobId: bigint | null;
  readonly rollups: readonly StoredRollup[];
  readonly gamesOpen: number;
  readonly gamesWon: number;
  readonly gamesLost: number;
  readonly error: string | null;
}

export interface TrainerHandle {
  readonly address: Address;
  readonly metrics: TrainerMetrics;
  readonly state: TrainerState;
  /** the trace server's base URL (http://127.0.0.1:PORT) */
  readonly traceServerUrl: string;
  status(): TrainerStatus;
  /** Stops both loops, the follower and the trace server, and closes the store (in-flight work finishes first). */
  stop(): Promise<void>;
}

/** Job parameters on chain that do not match the spec: the trainer refuses the job (it would lose its games). */
export class JobMismatchError extends Error {
  constructor(
    readonly jobId: bigint,
    readonly field: string,
    readonly onchain: string,
    readonly spec: string,
  ) {
    super(`job ${jobId}: on-chain ${field} is ${onchain}, the spec implies ${spec}`);
    this.name = "JobMismatchError";
  }
}

const eqHex = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/** Checks the on-chain job fields against what the spec implies (docs/GAME.md §1). */
export function checkJobAgainstSpec(jobId: bigint, p: JobParams, job: { spec: TrainerConfig["spec"] }): void {
  const f = onchainJobFields(job.spec);
  const pairs: [string, string, string][] = [
    ["specHash", p.specHash, f.specHash],
    ["templateRoot", p.templateRoot, f.templateRoot],
    ["initialState", p.initialState, f.initialState],
    ["datasetRoot", p.datasetRoot, f.datasetRoot],
    ["datasetSize", p.datasetSize.toString(), String(f.datasetSize)],
    ["nodeCount", String(p.nodeCount), String(f.nodeCount)],
    ["dropoutLayers", String(p.dropoutLayers), String(f.dropoutLayers)],
    ["stepsTotal", p.stepsTotal.toString(), String(f.stepsTotal)],
  ];
  for (const [field, onchain, spec] of pairs) if (!eqHex(onchain, spec)) throw new JobMismatchError(jobId, field, onchain, spec);
}

export async function runTrainer(config: TrainerConfig): Promise<TrainerHandle> {
  const log: Logger = config.logger ?? createLogger({ name: "trainer" });
  const me = config.account.address;
  const key = vrfKeygen(config.vrfSeed);
  const pkHex = toHex(key.pk);
  // INVARIANT: the job is directed at this trainer's VRF key (its seeds and the verifier's key hash depend on it).
  if (!eqHex(config.spec.vrfKey, pkHex)) throw new BotConfigError("spec.vrfKey", `is ${config.spec.vrfKey.slice(0, 18)}…, but the configured VRF seed gives ${pkHex.slice(0, 18)}…`);
  const keyHash = keccak256(key.pk);
  const specHash = specHashHex(config.spec);
  const dataset: Dataset = loadJobDataset(config.spec, config.dataset);
  const traceDir = trainerTraceDir(config);
  const store = Store.open(trainerStorePath(config));
  const state = new TrainerState(store);
  const metrics = trainerMetrics(config.metricsPrefix ?? "refereed_trainer");
  let client: PublicClient;
  let server: TraceServer;
  try {
    client = await makePublicClient(config.rpcUrl);
    mkdirSync(traceDir, { recursive: true });
    server = await startTraceServer({ dir: traceDir, host: config.traceServer?.host, port: config.traceServer?.port ?? 0 });
  } catch (err) {
    store.close();
    throw err;
  }
  const contracts: ProtocolContracts = protocolContracts(config.deployment);
  const reader = new ProtocolReader(client, contracts);
  const tx = new TxSender({ publicClient: client, account: config.account, store, logger: componentLogger(log, "tx"), timeoutMs: config.txTimeoutMs });
  const responder = new TrainerResponder(tx, contracts.refereed, state, componentLogger(log, "responder"), metrics);
  const tickMs = config.tickMs ?? 1000;
  const chainId = await client.getChainId();
  const nudger = new ChainNudger({
    enabled: config.devChainNudge ?? DEV_CHAIN_IDS.includes(chainId),
    reader,
    keyPrefix: "trainer",
    send: (key) => tx.write({ address: contracts.refereed.address, abi: contracts.refereed.abi, functionName: "multicall", args: [[]] } as Parameters<TxSender["write"]>[0], { key }),
    log: (msg, obj) => log.info(jsonSafe(obj) as object, msg),
  });
  const abort = new AbortController();
  let stopped = false;
  let phase: TrainerStatus["phase"] = "starting";
  let failure: string | null = null;
  const nap = (ms: number) => sleep(ms, undefined, { signal: abort.signal }).catch(() => undefined);
  log.info({ address: me, specHash, traceServer: server.url, keyHash, attack: config.attack ?? "none" }, "trainer starting");

  // ───────────────────────────── events: candidate jobs and games ─────────────────────────────
  const follower = new ChainFollower({
    client,
    address: contracts.refereed.address,
    abi: contracts.refereed.abi,
    fromBlock: BigInt(config.deployment.deployBlock),
    confirmations: config.confirmations ?? 2,
    pollIntervalMs: config.pollIntervalMs ?? 1000,
    store,
    cursorKey: "trainer:follower",
    logger: componentLogger(log, "follower"),
    onLogs: (batch) => {
      for (const l of batch.logs as unknown as { eventName: string; args: Record<string, unknown>; blockNumber: bigint }[]) {
        if (l.eventName === "JobCreated") {
          const p = l.args.params as JobParams;
          if (eqHex(p.specHash, specHash)) {
            state.putCandidate(l.args.jobId as bigint, l.args.requester as Address, p, l.blockNumber);
            log.info({ jobId: (l.args.jobId as bigint).toString() }, "job with our spec hash created");
          }
        } else if (l.eventName === "GameOpened") {
          const gameId = l.args.gameId as bigint;
          if (!state.game(gameId)) {
            const mine = state.job();
            if (mine && (l.args.rollupId as bigint) >> 64n === mine.jobId) {
              metrics.gamesSeen.inc();
              log.warn({ gameId: gameId.toString(), rollupId: (l.args.rollupId as bigint).toString(), challenger: l.args.challenger }, "game opened against our rollup");
            }
            state.putGame({ gameId: gameId.toString(), rollupId: (l.args.rollupId as bigint).toString(), challenger: l.args.challenger as Address, status: "open", block: l.blockNumber.toString() });
          }
        }
      }
    },
    onReorg: (r) => state.dropAfter(r.forkBlock),
  });
  follower.start();

  // ───────────────────────────── main loop: key, job, training, submissions ─────────────────────────────
  async function ensureKey(): Promise<void> {
    phase = "registering";
    for (;;) {
      const k = await reader.keyOf(me);
      if (eqHex(k.keyHash, keyHash)) return;
      log.info({ keyHash }, "registering the VRF key (proof of possession)");
      await tx.write(
        { address: contracts.keys.address, abi: contracts.keys.abi, functionName: "registerKey", args: [pkHex, toHex(key.pop)] } as Parameters<TxSender["write"]>[0],
        { key: `trainer:register:${keyHash}` },
      );
    }
  }

  /** Waits for a block after `block` (on an idle dev chain, mines one). */
  async function awaitBlockAfter(block: bigint): Promise<void> {
    while (!stopped && (await client.getBlockNumber({ cacheTime: 0 })) <= block) {
      await nudger.ensure({ blockAfter: block });
      await nap(Math.min(500, tickMs));
    }
  }

  const refused = new Set<string>();
  async function ensureJob(): Promise<{ jobId: bigint; nonce: Hex; params: JobParams }> {
    phase = "waiting-for-job";
    for (;;) {
      if (stopped) throw new Error("stopped");
      const mine = state.job();
      if (mine) {
        const c = state.candidate(mine.jobId);
        if (c) return { ...mine, params: jobParamsFromStored(c.params) };
      }
      const candidates = state.candidates().filter((c) => !refused.has(c.jobId) && (config.jobId === undefined || BigInt(c.jobId) === config.jobId));
      for (const c of candidates) {
        const jobId = BigInt(c.jobId);
        const params = jobParamsFromStored(c.params);
        try {
          checkJobAgainstSpec(jobId, params, config);
        } catch (err) {
          refused.add(c.jobId);
          log.error({ jobId: c.jobId, err }, "refusing the job: its on-chain fields do not match the spec");
          continue;
        }
        const js = await reader.jobState(jobId);
        if (js.status !== JobStatus.Open && eqHex(js.trainer, me)) {
          state.setJob(jobId, js.nonce);
          log.info({ jobId: c.jobId, nonce: js.nonce }, "job accepted; nonce drawn");
          return { jobId, nonce: js.nonce, params };
        }
        if (js.status !== JobStatus.Open) {
          refused.add(c.jobId);
          log.info({ jobId: c.jobId, status: js.status }, "job is no longer open");
          continue;
        }
        // INVARIANT (KeyTooFresh): the key must be registered in an earlier block than the acceptance; calls are
        // simulated against the latest block, so wait until one exists after the registration.
        const reg = await reader.keyOf(me);
        if ((await client.getBlockNumber({ cacheTime: 0 })) <= reg.registeredBlock) {
          await awaitBlockAfter(reg.registeredBlock);
          continue;
        }
        log.info({ jobId: c.jobId, bond: params.trainerBond.toString() }, "accepting the job");
        try {
          await tx.write(
            { address: contracts.refereed.address, abi: contracts.refereed.abi, functionName: "acceptJob", args: [jobId], value: params.trainerBond } as Parameters<TxSender["write"]>[0],
            { key: `trainer:accept:${jobId}` },
          );
        } catch (err) {
          if (!(err instanceof ContractRevertError)) throw err;
          log.warn({ jobId: c.jobId, errorName: err.errorName }, "acceptJob reverted; trying again later");
        }
        break;
      }
      await nap(tickMs);
    }
  }

  async function trainAndSubmit(jobId: bigint, nonce: Hex, params: JobParams): Promise<void> {
    const job: Job = makeJob(config.spec, fromHex(nonce, 32, "nonce"));
    const rollupSteps = Number(params.rollupSteps);
    const stepsTotal = Number(params.stepsTotal);
    const n = Math.ceil(stepsTotal / rollupSteps);
    const adversary = adversaryFor(config.attack, job, config.attackStep ?? 1);
    if (adversary) log.warn({ attack: adversary.kind, step: adversary.step, description: adversary.description }, "CHEATING trainer (adversary enabled)");
    phase = "training";
    for (let k = 0; k < n && !stopped; k++) {
      const firstStep = k * rollupSteps;
      const count = Math.min(rollupSteps, stepsTotal - firstStep);
      const name = rollupTraceName(jobId, k);
      const dir = join(traceDir, name);
      const status = rollupTraceStatus(dir, firstStep, count);
      if (!status.complete) {
        // a trace left by an earlier run that cannot be used is replaced; say so, and why
        if (!status.absent) log.warn({ rollup: k, dir, reason: status.reason }, "rollup trace on disk is not usable; training the rollup again");
        const startState = k === 0 ? undefined : endStateOf(join(traceDir, rollupTraceName(jobId, k - 1)));
        const t0 = Date.now();
        log.info({ rollup: k, firstStep, count }, "training rollup");
        await trainRollup({
          job,
          data: dataset,
          sk: key.sk,
          traceRoot: traceDir,
          jobId,
          index: k,
          firstStep,
          count,
          startState,
          adversary,
          onStep: () => metrics.trainingSteps.inc(),
          stopped: () => stopped,
        });
        log.info({ rollup: k, ms: Date.now() - t0 }, "rollup trained");
      }
      const ru = TraceReader.open(dir).manifest.rollups[0]!;
      const prev = state.rollup(k);
      let uri = prev?.uri ?? null;
      const published = await server.publish(name);
      // INVARIANT: a rollup keeps the URI it was first published (and maybe submitted) with.
      uri ??= config.traceServer?.publicBaseUrl ? traceUri(config.traceServer.publicBaseUrl, name, published.indexHash) : published.uri;
      const rollupId = rollupIdOf(jobId, k);
      state.putRollup({ index: k, rollupId: rollupId.toString(), name, uri, startState: ru.startStateRoot, rollupRoot: ru.root, endState: ru.endStateRoot, status: prev?.status ?? "trained" });
      const js = await reader.jobState(jobId);
      if (js.status !== JobStatus.Active) {
        log.warn({ status: js.status }, "the job is no longer active: training stops");
        return;
      }
      if (js.submitted > BigInt(k)) {
        state.setRollupStatus(k, "submitted");
        continue;
      }
      await tx.write(
        { address: contracts.refereed.address, abi: contracts.refereed.abi, functionName: "submitRollup", args: [jobId, ru.startStateRoot, ru.root, ru.endStateRoot, uri] } as Parameters<TxSender["write"]>[0],
        { key: `trainer:submit:${jobId}:${k}` },
      );
      state.setRollupStatus(k, "submitted");
      metrics.rollupsSubmitted.inc();
      log.info({ rollup: k, rollupId: rollupId.toString(), root: ru.root, uri }, "rollup submitted");
    }
    if (!stopped) phase = "submitted-all";
  }

  const isFatal = (err: unknown) => err instanceof BotConfigError || err instanceof JobMismatchError || err instanceof ConfigError;
  const main = (async () => {
    let backoff = 500;
    while (!stopped) {
      try {
        await ensureKey();
        const { jobId, nonce, params } = await ensureJob();
        await trainAndSubmit(jobId, nonce, params);
        return;
      } catch (err) {
        if (stopped) return;
        if (isFatal(err)) {
          phase = "failed";
          failure = (err as Error).message;
          log.error({ err }, "trainer cannot go on with this job (games already open are still defended)");
          return;
        }
        log.error({ err }, "main loop error; retrying");
        await nap(backoff);
        backoff = Math.min(30_000, backoff * 2);
      }
    }
  })();

  // ───────────────────────────── duty loop: games, finalization, withdrawals ─────────────────────────────
  const dataCache = new Map<number, TraceRollupData>();
  function rollupData(jobId: bigint, index: number, params: JobParams): TraceRollupData | null {
    const hit = dataCache.get(index);
    if (hit) return hit;
    const rollupSteps = Number(params.rollupSteps);
    const firstStep = index * rollupSteps;
    const count = Math.min(rollupSteps, Number(params.stepsTotal) - firstStep);
    const dir = join(traceDir, rollupTraceName(jobId, index));
    if (!rollupTraceComplete(dir, firstStep, count)) return null;
    const d = new TraceRollupData({
      reader: TraceReader.open(dir),
      firstStep,
      data: dataset,
      vrfPublicKey: key.pk,
      chain: { jobId, rollupId: rollupIdOf(jobId, index), rollupIndex: BigInt(index), toleranceProfile: params.toleranceProfile },
    });
    dataCache.set(index, d);
    return d;
  }

  async function tick(): Promise<void> {
    const mine = state.job();
    const now = await reader.now();
    if (mine) {
      const c = state.candidate(mine.jobId);
      const params = c ? jobParamsFromStored(c.params) : null;
      // games against our rollups
      const open = state.games("open").filter((g) => BigInt(g.rollupId) >> 64n === mine.jobId);
      metrics.gamesOpen.set(open.length);
      for (const g of open) {
        const gameId = BigInt(g.gameId);
        try {
          let view = await reader.game(gameId);
          if (awaitsResolve(view, GameStatus.TrainerWon)) {
            // won but not settled: the challenger's bond and the rollup's finalization wait on resolve
            const [o] = await responder.execute(trainerGameActions({ game: view, now, data: null }));
            if (o?.result) view = await reader.game(gameId);
            if (awaitsResolve(view, GameStatus.TrainerWon)) continue; // not settled yet: again next tick
          }
          if (view.status !== GameStatus.InProgress) {
            const won = view.status === GameStatus.TrainerWon;
            state.putGame({ ...g, status: won ? "trainer-won" : "challenger-won" });
            (won ? metrics.gamesWon : metrics.gamesLost).inc();
            metrics.clockMargin.remove({ game: g.gameId });
            log.info({ gameId: g.gameId, outcome: won ? "trainer won" : "challenger won" }, "game resolved");
            continue;
          }
          metrics.clockMargin.set({ game: g.gameId }, Number(clockMargin(view, Side.Trainer, now)));
          const data = params ? rollupData(mine.jobId, Number(view.rollupIndex), params) : null;
          if (!data) log.warn({ gameId: g.gameId, rollup: view.rollupIndex.toString() }, "no trace for the game's rollup: cannot defend");
          const actions = trainerGameActions({ game: view, now, data });
          if (actions.some((a) => a.kind === "timeout")) await nudger.ensure({ timestamp: view.lastMove + view.challengerLeft + 1n });
          await responder.execute(actions);
        } catch (err) {
          log.error({ gameId: g.gameId, err }, "defending the game failed; retrying next tick");
        }
      }
      metrics.gamesOpen.set(state.games("open").filter((g) => BigInt(g.rollupId) >> 64n === mine.jobId).length);
      // finalization, in order
      if (params) {
        const js = await reader.jobState(mine.jobId);
        const views: RollupView[] = [];
        for (let k = Number(js.finalized); k < Number(js.submitted); k++) {
          const rid = rollupIdOf(mine.jobId, k);
          const [r, status] = await Promise.all([reader.rollup(rid), reader.rollupStatus(rid)]);
          views.push({ rollupId: rid, index: k, status, submittedAt: r.submittedAt, openGames: r.openGames });
          if (status === RollupStatus.Rejected && state.rollup(k)?.status !== "rejected") {
            state.setRollupStatus(k, "rejected");
            metrics.rollupsRejected.inc();
          }
          if (status !== RollupStatus.Pending) break;
        }
        for (let k = 0; k < Number(js.finalized); k++) {
          if (state.rollup(k) && state.rollup(k)!.status !== "finalized") {
            state.setRollupStatus(k, "finalized");
            metrics.rollupsFinalized.inc();
          }
        }
        const fin = finalizeActions(views, Number(js.finalized), params.challengeWindow, now);
        const first = views.find((v) => fin[0]?.kind === "finalize" && v.rollupId === fin[0].rollupId);
        if (first) await nudger.ensure({ timestamp: first.submittedAt + params.challengeWindow });
        for (const o of await responder.execute(fin)) {
          if (o.result && o.action.kind === "finalize") {
            const k = Number(o.action.rollupId & ((1n << 64n) - 1n));
            if (state.rollup(k)?.status !== "finalized") {
              state.setRollupStatus(k, "finalized");
              metrics.rollupsFinalized.inc();
            }
          }
        }
      }
    }
    await collectCredits(me, reader, client, metrics, config.autoWithdraw !== false && ((amount) => responder.execute(withdrawActions(amount))));
  }

  const duty = dutyLoop(tick, { tickMs, stopped: () => stopped, nap, log });

  return {
    address: me,
    metrics,
    state,
    traceServerUrl: server.url,
    status(): TrainerStatus {
      const jobId = state.job()?.jobId;
      const games = state.games().filter((g) => jobId !== undefined && BigInt(g.rollupId) >> 64n === jobId);
      return {
        phase: stopped ? "stopped" : phase,
        jobId: state.job()?.jobId ?? null,
        rollups: state.rollups(),
        gamesOpen: games.filter((g) => g.status === "open").length,
        gamesWon: games.filter((g) => g.status === "trainer-won").length,
        gamesLost: games.filter((g) => g.status === "challenger-won").length,
        error: failure,
      };
    },
    async stop(): Promise<void> {
      if (stopped) return;
      stopped = true;
      abort.abort();
      await Promise.allSettled([main, duty]);
      await follower.stop();
      await server.close();
      store.close();
      log.info("trainer stopped");
    },
  };
}
