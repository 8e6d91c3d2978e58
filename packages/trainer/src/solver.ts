/**
 * The trainer's decisions, pure: game state + what the trainer knows in, actions out. No I/O — the responder turns
 * actions into transactions, the daemon feeds the solver fresh chain state every tick.
 *
 * - In a game against one of its rollups: at a trainer-to-move position it makes the move due (reveal from its
 *   trace, leaf reveal, or the one-step `step` with the proof) before its clock runs out; several consecutive
 *   trainer moves (a single-leaf tree) go together. At a challenger-to-move position it waits, or claims the timeout
 *   once the challenger's clock has run out. A game it won waits for `resolve` (ADR 0010): the trainer sends it, since
 *   the challenger's bond and the rollup's finalization wait on it. Nothing else on a decided game.
 * - Rollups: finalize, in order, every pending rollup whose window has passed with no game open.
 * - Money: withdraw once credited.
 */
import type { Address } from "viem";
import {
  GameStatus,
  RollupStatus,
  Side,
  awaitsResolve,
  clockMargin,
  describePosition,
  sideToMove,
  timeoutAvailable,
  type GameView,
} from "./shared/game.js";
import { planWalk, type RefereedCall } from "./shared/moves.js";
import type { RollupData } from "./shared/data.js";

export type TrainerAction =
  /** one or more consecutive trainer moves at position `posWord` (sent alone, or as a multicall) */
  | { readonly kind: "move"; readonly gameId: bigint; readonly posWord: bigint; readonly calls: readonly RefereedCall[]; readonly why: string }
  /** the challenger ran out of time (sent with `resolve` in one multicall) */
  | { readonly kind: "timeout"; readonly gameId: bigint }
  /** settle a game the trainer won (its rollup cannot finalize before) */
  | { readonly kind: "resolve"; readonly gameId: bigint }
  | { readonly kind: "finalize"; readonly rollupId: bigint }
  | { readonly kind: "withdraw"; readonly amount: bigint };

export interface TrainerGameInput {
  readonly game: GameView;
  /** chain time (latest block timestamp) */
  readonly now: bigint;
  /** the trainer's data for the game's rollup; null when it has none (it cannot move) */
  readonly data: RollupData | null;
}

/** What the trainer does in one game now. */
export function trainerGameActions(i: TrainerGameInput): TrainerAction[] {
  const g = i.game;
  if (g.status !== GameStatus.InProgress) return awaitsResolve(g, GameStatus.TrainerWon) ? [{ kind: "resolve", gameId: g.gameId }] : [];
  const side = sideToMove(g.pos);
  if (side === Side.Challenger) return timeoutAvailable(g, i.now) ? [{ kind: "timeout", gameId: g.gameId }] : [];
  // our move: nothing can be done once our clock has run out (only `timeout` remains, for the challenger)
  if (clockMargin(g, Side.Trainer, i.now) < 0n || !i.data) return [];
  const plan = planWalk({
    gameId: g.gameId,
    pos: g.pos,
    path: { iteration: g.iteration, nodeId: g.nodeId, element: g.element, journalIndex: g.journalIndex },
    data: i.data,
    as: "trainer",
  });
  if (plan.calls.length === 0) return [];
  return [{ kind: "move", gameId: g.gameId, posWord: g.posWord, calls: plan.calls, why: `${describePosition(g.pos)}: ${plan.calls.map((c) => c.functionName).join(", ")}` }];
}

/** A rollup of the trainer's job as the chain reports it. */
export interface RollupView {
  readonly rollupId: bigint;
  readonly index: number;
  readonly status: RollupStatus;
  readonly submittedAt: bigint;
  readonly openGames: number;
}

/**
 * The rollups to finalize now, in order: starting at the job's first unfinalized rollup, each pending one whose
 * window has passed (`now >= submittedAt + window`) with no game open; stops at the first that is not ready
 * (rollups finalize in order).
 */
export function finalizeActions(rollups: readonly RollupView[], finalized: number, challengeWindow: bigint, now: bigint): TrainerAction[] {
  const out: TrainerAction[] = [];
  const byIndex = new Map(rollups.map((r) => [r.index, r]));
  for (let k = finalized; ; k++) {
    const r = byIndex.get(k);
    if (!r || r.status !== RollupStatus.Pending || r.openGames !== 0 || now < r.submittedAt + challengeWindow) break;
    out.push({ kind: "finalize", rollupId: r.rollupId });
  }
  return out;
}

/** Withdraw what is credited (at least `min` wei). */
export function withdrawActions(credits: bigint, min = 1n): TrainerAction[] {
  return credits >= min && credits > 0n ? [{ kind: "withdraw", amount: credits }] : [];
}

/** Whether `who` is the trainer of the game's job (games against other trainers' rollups are not ours to defend). */
export function isOurGame(jobTrainer: Address, me: Address): boolean {
  return jobTrainer.toLowerCase() === me.toLowerCase();
}
