// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {LibBlsVrf} from "../lib/LibBlsVrf.sol";

/// @title VrfHarness
/// @notice Exposes LibBlsVrf to the TypeScript tests (vectors/vrf.json) and to the gas benchmark.
contract VrfHarness {
    /// @notice y of the last proof accepted by `verifyTx` (zero after a refused one).
    bytes32 public lastY;

    /// @notice Emitted by `verifyTx` after it stored its result.
    event VrfChecked(bytes32 indexed x, LibBlsVrf.VrfStatus status, bytes32 y);

    /// @dev A nonzero start value: the first `verifyTx` then pays an ordinary storage update (5k gas) like every
    ///      later one, not the 22.1k of a slot's first write, so the benchmark measures the verification.
    constructor() {
        lastY = bytes32(uint256(1));
    }

    /// @notice LibBlsVrf.context.
    function context(bytes32 modelId, uint64 step, uint64 batchId, bytes32 nonce, uint32 layerId)
        external
        pure
        returns (bytes32)
    {
        return LibBlsVrf.context(modelId, step, batchId, nonce, layerId);
    }

    /// @notice LibBlsVrf.output: sha256(pi).
    function output(bytes calldata pi) external pure returns (bytes32) {
        return LibBlsVrf.output(pi);
    }

    /// @notice LibBlsVrf.check: the status of (pk, x, pi), never reverting on bad inputs.
    function check(bytes calldata pk, bytes32 x, bytes calldata pi) external view returns (LibBlsVrf.VrfStatus) {
        return LibBlsVrf.check(pk, x, pi);
    }

    /// @notice LibBlsVrf.verify.
    function verify(bytes calldata pk, bytes32 x, bytes calldata pi) external view returns (bool) {
        return LibBlsVrf.verify(pk, x, pi);
    }

    /// @notice LibBlsVrf.verifyOrRevert: y, or a revert naming the defect.
    function verifyOrRevert(bytes calldata pk, bytes32 x, bytes calldata pi) external view returns (bytes32) {
        return LibBlsVrf.verifyOrRevert(pk, x, pi);
    }

    /// @notice The context computed on-chain from the fields, then verifyOrRevert.
    function verifyContext(
        bytes calldata pk,
        bytes32 modelId,
        uint64 step,
        uint64 batchId,
        bytes32 nonce,
        uint32 layerId,
        bytes calldata pi
    ) external view returns (bytes32) {
        return LibBlsVrf.verifyOrRevert(pk, LibBlsVrf.context(modelId, step, batchId, nonce, layerId), pi);
    }

    /// @notice LibBlsVrf.checkPop.
    function popCheck(bytes calldata pk, bytes calldata pop) external view returns (LibBlsVrf.VrfStatus) {
        return LibBlsVrf.checkPop(pk, pop);
    }

    /// @notice LibBlsVrf.verifyPopOrRevert.
    function popVerify(bytes calldata pk, bytes calldata pop) external view {
        LibBlsVrf.verifyPopOrRevert(pk, pop);
    }

    /// @notice LibBlsVrf.hashToG1 with the VRF DST (for differential tests of H1).
    function hashToG1Vrf(bytes calldata message) external view returns (bytes memory) {
        return LibBlsVrf.hashToG1(message, LibBlsVrf.VRF_DST_PRIME);
    }

    /// @notice Verifies in a transaction and stores y (zero when refused): the gas benchmark's subject.
    function verifyTx(bytes calldata pk, bytes32 x, bytes calldata pi) external {
        LibBlsVrf.VrfStatus status = LibBlsVrf.check(pk, x, pi);
        bytes32 y = status == LibBlsVrf.VrfStatus.Valid ? LibBlsVrf.output(pi) : bytes32(0);
        lastY = y;
        emit VrfChecked(x, status, y);
    }

    /// @notice Computes the context in a transaction (gas of the on-chain context derivation).
    function contextTx(bytes32 modelId, uint64 step, uint64 batchId, bytes32 nonce, uint32 layerId) external {
        lastY = LibBlsVrf.context(modelId, step, batchId, nonce, layerId);
    }
}
