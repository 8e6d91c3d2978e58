// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice Everything a dispute game has established when it reaches a one-step check: the job's fixed fields, the
/// rollup's claim, and the path the game walked. Every field was either fixed by the requester, drawn by the chain,
/// or opened against a commitment of the trainer; none is taken on the trainer's word.
struct StepContext {
    // ── job ──
    uint256 jobId;
    /// @dev the job's spec hash, also the VRF model id (SPEC §4)
    bytes32 specHash;
    /// @dev root of the graph template tree (kind 0x16, len = nodeCount)
    bytes32 templateRoot;
    bytes32 datasetRoot;
    uint64 datasetSize;
    uint32 nodeCount;
    uint32 dropoutLayers;
    uint32 toleranceProfile;
    /// @dev the job nonce drawn by the chain at acceptance
    bytes32 nonce;
    /// @dev keccak256 of the trainer's registered BLS public key (256-byte EIP-2537 G2 encoding)
    bytes32 trainerKeyHash;
    // ── rollup ──
    uint256 rollupId;
    uint64 rollupIndex;
    /// @dev state root (kind 0x15) before the rollup's first iteration
    bytes32 startState;
    bytes32 rollupRoot;
    /// @dev state root (kind 0x15) after the rollup's last iteration
    bytes32 endState;
    /// @dev step of the rollup's first iteration; iteration i of the rollup is step firstStep + i
    uint64 firstStep;
    uint64 iterations;
    // ── path ──
    /// @dev index of the iteration in the rollup (leaf index of the rollup tree)
    uint64 iteration;
    uint64 step;
    // ── element step (zero in a journal step) ──
    bytes32 graphRoot;
    bytes32 journalRoot;
    uint32 nodeId;
    /// @dev bytes16(keccak256(descriptor)) of node nodeId's descriptor, which the game opened against templateRoot when
    /// the node was revealed: the verifier takes the descriptor by this hash (docs/GAME.md §5)
    bytes16 descriptorHash;
    bytes32 tensorRoot;
    uint64 numel;
    uint64 element;
    /// @dev the trainer's committed value of the element (float32 bits), opened by the game from the element's chunk
    /// (checked against tensorRoot at the chunk reveal, then through the chunk's word tree: SPEC §2.5)
    uint32 elementBits;
    // ── journal step (zero in an element step) ──
    uint32 journalIndex;
    /// @dev the 264-byte journal entry (opened against journalRoot by the game)
    bytes journalEntry;
}

/// @title IOneStepVerifier
/// @notice The stateless adjudicator at the bottom of a dispute game. It decides whether one committed value of the
/// trainer is consistent with the trainer's own committed inputs (docs/GAME.md §5).
/// @dev Obligations of an implementation (the game's soundness rests on them):
///  - it is stateless (`view`): the same context and proof always give the same answer;
///  - it REVERTS unless every opening carried in `proof` verifies against the commitments of `ctx` (so that nobody can
///    make an honest value look wrong with a bad opening), and when it cannot adjudicate the op;
///  - it returns `false` only when the openings are valid and the trainer's value violates the op's rule, and `true`
///    when the openings are valid and the value satisfies it. Both outcomes are then unique: the openings are bound
///    by collision-resistant hashes, so whoever supplies them, the verdict is the same.
interface IOneStepVerifier {
    /// @notice Adjudicates tensor element `ctx.element` of node `ctx.nodeId` in iteration `ctx.iteration`.
    /// @param proof implementation-defined openings (descriptors, input tensors, state, dataset, ...)
    /// @return trainerValid whether the trainer's element is acceptable
    function verifyElement(StepContext calldata ctx, bytes calldata proof) external view returns (bool trainerValid);

    /// @notice Adjudicates journal entry `ctx.journalIndex` (a dropout layer's VRF record) of iteration `ctx.iteration`.
    /// @return trainerValid whether the trainer's entry is acceptable
    function verifyJournalEntry(StepContext calldata ctx, bytes calldata proof) external view returns (bool trainerValid);
}
