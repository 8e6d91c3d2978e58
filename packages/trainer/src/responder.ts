/**
 * Turns the trainer's actions into transactions through TxSender. Every transaction has an idempotency key derived
 * from what it is — (game, position word, calldata hash) for moves, the rollup for finalization, a persisted counter
 * for withdrawals — so a trainer restarted after kill -9 resumes the very transaction it may have sent instead of
 * sending another. A revert in simulation means the chain moved on (the other side moved, someone else finalized):
 * it is logged and the next tick decides again from fresh state; one failing action does not stop the others.
 */
import { keccak256, type Abi, type Address } from "viem";
import { ContractRevertError, TxTimeoutError, type Logger, type TxResult, type TxSender } from "@refereed/client";
import { callRequest, encodeCall, type ContractRef } from "./shared/chain.js";
import { timeoutAndResolveCalls } from "./shared/moves.js";
import type { TrainerAction } from "./solver.js";
import type { TrainerState } from "./state.js";
import type { TrainerMetrics } from "./metrics.js";

export interface Outcome {
  readonly action: TrainerAction;
  readonly result: TxResult | null;
  readonly error?: Error;
}

/** The idempotency key of an action (withdrawals need the persisted counter). */
export function actionKey(a: TrainerAction, abi: Abi, withdrawSeq: number): string {
  switch (a.kind) {
    case "move": {
      const h = keccak256(`0x${a.calls.map((c) => encodeCall(abi, c).slice(2)).join("")}`);
      return `trainer:move:${a.gameId}:${a.posWord.toString(16)}:${h.slice(2, 18)}`;
    }
    case "timeout":
      return `trainer:timeout:${a.gameId}`;
    case "resolve":
      return `trainer:resolve:${a.gameId}`;
    case "finalize":
      return `trainer:finalize:${a.rollupId}`;
    case "withdraw":
      return `trainer:withdraw:${withdrawSeq}`;
  }
}

export class TrainerResponder {
  constructor(
    private readonly tx: TxSender,
    private readonly refereed: ContractRef,
    private readonly state: TrainerState,
    private readonly log: Logger,
    private readonly metrics: TrainerMetrics,
  ) {}

  /** Sends the actions in order; a failed action is logged and the rest still run. */
  async execute(actions: readonly TrainerAction[]): Promise<Outcome[]> {
    const out: Outcome[] = [];
    for (const a of actions) out.push(await this.one(a));
    return out;
  }

  private request(a: TrainerAction): { address: Address; abi: Abi; functionName: string; args: readonly unknown[] } {
    const { address, abi } = this.refereed;
    switch (a.kind) {
      case "move":
        return callRequest(this.refereed, a.calls);
      case "timeout":
        return callRequest(this.refereed, timeoutAndResolveCalls(a.gameId));
      case "resolve":
        return { address, abi, functionName: "resolve", args: [a.gameId] };
      case "finalize":
        return { address, abi, functionName: "finalizeRollup", args: [a.rollupId] };
      case "withdraw":
        return { address, abi, functionName: "withdraw", args: [] };
    }
  }

  private async one(a: TrainerAction): Promise<Outcome> {
    const key = actionKey(a, this.refereed.abi, this.state.withdrawSeq());
    const req = this.request(a);
    try {
      const result = await this.tx.write(req as Parameters<TxSender["write"]>[0], { key });
      if (!result.reused) {
        this.metrics.transactions.inc({ kind: a.kind });
        this.metrics.gas.inc({ kind: a.kind }, Number(result.gasUsed));
      }
      if (a.kind === "withdraw") this.state.bumpWithdrawSeq();
      this.log.info({ key, hash: result.hash, gas: result.gasUsed.toString(), reused: result.reused, ...(a.kind === "move" ? { why: a.why } : {}) }, `${a.kind} sent`);
      return { action: a, result };
    } catch (err) {
      const e = err as Error;
      if (err instanceof ContractRevertError) {
        // the chain moved on (or the action is not due yet): decide again next tick
        this.log.warn({ key, errorName: err.errorName, stage: err.context.stage }, `${a.kind} reverted: ${err.message}`);
        if (a.kind === "withdraw" && err.context.stage === "receipt") this.state.bumpWithdrawSeq();
      } else if (err instanceof TxTimeoutError) {
        this.log.warn({ key, hash: err.hash }, `${a.kind}: no receipt yet; it is awaited again on the next tick`);
      } else {
        this.log.error({ key, err: e }, `${a.kind} failed`);
      }
      this.metrics.txErrors.inc({ kind: a.kind });
      return { action: a, result: null, error: e };
    }
  }
}
