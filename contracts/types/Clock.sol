// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice The two sides of a dispute game.
enum Side {
    Trainer,
    Challenger
}

/// @notice A game's chess clock: what each side has left of its time budget, and when the last move was made.
/// @dev Packed into 120 bits so that it shares a storage slot with the game's position and status:
///
///   bits   | 119 .. 80               | 79 .. 40                   | 39 .. 0
///   -------+-------------------------+----------------------------+--------------------------------
///   field  | trainer budget left (s) | challenger budget left (s) | timestamp of the last move (s)
///
/// 40 bits of seconds: budgets below ~34,800 years (createJob caps the job's clocks), timestamps until the year
/// 36812.
///
/// Only the side to move consumes time. A move is allowed while `now - lastMove <= left(side)`; the side to move has
/// lost (anyone may call `timeout`) once `now - lastMove > left(side)`. The two conditions are disjoint, so no instant
/// allows both. Budgets only decrease and the timestamp only increases: time never runs backwards.
type Clock is uint120;

using LibClock for Clock global;

/// @title LibClock
/// @notice Packing and charging of `Clock`.
library LibClock {
    uint64 internal constant MAX_FIELD = (1 << 40) - 1;

    /// @notice A budget or timestamp of 2^40 seconds or more.
    error ClockFieldTooLarge(uint64 value);

    /// @notice Packs a clock.
    function pack(uint64 trainerBudget, uint64 challengerBudget, uint64 stamp) internal pure returns (Clock) {
        // INVARIANT: every field fits its 40 bits (budgets only decrease from the job's capped clocks).
        if (trainerBudget > MAX_FIELD) revert ClockFieldTooLarge(trainerBudget);
        if (challengerBudget > MAX_FIELD) revert ClockFieldTooLarge(challengerBudget);
        if (stamp > MAX_FIELD) revert ClockFieldTooLarge(stamp);
        return Clock.wrap((uint120(trainerBudget) << 80) | (uint120(challengerBudget) << 40) | uint120(stamp));
    }

    /// @notice Seconds the trainer has left.
    function trainerLeft(Clock c) internal pure returns (uint64) {
        return uint64(Clock.unwrap(c) >> 80);
    }

    /// @notice Seconds the challenger has left.
    function challengerLeft(Clock c) internal pure returns (uint64) {
        return uint64((Clock.unwrap(c) >> 40) & MAX_FIELD);
    }

    /// @notice Timestamp of the last move (or of the game's opening).
    function lastMove(Clock c) internal pure returns (uint64) {
        return uint64(Clock.unwrap(c) & MAX_FIELD);
    }

    /// @notice Seconds `side` has left.
    function left(Clock c, Side side) internal pure returns (uint64) {
        return side == Side.Trainer ? trainerLeft(c) : challengerLeft(c);
    }

    /// @notice Seconds elapsed since the last move at time `nowTs` (0 if the chain's clock is behind, which a
    /// monotone block timestamp never is).
    function elapsed(Clock c, uint64 nowTs) internal pure returns (uint64) {
        uint64 last = lastMove(c);
        return nowTs > last ? nowTs - last : 0;
    }

    /// @notice Charges the time since the last move to `side` and stamps `nowTs` as the last move.
    /// @return next the new clock
    /// @return overBy 0 if `side` was still within its budget (the move is allowed), else by how many seconds it
    ///         exceeded it (the move is refused and `next` is meaningless)
    function charge(Clock c, Side side, uint64 nowTs) internal pure returns (Clock next, uint64 overBy) {
        uint64 spent = elapsed(c, nowTs);
        uint64 budget = left(c, side);
        if (spent > budget) return (c, spent - budget);
        // spent <= budget: no underflow.
        unchecked {
            budget -= spent;
        }
        uint64 stamp = nowTs > lastMove(c) ? nowTs : lastMove(c);
        next = side == Side.Trainer
            ? pack(budget, challengerLeft(c), stamp)
            : pack(trainerLeft(c), budget, stamp);
    }

    /// @notice Whether `side`, to move, has exceeded its budget at `nowTs`.
    function expired(Clock c, Side side, uint64 nowTs) internal pure returns (bool) {
        return elapsed(c, nowTs) > left(c, side);
    }
}
