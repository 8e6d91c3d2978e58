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

/// @notice The game's position packed in 128 bits, so that it shares a storage slot with the clock and the status.
/// @dev
///   bits   | 113      | 112     | 111 .. 104 | 103 .. 96 | 95 .. 48       | 47 .. 0
///   -------+----------+---------+------------+-----------+----------------+-----------------------
///   field  | revealed | at root | phase      | height    | tree len field | index at that height
///
/// Lengths and indices are below 2^48: trees are at most a rollup's iterations long (createJob caps rollupSteps),
/// a node count, a dropout layer count, or a tensor's element count (a u32 in its descriptor).
///
/// In a tree phase, `height` is the height of the current node above the leaves (the tree's depth at its root),
/// `index` its index among the nodes of that height, and `len` the tree's length field (SPEC §2). `atRoot` means the
/// current hash is the tree's *root* (which binds kind and length), not yet its `top`. `revealed` means the side to
/// move is the challenger (children revealed, a choice is due). In a leaf or step phase, `index` keeps the index of
/// the leaf that was reached.
type Position is uint128;

using LibPosition for Position global;

/// @title LibPosition
/// @notice Packing of `Position`.
library LibPosition {
    uint128 private constant MASK48 = (1 << 48) - 1;
    uint128 private constant REVEALED_BIT = 1 << 113;
    uint128 private constant AT_ROOT_BIT = 1 << 112;

    /// @notice A length or index of 2^48 or more (no tree of the protocol is that long).
    error PositionFieldTooLarge(uint256 value);

    /// @notice Packs a position.
    function pack(Phase ph, uint256 h, uint256 idx, uint256 length, bool root, bool isRevealed)
        internal
        pure
        returns (Position)
    {
        // INVARIANT: idx <= length < 2^48 (callers pass h <= 48, and an index below its length).
        if (length > MASK48) revert PositionFieldTooLarge(length);
        if (idx > MASK48) revert PositionFieldTooLarge(idx);
        return Position.wrap(
            uint128(
                (isRevealed ? uint256(REVEALED_BIT) : 0) | (root ? uint256(AT_ROOT_BIT) : 0) | (uint256(ph) << 104)
                    | ((h & 0xff) << 96) | (length << 48) | idx
            )
        );
    }

    function phase(Position p) internal pure returns (Phase) {
        return Phase(uint8(Position.unwrap(p) >> 104));
    }

    function height(Position p) internal pure returns (uint256) {
        return (Position.unwrap(p) >> 96) & 0xff;
    }

    function len(Position p) internal pure returns (uint256) {
        return (Position.unwrap(p) >> 48) & MASK48;
    }

    function index(Position p) internal pure returns (uint256) {
        return Position.unwrap(p) & MASK48;
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
