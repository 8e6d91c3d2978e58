// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice Where a dispute game stands on the one path it walks down the trainer's nested commitment.
/// @dev The zero value is invalid (no game). Tree phases walk a Merkle tree from its root to one leaf; leaf phases
/// open the leaf's preimage; step phases wait for the one-step adjudication. See docs/GAME.md §2.
enum Phase {
    None,
    RollupTree, // rollup tree, kind 0x13, len = iterations of the rollup
    IterationLeaf, // iteration leaf preimage u64be(step) || graphRoot || journalRoot, then the branch choice
    GraphTree, // graph tree, kind 0x11, len = job.nodeCount
    NodeLeaf, // node leaf preimage: the node's output tensor root (+ its descriptor from the template)
    TensorTree, // tensor tree, kind 0x10, len = the node's element count (from the template)
    ChunkLeaf, // chunk preimage (the chunk bytes), then the element choice
    JournalTree, // journal tree, kind 0x12, len = job.dropoutLayers
    JournalLeaf, // journal entry preimage (264 bytes)
    ElementStep, // one-step check of one tensor element
    JournalStep // one-step check of one journal entry
}

/// @notice The game's position packed in one word.
/// @dev
///   bits   | 151      | 150     | 149 .. 144 | 143 .. 136 | 135 .. 128 | 127 .. 64        | 63 .. 0
///   -------+----------+---------+------------+------------+------------+------------------+-----------------------
///   field  | revealed | at root | (zero)     | phase      | height     | tree len field   | index at that height
///
/// In a tree phase, `height` is the height of the current node above the leaves (the tree's depth at its root),
/// `index` its index among the nodes of that height, and `len` the tree's length field (SPEC §2). `atRoot` means the
/// current hash is the tree's *root* (which binds kind and length), not yet its `top`. `revealed` means the side to
/// move is the challenger (children revealed, a choice is due). In a leaf or step phase, `index` keeps the index of
/// the leaf that was reached.
type Position is uint256;

using LibPosition for Position global;

/// @title LibPosition
/// @notice Packing of `Position`.
library LibPosition {
    uint256 private constant MASK64 = type(uint64).max;
    uint256 private constant REVEALED_BIT = 1 << 151;
    uint256 private constant AT_ROOT_BIT = 1 << 150;

    /// @notice Packs a position.
    function pack(Phase ph, uint256 h, uint256 idx, uint256 length, bool root, bool isRevealed)
        internal
        pure
        returns (Position)
    {
        // Callers pass h <= 64 and idx, length < 2^64 (tree lengths are u64 in every root; indices are below them).
        return Position.wrap(
            (isRevealed ? REVEALED_BIT : 0) | (root ? AT_ROOT_BIT : 0) | (uint256(ph) << 136) | (h << 128)
                | ((length & MASK64) << 64) | (idx & MASK64)
        );
    }

    function phase(Position p) internal pure returns (Phase) {
        return Phase(uint8(Position.unwrap(p) >> 136));
    }

    function height(Position p) internal pure returns (uint256) {
        return (Position.unwrap(p) >> 128) & 0xff;
    }

    function len(Position p) internal pure returns (uint256) {
        return (Position.unwrap(p) >> 64) & MASK64;
    }

    function index(Position p) internal pure returns (uint256) {
        return Position.unwrap(p) & MASK64;
    }

    function atRoot(Position p) internal pure returns (bool) {
        return Position.unwrap(p) & AT_ROOT_BIT != 0;
    }

    function revealed(Position p) internal pure returns (bool) {
        return Position.unwrap(p) & REVEALED_BIT != 0;
    }

    /// @notice The same position with the `revealed` flag set.
    function withRevealed(Position p) internal pure returns (Position) {
        return Position.wrap(Position.unwrap(p) | REVEALED_BIT);
    }

    /// @notice The same position, no longer at the root (the current hash is now the tree's top), revealed.
    function enteredAndRevealed(Position p) internal pure returns (Position) {
        return Position.wrap((Position.unwrap(p) & ~AT_ROOT_BIT) | REVEALED_BIT);
    }

    /// @notice Whether `phase` walks a Merkle tree.
    function isTree(Phase ph) internal pure returns (bool) {
        return ph == Phase.RollupTree || ph == Phase.GraphTree || ph == Phase.TensorTree || ph == Phase.JournalTree;
    }

    /// @notice The Merkle kind (SPEC §2) of a tree phase.
    function treeKind(Phase ph) internal pure returns (uint8) {
        if (ph == Phase.RollupTree) return 0x13;
        if (ph == Phase.GraphTree) return 0x11;
        if (ph == Phase.TensorTree) return 0x10;
        return 0x12; // JournalTree (callers pass tree phases only)
    }

    /// @notice The leaf phase a tree phase ends in.
    function leafPhase(Phase ph) internal pure returns (Phase) {
        if (ph == Phase.RollupTree) return Phase.IterationLeaf;
        if (ph == Phase.GraphTree) return Phase.NodeLeaf;
        if (ph == Phase.TensorTree) return Phase.ChunkLeaf;
        return Phase.JournalLeaf; // JournalTree
    }
}
