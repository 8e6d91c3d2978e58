/**
 * Turns the challenger's actions into transactions through TxSender, with idempotency keys derived from what they
 * are: (game, position word, calldata hash) for walks, the rollup for opening (one game per rollup per challenger:
 * a restarted challenger resumes the very `openGame` it may have sent, it never pays a second bond), a persisted
 * counter for withdrawals. A revert in simulation means the game moved (the trainer revealed first): the next tick
 * plans again from the new position. One failing action does not stop the others.
 */
import { keccak256, parseEventLogs, type Abi, type Address, type Hex, type PublicClient } from "viem";
import { ContractRevertError, TxTimeoutError, type Logger, type TxResult, type TxSender } from "@refereed/client";
import { callRequest, encodeCall, timeoutAndResolveCalls, type ContractRef } from "@refereed/trainer";
import type { ChallengerAction } from "./solver.js";
import type { ChallengerState } from "./state.js";
import type { ChallengerMetrics } from "./metrics.js";

export interface Outcome {
  readonly action: ChallengerAction;
  readonly result: TxResult | null;
  readonly error?: Error;
}

export function actionKey(a: ChallengerAction, abi: Abi, withdrawSeq: number): string {
  switch (a.kind) {
    case "walk": {
      const h = keccak256(`0x${a.calls.map((c) => encodeCall(abi, c).slice(2)).join("")}`);
      return `challenger:walk:${a.gameId}:${a.posWord.toString(16)}:${h.slice(2, 18)}`;
    }
    case "timeout":
      return `challenger:timeout:${a.gameId}`;
    case "resolve":
      return `challenger:resolve:${a.gameId}`;
    case "withdraw":
      return `challenger:withdraw:${withdrawSeq}`;
  }
}

export const openKey = (rollupId: bigint): string => `challenger:open:${rollupId}`;

export class ChallengerResponder {
  constructor(
    private readonly tx: TxSender,
    private readonly client: PublicClient,
    private readonly refereed: ContractRef,
    private readonly state: ChallengerState,
    private readonly log: Logger,
    private readonly metrics: ChallengerMetrics,
  ) {}

  private count(kind: string, r: TxResult): void {
    if (r.reused) return;
    this.metrics.transactions.inc({ kind });
    this.metrics.gas.inc({ kind }, Number(r.gasUsed));
  }

  /**
   * Opens a game on `rollupId` with the bond (key `challenger:open:<rollupId>`: at most one per rollup, resumed after a
   * crash) and returns its id from the receipt's GameOpened event.
   */
  async open(rollupId: bigint, claim: { startState: Hex; rollupRoot: Hex; endState: Hex }, bond: bigint): Promise<{ gameId: bigint; result: TxResult }> {
    const { address, abi } = this.refereed;
    const result = await this.tx.write(
      { address, abi, functionName: "openGame", args: [rollupId, claim.startState, claim.rollupRoot, claim.endState], value: bond } as Parameters<TxSender["write"]>[0],
      { key: openKey(rollupId) },
    );
    this.count("open", result);
    const receipt = await this.client.getTransactionReceipt({ hash: result.hash });
    const me = this.tx.opts.account.address.toLowerCase();
    const ev = parseEventLogs({ abi, logs: receipt.logs, eventName: "GameOpened" }) as unknown as { args: { gameId: bigint; challenger: Address } }[];
    const mine = ev.find((e) => e.args.challenger.toLowerCase() === me);
    if (!mine) throw new Error(`openGame transaction ${result.hash} has no GameOpened event for ${me}`);
    return { gameId: mine.args.gameId, result };
  }

  async execute(actions: readonly ChallengerAction[]): Promise<Outcome[]> {
    const out: Outcome[] = [];
    for (const a of actions) out.push(await this.one(a));
    return out;
  }

  private async one(a: ChallengerAction): Promise<Outcome> {
    const key = actionKey(a, this.refereed.abi, this.state.withdrawSeq());
    const { address, abi } = this.refereed;
    const req =
      a.kind === "walk"
        ? callRequest(this.refereed, a.calls)
        : a.kind === "timeout"
          ? callRequest(this.refereed, timeoutAndResolveCalls(a.gameId))
          : a.kind === "resolve"
            ? { address, abi, functionName: "resolve", args: [a.gameId] }
            : { address, abi, functionName: "withdraw", args: [] };
    try {
      const result = await this.tx.write(req as Parameters<TxSender["write"]>[0], { key });
      this.count(a.kind, result);
      // (what was withdrawn is counted by collectCredits, in the daemon's tick, as for the trainer)
      if (a.kind === "withdraw") this.state.bumpWithdrawSeq();
      this.log.info({ key, hash: result.hash, gas: result.gasUsed.toString(), reused: result.reused, ...(a.kind === "walk" ? { why: a.why, calls: a.calls.length } : {}) }, `${a.kind} sent`);
      return { action: a, result };
    } catch (err) {
      if (err instanceof ContractRevertError) {
        this.log.warn({ key, errorName: err.errorName, stage: err.context.stage }, `${a.kind} reverted (the game moved?): ${err.message.slice(0, 300)}`);
        if (a.kind === "withdraw" && err.context.stage === "receipt") this.state.bumpWithdrawSeq();
      } else if (err instanceof TxTimeoutError) {
        this.log.warn({ key, hash: err.hash }, `${a.kind}: no receipt yet; awaited again next tick`);
      } else {
        this.log.error({ key, err }, `${a.kind} failed`);
      }
      this.metrics.txErrors.inc({ kind: a.kind });
      return { action: a, result: null, error: err as Error };
    }
  }
}
