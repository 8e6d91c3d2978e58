// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title EventEmitterHarness
/// @notice A tiny contract for the tests of `packages/client`: it emits events the chain follower delivers and
///         reverts with a custom error the transaction helper decodes. It holds no value and guards nothing.
contract EventEmitterHarness {
    /// @notice Number of `emitValue` calls so far (the `seq` of the next `ValueEmitted` is `count + 1`).
    uint256 public count;

    /// @notice Emitted by `emitValue` after it counted the call.
    /// @param seq 1-based sequence number of the call.
    /// @param value the caller's value.
    /// @param sender the caller.
    event ValueEmitted(uint256 indexed seq, uint256 value, address indexed sender);

    /// @notice Raised by `rejectValue` and by `emitValue` for a value at or above `limit`.
    /// @param value the value refused.
    /// @param limit the exclusive upper bound it broke.
    /// @param sender the caller.
    error EventEmitterHarnessValueTooLarge(uint256 value, uint256 limit, address sender);

    /// @notice Raised by `emitIfCount` when another call was counted first.
    /// @param expected the count the caller saw.
    /// @param actual the count when its call ran.
    error EventEmitterHarnessStaleCount(uint256 expected, uint256 actual);

    /// @notice Values at or above this bound are refused by `emitValue`.
    uint256 public constant LIMIT = 1_000_000;

    /// @notice Counts the call and emits `ValueEmitted(count, value, msg.sender)`.
    /// @param value any value below `LIMIT`.
    /// @return seq the sequence number of this call.
    function emitValue(uint256 value) external returns (uint256 seq) {
        // INVARIANT: only values below LIMIT are emitted (lets the tests provoke a custom-error revert).
        if (value >= LIMIT) revert EventEmitterHarnessValueTooLarge(value, LIMIT, msg.sender);
        seq = ++count;
        emit ValueEmitted(seq, value, msg.sender);
    }

    /// @notice Emits one `ValueEmitted` per value, in order.
    /// @param values the values, each below `LIMIT`.
    function emitMany(uint256[] calldata values) external {
        for (uint256 i = 0; i < values.length; ++i) {
            // INVARIANT: only values below LIMIT are emitted.
            if (values[i] >= LIMIT) revert EventEmitterHarnessValueTooLarge(values[i], LIMIT, msg.sender);
            emit ValueEmitted(++count, values[i], msg.sender);
        }
    }

    /// @notice Always reverts with `EventEmitterHarnessValueTooLarge(value, 0, msg.sender)`.
    /// @param value echoed in the error.
    function rejectValue(uint256 value) external view {
        revert EventEmitterHarnessValueTooLarge(value, 0, msg.sender);
    }

    /// @notice `emitValue(value)` if `count` is still `expectedCount`: a call that passes simulation and reverts when
    ///         another call is mined before it (lets the tests provoke a revert in a mined transaction).
    /// @param expectedCount the count the caller saw.
    /// @param value any value below `LIMIT`.
    function emitIfCount(uint256 expectedCount, uint256 value) external {
        // INVARIANT: nothing was counted since the caller looked.
        if (count != expectedCount) revert EventEmitterHarnessStaleCount(expectedCount, count);
        // INVARIANT: only values below LIMIT are emitted.
        if (value >= LIMIT) revert EventEmitterHarnessValueTooLarge(value, LIMIT, msg.sender);
        emit ValueEmitted(++count, value, msg.sender);
    }
}
