/**
 * The trainer's persistent state in the Store (SQLite, survives kill -9): the job it trains, the jobs that match its
 * spec, its rollups (trace, URI, claim, on-chain status), the games against them, and the withdrawal counter.
 * Derived from chain events (idempotently: every record is keyed by its on-chain id, so a redelivered range writes
 * the same values) and from the trainer's own progress. Bigints are stored as decimal strings.
 */
import type { Address, Hex } from "viem";
import type { Json, Store } from "@refereed/client";
import type { JobParams } from "./shared/chain.js";
import { jsonSafe } from "./shared/config.js";

export interface StoredJob {
  readonly jobId: string;
  readonly requester: Address;
  readonly params: Record<string, Json>;
  /** block of the JobCreated event (dropped on a reorg before it) */
  readonly block: string;
}

export interface StoredRollup {
  readonly index: number;
  readonly rollupId: string;
  /** trace directory name under the trace root */
  readonly name: string;
  readonly uri: string | null;
  readonly startState: Hex;
  readonly rollupRoot: Hex;
  readonly endState: Hex;
  /** "trained" → "submitted" → "finalized" | "rejected" */
  readonly status: "trained" | "submitted" | "finalized" | "rejected";
}

export interface StoredGame {
  readonly gameId: string;
  readonly rollupId: string;
  readonly challenger: Address;
  readonly status: "open" | "trainer-won" | "challenger-won";
  readonly block: string;
}

export function jobParamsFromStored(p: Record<string, Json>): JobParams {
  const b = (k: string) => BigInt(p[k] as string);
  return {
    specHash: p.specHash as Hex,
    templateRoot: p.templateRoot as Hex,
    initialState: p.initialState as Hex,
    datasetRoot: p.datasetRoot as Hex,
    datasetSize: b("datasetSize"),
    nodeCount: Number(p.nodeCount),
    dropoutLayers: Number(p.dropoutLayers),
    toleranceProfile: Number(p.toleranceProfile),
    stepsTotal: b("stepsTotal"),
    rollupSteps: b("rollupSteps"),
    challengeWindow: b("challengeWindow"),
    trainerClock: b("trainerClock"),
    challengerClock: b("challengerClock"),
    submissionTimeout: b("submissionTimeout"),
    trainerBond: b("trainerBond"),
    challengerBond: b("challengerBond"),
  };
}

export class TrainerState {
  constructor(readonly store: Store) {}

  /** A job whose spec hash is ours (from JobCreated). */
  putCandidate(jobId: bigint, requester: Address, params: JobParams, block: bigint): void {
    const v: StoredJob = { jobId: jobId.toString(), requester, params: jsonSafe(params) as Record<string, Json>, block: block.toString() };
    this.store.put(`t:candidate:${jobId}`, v as unknown as Json);
  }

  candidates(): StoredJob[] {
    return this.store.keys("t:candidate:").map((k) => this.store.get<Json>(k) as unknown as StoredJob);
  }

  candidate(jobId: bigint): StoredJob | undefined {
    return this.store.get<Json>(`t:candidate:${jobId}`) as unknown as StoredJob | undefined;
  }

  /** The job this trainer accepted (set once the acceptance is confirmed). */
  job(): { jobId: bigint; nonce: Hex } | undefined {
    const v = this.store.get<{ jobId: string; nonce: Hex }>("t:job");
    return v ? { jobId: BigInt(v.jobId), nonce: v.nonce } : undefined;
  }

  setJob(jobId: bigint, nonce: Hex): void {
    this.store.put("t:job", { jobId: jobId.toString(), nonce });
  }

  rollup(index: number): StoredRollup | undefined {
    return this.store.get<Json>(`t:rollup:${String(index).padStart(9, "0")}`) as unknown as StoredRollup | undefined;
  }

  putRollup(r: StoredRollup): void {
    this.store.put(`t:rollup:${String(r.index).padStart(9, "0")}`, r as unknown as Json);
  }

  rollups(): StoredRollup[] {
    return this.store.keys("t:rollup:").map((k) => this.store.get<Json>(k) as unknown as StoredRollup);
  }

  setRollupStatus(index: number, status: StoredRollup["status"]): void {
    const r = this.rollup(index);
    if (r && r.status !== status && !(r.status === "finalized" || r.status === "rejected")) this.putRollup({ ...r, status });
  }

  game(gameId: bigint): StoredGame | undefined {
    return this.store.get<Json>(`t:game:${gameId}`) as unknown as StoredGame | undefined;
  }

  putGame(g: StoredGame): void {
    this.store.put(`t:game:${g.gameId}`, g as unknown as Json);
  }

  games(filter?: StoredGame["status"]): StoredGame[] {
    const all = this.store.keys("t:game:").map((k) => this.store.get<Json>(k) as unknown as StoredGame);
    return filter ? all.filter((g) => g.status === filter) : all;
  }

  withdrawSeq(): number {
    return this.store.get<number>("t:withdrawSeq") ?? 0;
  }

  bumpWithdrawSeq(): void {
    this.store.put("t:withdrawSeq", this.withdrawSeq() + 1);
  }

  /** Drops what was derived from blocks after `block` (a reorg): the follower redelivers them. */
  dropAfter(block: bigint): void {
    this.store.transaction(() => {
      for (const c of this.candidates()) if (BigInt(c.block) > block) this.store.delete(`t:candidate:${c.jobId}`);
      for (const g of this.games()) if (BigInt(g.block) > block && g.status === "open") this.store.delete(`t:game:${g.gameId}`);
    });
  }
}
