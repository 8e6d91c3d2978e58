// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {LibFloat32} from "./LibFloat32.sol";

/// @title LibWordTree
/// @notice The word tree of a revealed chunk (docs/SPEC.md §2.5; TypeScript twin: packages/core/src/wordtree.ts).
/// Once the game has checked a chunk against its leaf hash, it keeps the root of a keccak-256 tree over the chunk's
/// 32 words (the chunk zero-padded to 1,024 bytes; leaves = the words; inner = keccak256(left ‖ right); 5 levels), and
/// the challenger's element choice (`chooseElement`) opens the element from its word and the word's five siblings
/// (192 bytes) instead of sending the 1 KiB chunk again. The depth is fixed, so a leaf cannot pose as an inner node.
library LibWordTree {
    /// @notice Bytes of an element opening: the word, then its siblings bottom up.
    uint256 internal constant OPENING_BYTES = 192;

    /// @notice The opening is not 192 bytes long.
    error WordOpeningLength(uint256 got, uint256 want);
    /// @notice The opening does not fold to the root the game holds.
    error WordOpeningMismatch(bytes32 expected, bytes32 computed);
    /// @notice The chunk is longer than 1,024 bytes.
    error WordTreeChunkTooLong(uint256 length);

    /// @notice The word-tree root of `chunk` (at most 1,024 bytes).
    function root(bytes calldata chunk) internal pure returns (bytes32 r) {
        if (chunk.length > 1024) revert WordTreeChunkTooLong(chunk.length);
        // Assembly: one in-place pass per level over 1 KiB of memory past the free pointer (used as scratch, not
        // allocated: it is dead once the root is read). Node i of a level overwrites word i, which the pair i/2 <= i
        // has already consumed. Reading calldata past its end yields zeros: the first copy zero-fills the scratch.
        assembly ("memory-safe") {
            let m := mload(0x40)
            calldatacopy(m, calldatasize(), 1024)
            calldatacopy(m, chunk.offset, chunk.length)
            for { let w := 16 } w { w := shr(1, w) } {
                for { let i := 0 } lt(i, w) { i := add(i, 1) } {
                    mstore(add(m, shl(5, i)), keccak256(add(m, shl(6, i)), 64))
                }
            }
            r := mload(m)
        }
    }

    /// @notice The float32 bits of element `offset` (0..255) of the chunk whose word-tree root is `r`, from `opening`.
    function openElement(bytes32 r, uint256 offset, bytes calldata opening) internal pure returns (uint32) {
        if (opening.length != OPENING_BYTES) revert WordOpeningLength(opening.length, OPENING_BYTES);
        uint256 word;
        bytes32 h;
        // Assembly: reads the six 32-byte words of `opening` (its length is checked above) and hashes pairs in the
        // scratch space 0..63.
        assembly ("memory-safe") {
            word := calldataload(opening.offset)
            h := word
            let i := shr(3, and(offset, 0xff))
            for { let d := 1 } lt(d, 6) { d := add(d, 1) } {
                let s := calldataload(add(opening.offset, shl(5, d)))
                switch and(i, 1)
                case 0 {
                    mstore(0, h)
                    mstore(0x20, s)
                }
                default {
                    mstore(0, s)
                    mstore(0x20, h)
                }
                h := keccak256(0, 0x40)
                i := shr(1, i)
            }
        }
        // INVARIANT: the word is part of the chunk the game checked.
        if (h != r) revert WordOpeningMismatch(r, h);
        // element k of a word is its bytes 4k..4k+3, a little-endian float32 (SPEC §1)
        return LibFloat32.swap32(uint32(word >> (224 - 32 * (offset & 7))));
    }
}
