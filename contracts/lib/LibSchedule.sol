// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title LibSchedule
/// @notice The batch schedule of the engine (packages/engine/src/schedule.ts), on-chain: which training example row
/// `j` of the batch of step `s` holds, derived from the job nonce and the step only (verifiable data order).
/// @dev
///   stepsPerEpoch = floor(N / B); epoch = floor(s / stepsPerEpoch); batchId = s mod stepsPerEpoch
///   example(s, j) = π_epoch(batchId·B + j),  j < B
///
/// π_epoch is a 4-round balanced Feistel network on 2h-bit integers, h = max(1, ceil(bits / 2)) with
/// bits = max(1, ceil(log2 N)), with cycle walking (re-apply until the value is < N). Round r maps (L, R) to
/// (R, L xor F_r(R)) with
///
///   F_r(R) = u32be(sha256("REFEREED-V1-BATCH" || nonce(32) || u64be(epoch) || u8(r) || u32be(R))[0..4]) mod 2^h
///
///   preimage | 0..16: tag (17 B) | 17..48: nonce | 49..56: u64be(epoch) | 57: u8(r) | 58..61: u32be(R) |  62 bytes
///
/// Cycle walking terminates: the Feistel network is a permutation of [0, 2^(2h)), so iterating it from a value < N
/// returns below N within one cycle; 2^(2h) < 4N, so the expected number of applications is below 4.
library LibSchedule {
    /// @notice The dataset size N is outside [1, 2^31] (the engine's range).
    error ScheduleDatasetSize(uint256 n);
    /// @notice The batch size B is outside [1, N].
    error ScheduleBatchSize(uint256 batch, uint256 n);
    /// @notice The batch row `j` is not below the batch size.
    error ScheduleRowOutOfRange(uint256 j, uint256 batch);
    /// @notice The step does not fit u64.
    error ScheduleStepOutOfRange(uint256 step);
    /// @notice The SHA-256 precompile did not answer (only possible when the call ran out of gas).
    error Sha256Failed();

    /// @notice The 17-byte round tag.
    bytes17 internal constant TAG = "REFEREED-V1-BATCH";
    uint256 internal constant ROUNDS = 4;

    /// @notice floor(N / B) after validating N and B.
    function stepsPerEpoch(uint256 n, uint256 batch) internal pure returns (uint256) {
        _checkSizes(n, batch);
        return n / batch;
    }

    /// @notice The batch id of step `step` (the batch index inside its epoch; the VRF context's batchId, SPEC §4).
    function batchId(uint256 n, uint256 batch, uint256 step) internal pure returns (uint256) {
        return step % stepsPerEpoch(n, batch);
    }

    /// @notice The example id that row `j` of the batch of step `step` must hold.
    /// @param nonce the job nonce
    /// @param n the training set size N
    /// @param batch the batch size B
    function exampleId(bytes32 nonce, uint256 n, uint256 batch, uint256 step, uint256 j)
        internal
        view
        returns (uint256)
    {
        uint256 spe = stepsPerEpoch(n, batch);
        // INVARIANT: a row of the batch (B <= N <= 2^31, so batchId·B + j < N).
        if (j >= batch) revert ScheduleRowOutOfRange(j, batch);
        // INVARIANT: the epoch is a u64 in the round preimage.
        if (step > type(uint64).max) revert ScheduleStepOutOfRange(step);
        uint256 epoch = step / spe;
        uint256 position = (step % spe) * batch + j;
        return permute(nonce, n, epoch, position);
    }

    /// @notice π_epoch(i) for i < N (validated by the callers: `exampleId` derives i < N).
    function permute(bytes32 nonce, uint256 n, uint256 epoch, uint256 i) internal view returns (uint256 v) {
        uint256 h = halfBits(n);
        bytes memory msg_ = abi.encodePacked(TAG, nonce, uint64(epoch), uint8(0), uint32(0));
        v = _feistel(msg_, h, i);
        // Cycle walking (see the library NatSpec for termination).
        while (v >= n) v = _feistel(msg_, h, v);
    }

    /// @notice h = max(1, ceil(bits / 2)), bits = the smallest b >= 1 with 2^b >= N (schedule.ts halfBits).
    function halfBits(uint256 n) internal pure returns (uint256) {
        uint256 bits = 1;
        // N <= 2^31 (validated by the callers), so the loop runs at most 31 times.
        while ((uint256(1) << bits) < n) ++bits;
        return (bits + 1) / 2;
    }

    /// @dev One application of the 4-round network to v < 2^(2h). The round preimage `m` (62 bytes) is rewritten in
    /// place at bytes 57..61 (u8(r) || u32be(R)); assembly because Solidity cannot write into `bytes memory` without
    /// a copy (measured: this keeps one 62-byte buffer for every round of every walk).
    function _feistel(bytes memory m, uint256 h, uint256 v) private view returns (uint256) {
        uint256 mask = (uint256(1) << h) - 1;
        uint256 l = v >> h;
        uint256 r = v & mask;
        bool ok = true;
        for (uint256 round; round < ROUNDS; ++round) {
            uint256 f;
            assembly ("memory-safe") {
                let p := add(m, 0x20)
                mstore8(add(p, 57), round)
                mstore8(add(p, 58), shr(24, r))
                mstore8(add(p, 59), shr(16, r))
                mstore8(add(p, 60), shr(8, r))
                mstore8(add(p, 61), r)
                ok := and(ok, staticcall(gas(), 0x02, p, 62, 0x00, 0x20))
                f := shr(224, mload(0x00))
            }
            uint256 next = l ^ (f & mask);
            l = r;
            r = next;
        }
        if (!ok) revert Sha256Failed();
        return (l << h) | r;
    }

    function _checkSizes(uint256 n, uint256 batch) private pure {
        // INVARIANT: the engine's ranges (schedule.ts check): 1 <= N <= 2^31, 1 <= B <= N.
        if (n == 0 || n > (uint256(1) << 31)) revert ScheduleDatasetSize(n);
        if (batch == 0 || batch > n) revert ScheduleBatchSize(batch, n);
    }
}
