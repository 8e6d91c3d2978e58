// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {LibTranscendental} from "../lib/LibTranscendental.sol";

/// @title TranscendentalHarness
/// @notice Exposes LibTranscendental (docs/SPEC.md §6.4) for the shared-vector tests
/// (test/contracts/transcendental-vectors.test.ts) and for gas measurement.
/// @dev The `...Tx` functions run the same check inside a real transaction and store the verdict, reverting with
/// `HarnessCheckFailed` unless it is the expected one, so a successful receipt proves the result. The `gas...`
/// functions report the gas spent inside the library alone (gasleft() before and after), without calldata,
/// ABI decoding or the 21k transaction base cost.
contract TranscendentalHarness {
    /// @notice A `...Tx` check did not give the expected verdict.
    error HarnessCheckFailed(bool got, bool expected);

    /// @notice Verdict of the last `...Tx` check.
    bool public lastOk;

    /// @notice LibTranscendental.checkSoftmax.
    function checkSoftmax(uint32[] calldata row, uint256 j, uint32 claimed) external pure returns (bool) {
        return LibTranscendental.checkSoftmax(row, j, claimed);
    }

    /// @notice LibTranscendental.checkXentLoss.
    function checkXentLoss(uint32[] calldata row, uint32 label, uint32 claimed) external pure returns (bool) {
        return LibTranscendental.checkXentLoss(row, label, claimed);
    }

    /// @notice LibTranscendental.expNegFixed: exp(−d/2^192)·2^192.
    function expNegFixed(uint256 d) external pure returns (uint256) {
        return LibTranscendental.expNegFixed(d);
    }

    /// @notice LibTranscendental.logFixed: log(s/2^192)·2^192.
    function logFixed(uint256 s) external pure returns (uint256) {
        return LibTranscendental.logFixed(s);
    }

    /// @notice The range-reduction constant round(ln2·2^192).
    function ln2() external pure returns (uint256) {
        return LibTranscendental.LN2;
    }

    /// @notice checkSoftmax in a transaction; stores the verdict, reverts unless it equals `expected`.
    function checkSoftmaxTx(uint32[] calldata row, uint256 j, uint32 claimed, bool expected) external {
        bool ok = LibTranscendental.checkSoftmax(row, j, claimed);
        if (ok != expected) revert HarnessCheckFailed(ok, expected);
        lastOk = ok;
    }

    /// @notice checkXentLoss in a transaction; stores the verdict, reverts unless it equals `expected`.
    function checkXentLossTx(uint32[] calldata row, uint32 label, uint32 claimed, bool expected) external {
        bool ok = LibTranscendental.checkXentLoss(row, label, claimed);
        if (ok != expected) revert HarnessCheckFailed(ok, expected);
        lastOk = ok;
    }

    /// @notice The verdict of checkSoftmax and the gas spent inside it (row already in memory).
    function gasSoftmax(uint32[] calldata row, uint256 j, uint32 claimed) external view returns (bool ok, uint256 gasUsed) {
        uint32[] memory r = row;
        uint256 g = gasleft();
        ok = LibTranscendental.checkSoftmax(r, j, claimed);
        gasUsed = g - gasleft();
    }

    /// @notice The verdict of checkXentLoss and the gas spent inside it (row already in memory).
    function gasXentLoss(uint32[] calldata row, uint32 label, uint32 claimed)
        external
        view
        returns (bool ok, uint256 gasUsed)
    {
        uint32[] memory r = row;
        uint256 g = gasleft();
        ok = LibTranscendental.checkXentLoss(r, label, claimed);
        gasUsed = g - gasleft();
    }
}
