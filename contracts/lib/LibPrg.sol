// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title LibPrg
/// @notice The SHA-256 hash-expander PRG and the dropout keep bit of docs/SPEC.md §5.1–5.2 (VDO-compatible).
/// @dev
///   block_c = sha256(y || u64le(c))                 40-byte preimage, c = 0, 1, ...
///   word_e  = u32le(block_{floor(e/8)}[4·(e mod 8) .. 4·(e mod 8) + 4))
///   T       = floor(num · 2^32 / den),  0 <= num < den < 2^32
///   keep_e  = word_e >= T                           (num = 0 keeps everything)
library LibPrg {
    /// @notice The drop probability num/den is not a rational with 0 <= num < den < 2^32.
    error DropoutRateInvalid(uint256 num, uint256 den);
    /// @notice Element `element` needs a PRG counter beyond u64 (element >= 2^67).
    error PrgElementOutOfRange(uint256 element);
    /// @notice The PRG block counter `c` does not fit u64.
    error PrgCounterOutOfRange(uint256 c);
    /// @notice The SHA-256 precompile did not answer (only possible when the call ran out of gas).
    error Sha256Failed();

    /// @notice The PRG block `c` of seed `y`.
    function prgBlock(bytes32 y, uint256 c) internal view returns (bytes32 blk) {
        // INVARIANT: the counter is a u64.
        if (c > type(uint64).max) revert PrgCounterOutOfRange(c);
        uint256 le = _reverse64(c);
        bool ok;
        assembly ("memory-safe") {
            // y || u64le(c) in the 64-byte scratch space: bytes 0..31 = y, bytes 32..39 = u64le(c).
            mstore(0x00, y)
            mstore(0x20, shl(192, le))
            ok := staticcall(gas(), 0x02, 0x00, 0x28, 0x00, 0x20)
            blk := mload(0x00)
        }
        if (!ok) revert Sha256Failed();
    }

    /// @notice The u32 PRG word of element `e` (word e mod 8 of block floor(e/8), read little-endian).
    function word(bytes32 y, uint256 e) internal view returns (uint32) {
        // INVARIANT: the block counter floor(e/8) is a u64.
        if (e >> 67 != 0) revert PrgElementOutOfRange(e);
        bytes32 blk = prgBlock(y, e >> 3);
        // big-endian u32 at byte offset 4·(e mod 8), then byte-reversed
        uint32 be = uint32(uint256(blk) >> (224 - 32 * (e & 7)));
        return ((be & 0xff) << 24) | ((be & 0xff00) << 8) | ((be >> 8) & 0xff00) | (be >> 24);
    }

    /// @notice floor(num · 2^32 / den) after validating 0 <= num < den < 2^32: a word below it means "drop".
    function threshold(uint256 num, uint256 den) internal pure returns (uint256) {
        // INVARIANT: p = num/den is a probability < 1 with a u32 denominator.
        if (num >= den || den > type(uint32).max) revert DropoutRateInvalid(num, den);
        return (num << 32) / den;
    }

    /// @notice The keep bit of element `e` under drop probability num/den with seed `y` (true = kept).
    function maskBit(bytes32 y, uint256 num, uint256 den, uint256 e) internal view returns (bool) {
        uint256 t = threshold(num, den);
        return word(y, e) >= t;
    }

    /// @dev Byte reversal of a u64 (big-endian integer -> little-endian byte order), c < 2^64.
    function _reverse64(uint256 c) private pure returns (uint256 v) {
        v = c;
        v = ((v & 0x00ff00ff00ff00ff) << 8) | ((v >> 8) & 0x00ff00ff00ff00ff);
        v = ((v & 0x0000ffff0000ffff) << 16) | ((v >> 16) & 0x0000ffff0000ffff);
        v = ((v & 0x00000000ffffffff) << 32) | (v >> 32);
    }
}
