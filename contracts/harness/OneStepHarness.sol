// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IOneStepVerifier, StepContext} from "../interfaces/IOneStepVerifier.sol";
import {LibSchedule} from "../lib/LibSchedule.sol";

/// @title OneStepHarness
/// @notice Transaction wrappers around a one-step verifier, for gas measurements (packages/adjudication
/// scripts/bench-step-gas.ts): a transaction carries the context and the proof as calldata, as the game's `step` does,
/// and succeeds only if the verdict is the expected one. Also exposes LibSchedule for differential tests.
contract OneStepHarness {
    /// @notice The verifier returned `got` where the caller expected `expected`.
    error VerdictMismatch(bool expected, bool got);

    /// @notice A verdict was reached.
    event Verdict(bool trainerValid);

    IOneStepVerifier public immutable verifier;

    constructor(IOneStepVerifier verifier_) {
        verifier = verifier_;
    }

    /// @notice Calls verifyElement; reverts unless the verdict is `expected`.
    function stepElement(StepContext calldata ctx, bytes calldata proof, bool expected) external {
        bool v = verifier.verifyElement(ctx, proof);
        if (v != expected) revert VerdictMismatch(expected, v);
        emit Verdict(v);
    }

    /// @notice Calls verifyJournalEntry; reverts unless the verdict is `expected`.
    function stepJournal(StepContext calldata ctx, bytes calldata proof, bool expected) external {
        bool v = verifier.verifyJournalEntry(ctx, proof);
        if (v != expected) revert VerdictMismatch(expected, v);
        emit Verdict(v);
    }

    /// @notice LibSchedule.exampleId (the batch schedule's example of row `j` at `step`).
    function exampleId(bytes32 nonce, uint256 n, uint256 batch, uint256 step, uint256 j) external view returns (uint256) {
        return LibSchedule.exampleId(nonce, n, batch, step, j);
    }

    /// @notice LibSchedule.batchId.
    function batchId(uint256 n, uint256 batch, uint256 step) external pure returns (uint256) {
        return LibSchedule.batchId(n, batch, step);
    }
}
