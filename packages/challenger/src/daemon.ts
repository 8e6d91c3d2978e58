/**
 * The challenger daemon (`runChallenger`): one process, any number of jobs and rollups.
 *
 *   follower ──(JobCreated, JobAccepted, RollupSubmitted, our GameOpened)──▶ state (Store)
 *   audit loop: for each new rollup within its window: fetch the trace (integrity-checked), check it against the
 *               claim, audit (full or sampled), confirm a target with an eth_call of the verifier, and only then
 *               open a game (bond) and walk it at once
 *   duty loop (every tick): play every open game (the rest of the walk in one multicall, or interactively when the
 *               trainer moves first), claim timeouts, withdraw credits; metrics (clock margins, credits, balance)
 *
 * Resumes after kill -9 from the Store and the verified trace copies on disk: an `openGame` in flight is resumed by
 * its idempotency key (one bond per rollup, never two), games in progress are played on from their current
 * position.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { Address, Hex, PublicClient } from "viem";
import { ChainFollower, ContractRevertError, Store, TxSender, componentLogger, createLogger, type Logger } from "@refereed/client";
import { TraceClient } from "@refereed/trace";
import {
  ChainNudger,
  DEV_CHAIN_IDS,
  collectCredits,
  dutyLoop,
  GameStatus,
  ProtocolReader,
  jsonSafe,
  RollupStatus,
  Side,
  awaitsResolve,
  clockMargin,
  makePublicClient,
  protocolContracts,
  type JobParams,
  type TraceRollupData,
} from "@refereed/trainer";
import { TraceAuditor, type AuditMode, type JobFacts, type RollupClaim } from "./audit.js";
import { challengerStorePath, challengerWorkDir, type ChallengerConfig } from "./config.js";
import { challengerMetrics, type ChallengerMetrics } from "./metrics.js";
import { ChallengerResponder } from "./responder.js";
import { challengerGameActions, openDecision, withdrawActions } from "./solver.js";
import { ChallengerState, type StoredRollup } from "./state.js";

export interface ChallengerStatus {
  readonly rollups: readonly StoredRollup[];
  readonly gamesOpen: number;
  readonly gamesWon: number;
  readonly gamesLost: number;
}

export interface ChallengerHandle {
  readonly address: Address;
  readonly metrics: ChallengerMetrics;
  readonly state: ChallengerState;
  status(): ChallengerStatus;
  /** Stops the loops and the follower and closes the store (in-flight work finishes first). */
  stop(): Promise<void>;
}

function claimOf(r: StoredRollup): RollupClaim {
  return {
    jobId: BigInt(r.jobId),
    rollupId: BigInt(r.rollupId),
    index: BigInt(r.index),
    firstStep: Number(r.firstStep),
    iterations: Number(r.iterations),
    startState: r.startState,
    rollupRoot: r.rollupRoot,
    endState: r.endState,
    traceURI: r.traceURI,
  };
}

