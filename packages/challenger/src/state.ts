/**
 * The challenger's persistent state in the Store (SQLite, survives kill -9): the jobs it has seen (params, trainer,
 * nonce, key), every rollup (its claim and trace URI, what the audit found, the target the verifier confirmed, the
 * game it opened), its games, the sampling secret and the withdrawal counter. Records are keyed by on-chain ids, so
 * redelivered events write the same values. Bigints are stored as decimal strings.
 */
import { randomBytes } from "node:crypto";
import type { Address, Hex } from "viem";
import type { Json, Store } from "@refereed/client";
import { jsonSafe, jobParamsFromStored, type JobParams, type Target } from "@refereed/trainer";

export interface StoredJob {
  readonly jobId: string;
  readonly requester: Address;
  readonly params: Record<string, Json>;
  readonly block: string;
  readonly trainer?: Address;
  readonly keyHash?: Hex;
  readonly nonce?: Hex;
}

export type RollupAuditStatus =
  /** seen, not audited yet (or a fetch to retry) */
  | "new"
  /** audited: no violation in the steps that verified */
  | "clean"
  /** a violation the verifier rejects: a game is (to be) opened */
  | "violation"
  /** a violation the audit found but no one-step check rejects (not opened) */
  | "unprovable"
  /** the trace could not be used (integrity, format, or it does not match the claim) */
  | "trace-error"
  /** not audited (window closed, job unknown, rollup not pending) */
  | "skipped";

export interface StoredRollup {
  readonly rollupId: string;
  readonly jobId: string;
  readonly index: string;
  readonly firstStep: string;
  readonly iterations: string;
  readonly startState: Hex;
  readonly rollupRoot: Hex;
  readonly endState: Hex;
  readonly traceURI: string;
  readonly block: string;
  readonly status: RollupAuditStatus;
  readonly detail: string | null;
  readonly attempts: number;
  /** earliest time (ms) of the next attempt after a fetch failure */
  readonly retryAt: number;
  readonly audited: number[] | null;
  /** steps whose data failed integrity or format checks (never trusted) */
  readonly unverified: number[];
  readonly target: Target | null;
  readonly gameId: string | null;
}

export interface StoredGame {
  readonly gameId: string;
  readonly rollupId: string;
  readonly target: Target;
  readonly status: "open" | "won" | "lost";
}

const pad = (s: string) => s.padStart(40, "0");

export class ChallengerState {
  constructor(readonly store: Store) {}

  job(jobId: bigint): StoredJob | undefined {
    return this.store.get<Json>(`c:job:${pad(jobId.toString())}`) as unknown as StoredJob | undefined;
  }

  jobParams(jobId: bigint): JobParams | undefined {
    const j = this.job(jobId);
    return j ? jobParamsFromStored(j.params) : undefined;
  }

  putJob(jobId: bigint, requester: Address, params: JobParams, block: bigint): void {
    const prev = this.job(jobId);
    this.store.put(`c:job:${pad(jobId.toString())}`, { ...(prev ?? {}), jobId: jobId.toString(), requester, params: jsonSafe(params) as Json, block: block.toString() } as Json);
  }

  acceptJob(jobId: bigint, trainer: Address, keyHash: Hex, nonce: Hex): void {
    const prev = this.job(jobId);
    if (!prev) return;
    this.store.put(`c:job:${pad(jobId.toString())}`, { ...prev, trainer, keyHash, nonce } as unknown as Json);
  }

  rollup(rollupId: bigint): StoredRollup | undefined {
    return this.store.get<Json>(`c:rollup:${pad(rollupId.toString())}`) as unknown as StoredRollup | undefined;
  }

  putRollup(r: StoredRollup): void {
    this.store.put(`c:rollup:${pad(r.rollupId)}`, r as unknown as Json);
  }

  updateRollup(rollupId: bigint, patch: Partial<StoredRollup>): StoredRollup | undefined {
    const r = this.rollup(rollupId);
    if (!r) return undefined;
    const next = { ...r, ...patch };
    this.putRollup(next);
    return next;
  }

  rollups(filter?: RollupAuditStatus): StoredRollup[] {
    const all = this.store.keys("c:rollup:").map((k) => this.store.get<Json>(k) as unknown as StoredRollup);
    return filter ? all.filter((r) => r.status === filter) : all;
  }

  game(gameId: bigint): StoredGame | undefined {
    return this.store.get<Json>(`c:game:${pad(gameId.toString())}`) as unknown as StoredGame | undefined;
  }

  putGame(g: StoredGame): void {
    this.store.put(`c:game:${pad(g.gameId)}`, g as unknown as Json);
  }

  games(filter?: StoredGame["status"]): StoredGame[] {
    const all = this.store.keys("c:game:").map((k) => this.store.get<Json>(k) as unknown as StoredGame);
    return filter ? all.filter((g) => g.status === filter) : all;
  }

  /** The secret that drives sampled audits: random, made once, kept (the trainer cannot predict the sample). */
  sampleSecret(): Uint8Array {
    let s = this.store.get<string>("c:secret");
    if (!s) {
      s = randomBytes(32).toString("hex");
      this.store.put("c:secret", s);
    }
    return Uint8Array.from(Buffer.from(s, "hex"));
  }

  withdrawSeq(): number {
    return this.store.get<number>("c:withdrawSeq") ?? 0;
  }

  bumpWithdrawSeq(): void {
    this.store.put("c:withdrawSeq", this.withdrawSeq() + 1);
  }

  /** Drops what was derived from blocks after `block` (a reorg), except rollups with a game (those are on chain). */
  dropAfter(block: bigint): void {
    this.store.transaction(() => {
      for (const k of this.store.keys("c:job:")) {
        const j = this.store.get<Json>(k) as unknown as StoredJob;
        if (BigInt(j.block) > block) this.store.delete(k);
      }
      for (const r of this.rollups()) if (BigInt(r.block) > block && !r.gameId) this.store.delete(`c:rollup:${pad(r.rollupId)}`);
    });
  }
}
