/**
 * The challenger's decisions, pure: game state + what the challenger knows in, actions out (no I/O).
 *
 * - Opening: only when the audit found a violation AND the verifier, called with the exact context the game would
 *   establish, judged the trainer's value invalid (`openDecision`): the challenger opens only games it will win.
 * - Playing: from the current position, the whole rest of the walk toward the target in one multicall — the
 *   trainer's reveals (anyone may post consistent data; the challenger has the verified trace), its own choices,
 *   the leaf reveals and the final `step` — as far as its data allows. If the trainer moved first, the walk simply
 *   starts later; if some data is not held, the walk stops where it is missing and the challenger waits for the
 *   trainer's reveal (interactive play). A walk that reaches the step ends with `resolve` when `maxCalls` leaves room,
 *   so the one transaction also settles the game (ADR 0010). The trainer out of time → `timeout`. A game won but not settled (the trainer stepped,
 *   or the timeout) → `resolve`. Nothing else once decided.
 */
import {
  DEFAULT_MAX_CALLS,
  GameStatus,
  Side,
  awaitsResolve,
  clockMargin,
  describePosition,
  planWalk,
  sideToMove,
  timeoutAvailable,
  type GameView,
  resolveCall,
  type RefereedCall,
  type RollupData,
  type Target,
} from "@refereed/trainer/shared";

export type ChallengerAction =
  /** consecutive moves from position `posWord` (one call, or a multicall) */
  | { readonly kind: "walk"; readonly gameId: bigint; readonly posWord: bigint; readonly calls: readonly RefereedCall[]; readonly complete: boolean; readonly why: string }
  /** the trainer ran out of time (sent with `resolve` in one multicall) */
  | { readonly kind: "timeout"; readonly gameId: bigint }
  /** settle a game the challenger won (its bond, the trainer's, the rollup's rejection) */
  | { readonly kind: "resolve"; readonly gameId: bigint }
  | { readonly kind: "withdraw"; readonly amount: bigint };

export interface ChallengerGameInput {
  readonly game: GameView;
  /** chain time (latest block timestamp) */
  readonly now: bigint;
  /** the leaf the challenger walks to */
  readonly target: Target;
  /** the challenger's verified copy of the rollup's trace (null: none, it cannot move) */
  readonly data: RollupData | null;
  /** most calls in one transaction; default 64 */
  readonly maxCalls?: number;
}

/** What the challenger does in its game now. */
export function challengerGameActions(i: ChallengerGameInput): ChallengerAction[] {
  const g = i.game;
  if (g.status !== GameStatus.InProgress) return awaitsResolve(g, GameStatus.ChallengerWon) ? [{ kind: "resolve", gameId: g.gameId }] : [];
  const side = sideToMove(g.pos);
  // the trainer out of time: the cheapest win
  if (side === Side.Trainer && timeoutAvailable(g, i.now)) return [{ kind: "timeout", gameId: g.gameId }];
  // our own clock out: nothing left to do (the trainer may claim)
  if (side === Side.Challenger && clockMargin(g, Side.Challenger, i.now) < 0n) return [];
  if (!i.data) return [];
  const plan = planWalk({
    gameId: g.gameId,
    pos: g.pos,
    path: { iteration: g.iteration, nodeId: g.nodeId, element: g.element, journalIndex: g.journalIndex },
    data: i.data,
    as: "challenger",
    target: i.target,
    maxCalls: i.maxCalls,
  });
  if (plan.calls.length === 0) return [];
  const complete = plan.stoppedBy === "decided";
  // settle in the same transaction when the call limit leaves room; otherwise `resolve` follows on its own
  const settle = complete && plan.calls.length < (i.maxCalls ?? DEFAULT_MAX_CALLS);
  return [
    {
      kind: "walk",
      gameId: g.gameId,
      posWord: g.posWord,
      calls: settle ? [...plan.calls, resolveCall(g.gameId)] : plan.calls,
      complete,
      why: `${describePosition(g.pos)}: ${plan.calls.length} calls (${plan.stoppedBy})`,
    },
  ];
}

/** What the audit of a rollup concluded, and what the verifier said about the candidate leaf. */
export interface OpenInput {
  /** a target the verifier judged invalid (trainerValid == false), or null */
  readonly confirmedTarget: Target | null;
  readonly now: bigint;
  /** submittedAt + challengeWindow */
  readonly deadline: bigint;
  /** seconds kept in hand before the deadline (the open transaction must be mined before it) */
  readonly margin: bigint;
  /** this challenger already has a game (or an opening in flight) on the rollup */
  readonly alreadyOpened: boolean;
  /** the rollup is still Pending */
  readonly pending: boolean;
}

export type OpenDecision = { readonly open: true; readonly target: Target } | { readonly open: false; readonly reason: string };

/** Open a game only when it will be won, is still possible, and is not already open. */
export function openDecision(i: OpenInput): OpenDecision {
  if (!i.confirmedTarget) return { open: false, reason: "no violation the verifier rejects" };
  if (i.alreadyOpened) return { open: false, reason: "already opened" };
  if (!i.pending) return { open: false, reason: "rollup not pending" };
  if (i.now + i.margin >= i.deadline) return { open: false, reason: `window closes at ${i.deadline} (now ${i.now})` };
  return { open: true, target: i.confirmedTarget };
}

export function withdrawActions(credits: bigint): ChallengerAction[] {
  return credits > 0n ? [{ kind: "withdraw", amount: credits }] : [];
}