export async function runChallenger(config: ChallengerConfig): Promise<ChallengerHandle> {
  const name = config.name ?? "challenger";
  const log: Logger = config.logger ?? createLogger({ name });
  const me = config.account.address;
  const store = Store.open(challengerStorePath(config));
  const state = new ChallengerState(store);
  const metrics = challengerMetrics(config.metricsPrefix ?? "refereed_challenger");
  let client: PublicClient;
  try {
    client = await makePublicClient(config.rpcUrl);
  } catch (err) {
    store.close();
    throw err;
  }
  const contracts = protocolContracts(config.deployment);
  const reader = new ProtocolReader(client, contracts);
  const tx = new TxSender({ publicClient: client, account: config.account, store, logger: componentLogger(log, "tx"), timeoutMs: config.txTimeoutMs });
  const responder = new ChallengerResponder(tx, client, contracts.refereed, state, componentLogger(log, "responder"), metrics);
  const auditLog = componentLogger(log, "audit");
  const auditor = new TraceAuditor({
    client: new TraceClient({ retries: 2, timeoutMs: 30_000, ...config.traceClient }),
    reader,
    workDir: challengerWorkDir(config),
    dataset: config.dataset,
    log: (level, obj, msg) => auditLog[level](obj, msg),
  });
  const mode: AuditMode =
    config.auditMode === "sampled" ? { kind: "sampled", fraction: config.sampleFraction ?? 0.25, secret: state.sampleSecret() } : { kind: "full" };
  const tickMs = config.tickMs ?? 1000;
  const nudger = new ChainNudger({
    enabled: config.devChainNudge ?? DEV_CHAIN_IDS.includes(await client.getChainId()),
    reader,
    keyPrefix: "challenger",
    send: (key) => tx.write({ address: contracts.refereed.address, abi: contracts.refereed.abi, functionName: "multicall", args: [[]] } as Parameters<TxSender["write"]>[0], { key }),
    log: (msg, obj) => log.info(jsonSafe(obj) as object, msg),
  });
  const margin = BigInt(config.openMarginSeconds ?? 12);
  const abort = new AbortController();
  let stopped = false;
  const nap = (ms: number) => sleep(ms, undefined, { signal: abort.signal }).catch(() => undefined);
  log.info({ address: me, audit: mode.kind, fraction: mode.kind === "sampled" ? mode.fraction : 1 }, "challenger starting");

  // ───────────────────────────── events ─────────────────────────────
  const follower = new ChainFollower({
    client,
    address: contracts.refereed.address,
    abi: contracts.refereed.abi,
    fromBlock: BigInt(config.deployment.deployBlock),
    confirmations: config.confirmations ?? 2,
    pollIntervalMs: config.pollIntervalMs ?? 1000,
    store,
    cursorKey: "challenger:follower",
    logger: componentLogger(log, "follower"),
    onLogs: (batch) => {
      for (const l of batch.logs as unknown as { eventName: string; args: Record<string, unknown>; blockNumber: bigint }[]) {
        const a = l.args;
        switch (l.eventName) {
          case "JobCreated":
            state.putJob(a.jobId as bigint, a.requester as Address, a.params as JobParams, l.blockNumber);
            break;
          case "JobAccepted":
            state.acceptJob(a.jobId as bigint, a.trainer as Address, a.keyHash as Hex, a.nonce as Hex);
            break;
          case "RollupSubmitted": {
            const rollupId = a.rollupId as bigint;
            if (state.rollup(rollupId)) break;
            state.putRollup({
              rollupId: rollupId.toString(),
              jobId: (a.jobId as bigint).toString(),
              index: (a.index as bigint).toString(),
              firstStep: (a.firstStep as bigint).toString(),
              iterations: (a.iterations as bigint).toString(),
              startState: a.startState as Hex,
              rollupRoot: a.rollupRoot as Hex,
              endState: a.endState as Hex,
              traceURI: a.traceURI as string,
              block: l.blockNumber.toString(),
              status: "new",
              detail: null,
              attempts: 0,
              retryAt: 0,
              audited: null,
              unverified: [],
              target: null,
              gameId: null,
            });
            metrics.rollupsSeen.inc();
            log.info({ rollupId: rollupId.toString(), uri: a.traceURI }, "rollup submitted");
            break;
          }
          case "GameOpened": {
            // our own game, recorded from the chain too (a crash between the receipt and our bookkeeping)
            if ((a.challenger as string).toLowerCase() !== me.toLowerCase()) break;
            const gameId = a.gameId as bigint;
            const r = state.rollup(a.rollupId as bigint);
            if (!state.game(gameId) && r?.target) {
              state.putGame({ gameId: gameId.toString(), rollupId: r.rollupId, target: r.target, status: "open" });
              state.updateRollup(BigInt(r.rollupId), { gameId: gameId.toString() });
            }
            break;
          }
        }
      }
    },
    onReorg: (r) => state.dropAfter(r.forkBlock),
  });
  follower.start();

  // ───────────────────────────── auditing and opening ─────────────────────────────
  function jobFacts(jobId: bigint): JobFacts | null {
    const j = state.job(jobId);
    if (!j || !j.nonce || !j.keyHash) return null;
    return { params: state.jobParams(jobId)!, nonce: j.nonce, keyHash: j.keyHash };
  }

  async function auditOne(r: StoredRollup): Promise<void> {
    const rollupId = BigInt(r.rollupId);
    const jobId = BigInt(r.jobId);
    if (config.jobIds && !config.jobIds.includes(jobId)) {
      state.updateRollup(rollupId, { status: "skipped", detail: "job not followed (config.jobIds)" });
      return;
    }
    const job = jobFacts(jobId);
    if (!job) return; // JobAccepted not seen yet
    const [rec, status, now] = await Promise.all([reader.rollup(rollupId), reader.rollupStatus(rollupId), reader.now()]);
    const deadline = rec.submittedAt + job.params.challengeWindow;
    if (status !== RollupStatus.Pending || now + margin >= deadline) {
      state.updateRollup(rollupId, { status: "skipped", detail: status !== RollupStatus.Pending ? `rollup status ${status}` : "window closed before the audit" });
      metrics.audits.inc({ result: "skipped" });
      return;
    }
    const t0 = performance.now();
    const res = await auditor.auditRollup(claimOf(r), job, mode);
    metrics.auditSeconds.observe((performance.now() - t0) / 1000);
    metrics.audits.inc({ result: res.kind });
    if (res.unverified.length) metrics.traceIntegrityFailures.inc(res.unverified.length);
    switch (res.kind) {
      case "clean":
        metrics.iterationsAudited.inc(res.audited.length);
        state.updateRollup(rollupId, { status: "clean", detail: res.detail, audited: res.audited, unverified: res.unverified });
        log.info({ rollupId: r.rollupId, audited: res.audited.length, unverified: res.unverified }, `audit clean: ${res.detail}`);
        return;
      case "unprovable":
        metrics.iterationsAudited.inc(res.audited.length);
        if (res.violation) metrics.violations.inc();
        state.updateRollup(rollupId, { status: "unprovable", detail: res.detail, audited: res.audited, unverified: res.unverified });
        log.warn({ rollupId: r.rollupId }, `violation not provable on chain, no game: ${res.detail}`);
        return;
      case "trace-error": {
        if (res.reason === "integrity") metrics.traceIntegrityFailures.inc();
        if (res.reason === "fetch") metrics.traceFetchFailures.inc();
        const attempts = r.attempts + 1;
        const retry = res.retry || (res.reason === "integrity" && attempts < 3);
        state.updateRollup(rollupId, {
          status: retry ? "new" : "trace-error",
          detail: `${res.reason}: ${res.detail}`,
          attempts,
          retryAt: Date.now() + Math.min(60_000, 1000 * 2 ** attempts),
          unverified: res.unverified,
        });
        log.warn({ rollupId: r.rollupId, reason: res.reason, attempts, willRetry: retry }, `trace not usable: ${res.detail}`);
        return;
      }
      case "violation":
        metrics.iterationsAudited.inc(res.audited.length);
        metrics.violations.inc();
        state.updateRollup(rollupId, { status: "violation", detail: res.detail, audited: res.audited, unverified: res.unverified, target: res.target });
        log.warn({ rollupId: r.rollupId, target: res.target }, `VIOLATION confirmed by the verifier: ${res.detail}`);
        await maybeOpen(rollupId);
        return;
    }
  }

  async function maybeOpen(rollupId: bigint): Promise<void> {
    const r = state.rollup(rollupId);
    if (!r || r.status !== "violation" || r.gameId) return;
    const job = jobFacts(BigInt(r.jobId));
    if (!job) return;
    const [rec, status, now] = await Promise.all([reader.rollup(rollupId), reader.rollupStatus(rollupId), reader.now()]);
    // an openGame already in flight (crash after signing) is resumed whatever the window says: same key, same tx
    const inFlight = store.actions.get(`challenger:open:${rollupId}`);
    const resuming = inFlight !== undefined && ["signed", "sent", "confirmed"].includes(inFlight.status);
    const d = openDecision({ confirmedTarget: r.target, now, deadline: rec.submittedAt + job.params.challengeWindow, margin, alreadyOpened: false, pending: status === RollupStatus.Pending });
    if (!d.open && !resuming) {
      state.updateRollup(rollupId, { detail: `${r.detail ?? ""}; not opened: ${d.reason}` });
      log.warn({ rollupId: r.rollupId, reason: d.reason }, "not opening a game");
      return;
    }
    try {
      const { gameId, result } = await responder.open(rollupId, { startState: r.startState, rollupRoot: r.rollupRoot, endState: r.endState }, job.params.challengerBond);
      state.putGame({ gameId: gameId.toString(), rollupId: r.rollupId, target: r.target!, status: "open" });
      state.updateRollup(rollupId, { gameId: gameId.toString() });
      if (!result.reused) metrics.gamesOpened.inc();
      log.info({ rollupId: r.rollupId, gameId: gameId.toString(), bond: job.params.challengerBond.toString(), hash: result.hash }, "game opened");
      await playGame(gameId);
    } catch (err) {
      if (err instanceof ContractRevertError) {
        state.updateRollup(rollupId, { detail: `${r.detail ?? ""}; openGame reverted: ${err.errorName}` });
        log.warn({ rollupId: r.rollupId, errorName: err.errorName }, "openGame reverted");
        return;
      }
      throw err;
    }
  }

  const audits = (async () => {
    while (!stopped) {
      try {
        for (const r of state.rollups("new")) {
          if (stopped) break;
          if (r.retryAt > Date.now()) continue;
          await auditOne(r);
        }
        // violations whose game was not opened yet (a restart between the audit and the open)
        for (const r of state.rollups("violation")) if (!r.gameId && !stopped) await maybeOpen(BigInt(r.rollupId));
      } catch (err) {
        if (!stopped) log.error({ err }, "audit loop error; retrying");
      }
      await nap(tickMs);
    }
  })();

  // ───────────────────────────── playing ─────────────────────────────
  const dataCache = new Map<string, TraceRollupData | null>();
  function rollupData(r: StoredRollup): TraceRollupData | null {
    if (dataCache.get(r.rollupId)) return dataCache.get(r.rollupId)!;
    const job = jobFacts(BigInt(r.jobId));
    const d = job ? auditor.rollupData(claimOf(r), job) : null;
    dataCache.set(r.rollupId, d);
    return d;
  }

  /** One play of a game at a time (the audit loop plays a game it just opened while the duty loop may tick it). */
  const playing = new Map<string, Promise<void>>();
  async function playGame(gameId: bigint): Promise<void> {
    const k = gameId.toString();
    const running = playing.get(k);
    if (running) return running;
    const p = playOnce(gameId).finally(() => playing.delete(k));
    playing.set(k, p);
    return p;
  }

  async function playOnce(gameId: bigint): Promise<void> {
    const g = state.game(gameId);
    if (!g || g.status !== "open") return;
    let view = await reader.game(gameId);
    if (awaitsResolve(view, GameStatus.ChallengerWon)) {
      // won but not settled (the trainer stepped, or a timeout): the bonds and the rollup's rejection wait on resolve
      const [o] = await responder.execute(challengerGameActions({ game: view, now: 0n, target: g.target, data: null }));
      if (o?.result) view = await reader.game(gameId);
      if (awaitsResolve(view, GameStatus.ChallengerWon)) return; // not settled yet: again next tick
    }
    if (view.status !== GameStatus.InProgress) {
      const won = view.status === GameStatus.ChallengerWon;
      state.putGame({ ...g, status: won ? "won" : "lost" });
      (won ? metrics.gamesWon : metrics.gamesLost).inc();
      metrics.clockMargin.remove({ game: g.gameId });
      log.info({ gameId: g.gameId, outcome: won ? "challenger won" : "trainer won" }, "game resolved");
      return;
    }
    const now = await reader.now();
    metrics.clockMargin.set({ game: g.gameId }, Number(clockMargin(view, Side.Challenger, now)));
    const r = state.rollup(BigInt(g.rollupId));
    const data = r ? rollupData(r) : null;
    const actions = challengerGameActions({ game: view, now, target: g.target, data, maxCalls: config.maxCallsPerTx });
    if (actions.some((a) => a.kind === "timeout")) await nudger.ensure({ timestamp: view.lastMove + view.trainerLeft + 1n });
    const outcomes = await responder.execute(actions);
    if (outcomes.some((o) => o.result)) {
      // the walk may have ended the game: record it now rather than next tick
      const after = await reader.game(gameId);
      if (after.status !== GameStatus.InProgress) await playOnce(gameId);
    }
  }

  async function tick(): Promise<void> {
    for (const g of state.games("open")) {
      try {
        await playGame(BigInt(g.gameId));
      } catch (err) {
        log.error({ gameId: g.gameId, err }, "playing the game failed; retrying next tick");
      }
    }
    metrics.gamesOpen.set(state.games("open").length);
    await collectCredits(me, reader, client, metrics, config.autoWithdraw !== false && ((amount) => responder.execute(withdrawActions(amount))));
  }

  const duty = dutyLoop(tick, { tickMs, stopped: () => stopped, nap, log });

  return {
    address: me,
    metrics,
    state,
    status(): ChallengerStatus {
      const games = state.games();
      return {
        rollups: state.rollups(),
        gamesOpen: games.filter((g) => g.status === "open").length,
        gamesWon: games.filter((g) => g.status === "won").length,
        gamesLost: games.filter((g) => g.status === "lost").length,
      };
    },
    async stop(): Promise<void> {
      if (stopped) return;
      stopped = true;
      abort.abort();
      await Promise.allSettled([audits, duty]);
      await follower.stop();
      store.close();
      log.info("challenger stopped");
    },
  };
}
