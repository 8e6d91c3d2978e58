// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IOneStepVerifier, StepContext} from "./interfaces/IOneStepVerifier.sol";
import {LibMerkle} from "./lib/LibMerkle.sol";
import {LibFloat32} from "./lib/LibFloat32.sol";
import {LibTolerance} from "./lib/LibTolerance.sol";
import {LibTemplate} from "./lib/LibTemplate.sol";

/// @title OneStepVerifierV0
/// @notice A real but minimal one-step adjudicator: it implements two rules end to end, RELU (opcode 20, the
/// elementwise rule of SPEC §6.2 against the input element opened from the same iteration's graph) and PARAM
/// (opcode 1, the state link: a parameter equals the previous iteration's update node, or the rollup's start state in
/// its first iteration; an update node in the rollup's last iteration also equals the end state). Every other opcode,
/// and the journal branch, revert with `OpcodeNotSupported` / `JournalNotSupported`: such a step cannot be taken, so
/// the game is decided by the clocks (the trainer, whose turn it is, loses). Deploy it only for templates made of
/// PARAM and RELU nodes; the full verifier replaces it for the engine's graphs (docs/GAME.md §5).
/// @dev Proof layout (ABI): `abi.encode(bytes descriptor, bytes32[] templateProof, bytes opProof)` where the first two
/// open node `ctx.nodeId`'s descriptor against `ctx.templateRoot`, and `opProof` is per opcode:
///  - RELU:  abi.encode(InputOpening)
///  - PARAM: abi.encode(bytes link, bytes end): `link` = abi.encode(StateOpening) from the start state in iteration 0,
///           else abi.encode(PrevOpening) from iteration − 1; `end` = abi.encode(StateOpening) from the end state when
///           the node is its own update node (attrs[2] == nodeId) in the rollup's last iteration, else empty.
/// Every opening is checked; a failed opening reverts (never a `false` verdict), as IOneStepVerifier requires.
contract OneStepVerifierV0 is IOneStepVerifier {
    /// @notice The op of node `nodeId` has no rule in this verifier.
    error OpcodeNotSupported(uint16 opcode, uint256 nodeId);
    /// @notice The journal branch has no rule in this verifier.
    error JournalNotSupported();
    /// @notice An opening in the proof does not verify (`what` names it).
    error OpeningInvalid(string what);
    /// @notice The node's descriptor disagrees with what the game established.
    error DescriptorMismatch(uint256 nodeId, uint256 numel, uint256 ctxNumel);
    /// @notice The template's node has the wrong number of inputs or attributes for its op.
    error TemplateArity(uint256 nodeId, uint256 inputs, uint256 attrs);
    /// @notice An elementwise op's input has a different element count than its output.
    error ShapeMismatch(uint256 inputNode, uint256 inputNumel, uint256 numel);
    /// @notice An opening was supplied where none is expected, or is missing where one is.
    error UnexpectedOpening(string what);

    /// @notice An input element of the same iteration: the input node's descriptor (for its length), its tensor root
    /// in the iteration's graph tree, and the chunk holding the element.
    struct InputOpening {
        bytes descriptor;
        bytes32[] templateProof;
        bytes32 tensorRoot;
        bytes32[] graphProof;
        bytes chunk;
        bytes32[] chunkProof;
    }

    /// @notice A parameter element in a state tree (kind 0x15): the parameter's tensor root and the element's chunk.
    struct StateOpening {
        bytes32 paramRoot;
        bytes32[] stateProof;
        bytes chunk;
        bytes32[] chunkProof;
    }

    /// @notice The update node's element in the previous iteration: its iteration leaf in the rollup tree, its tensor
    /// root in that iteration's graph, and the chunk.
    struct PrevOpening {
        bytes iterationLeaf;
        bytes32[] rollupProof;
        bytes32 tensorRoot;
        bytes32[] graphProof;
        bytes chunk;
        bytes32[] chunkProof;
    }

    /// @inheritdoc IOneStepVerifier
    function verifyElement(StepContext calldata ctx, bytes calldata proof) external view returns (bool) {
        (bytes memory descriptor, bytes32[] memory templateProof, bytes memory opProof) =
            abi.decode(proof, (bytes, bytes32[], bytes));
        LibTemplate.Node memory node =
            LibTemplate.open(ctx.templateRoot, ctx.nodeCount, ctx.nodeId, descriptor, templateProof);
        // INVARIANT: the game entered the tensor with the template's length; the same descriptor must say so.
        if (node.numel != ctx.numel) revert DescriptorMismatch(ctx.nodeId, node.numel, ctx.numel);
        if (node.opcode == LibTemplate.OP_RELU) return _relu(ctx, node, opProof);
        if (node.opcode == LibTemplate.OP_PARAM) return _param(ctx, node, opProof);
        revert OpcodeNotSupported(node.opcode, ctx.nodeId);
    }

    /// @inheritdoc IOneStepVerifier
    function verifyJournalEntry(StepContext calldata, bytes calldata) external pure returns (bool) {
        revert JournalNotSupported();
    }

    // -----------------------------------------------------------------------------------------------------------------
    // RELU
    // -----------------------------------------------------------------------------------------------------------------

    /// @dev relu(x) under SPEC §6.2 (exact: |c − max(x, 0)| <= 2^-23·|r| + 2^-126), x opened from the input node.
    function _relu(StepContext calldata ctx, LibTemplate.Node memory node, bytes memory opProof)
        private
        view
        returns (bool)
    {
        if (node.inputs.length != 1) revert TemplateArity(ctx.nodeId, node.inputs.length, node.attrs.length);
        InputOpening memory o = abi.decode(opProof, (InputOpening));
        uint32 x = _openInput(ctx, node.inputs[0], o, ctx.element);
        uint32[] memory inputs = new uint32[](1);
        inputs[0] = x;
        return LibTolerance.checkElementwise(LibTolerance.Op.Relu, inputs, 0, 1, ctx.elementBits);
    }

    /// @dev Opens element `element` of input node `inputId` of the same iteration; returns its bits.
    function _openInput(StepContext calldata ctx, uint256 inputId, InputOpening memory o, uint256 element)
        private
        view
        returns (uint32)
    {
        LibTemplate.Node memory in_ =
            LibTemplate.open(ctx.templateRoot, ctx.nodeCount, inputId, o.descriptor, o.templateProof);
        // INVARIANT: an elementwise op reads the same element index of an input of the same length.
        if (in_.numel != ctx.numel) revert ShapeMismatch(inputId, in_.numel, ctx.numel);
        if (!LibMerkle.verify(
                LibMerkle.KIND_GRAPH, ctx.nodeCount, ctx.graphRoot, inputId, abi.encodePacked(o.tensorRoot), o.graphProof
            )) revert OpeningInvalid("input tensor root");
        if (!LibMerkle.verifyElement(o.tensorRoot, in_.numel, element, o.chunk, o.chunkProof)) {
            revert OpeningInvalid("input chunk");
        }
        return LibFloat32.elementAt(o.chunk, element % LibMerkle.CHUNK_ELEMS);
    }

    // -----------------------------------------------------------------------------------------------------------------
    // PARAM
    // -----------------------------------------------------------------------------------------------------------------

    /// @dev attrs = [paramId, paramCount, updateNodeId]. The element must equal, bit for bit, the update node's element
    /// of the previous iteration (or the start state's parameter in the rollup's first iteration); if the node is its
    /// own update node (a frozen parameter) and this is the rollup's last iteration, it must also equal the end state's.
    function _param(StepContext calldata ctx, LibTemplate.Node memory node, bytes memory opProof)
        private
        view
        returns (bool)
    {
        if (node.inputs.length != 0 || node.attrs.length != 3) {
            revert TemplateArity(ctx.nodeId, node.inputs.length, node.attrs.length);
        }
        (bytes memory link, bytes memory end) = abi.decode(opProof, (bytes, bytes));
        uint32 linked = ctx.iteration == 0
            ? _openState(ctx, ctx.startState, node.attrs, link)
            : _openPrevious(ctx, node.attrs[2], link);
        bool ok = linked == ctx.elementBits;
        if (node.attrs[2] == ctx.nodeId && ctx.iteration + 1 == ctx.iterations) {
            ok = ok && _openState(ctx, ctx.endState, node.attrs, end) == ctx.elementBits;
        } else if (end.length != 0) {
            revert UnexpectedOpening("end state");
        }
        return ok;
    }

    /// @dev Opens element `ctx.element` of parameter attrs[0] (of attrs[1] parameters) in the state tree `stateRoot`.
    function _openState(StepContext calldata ctx, bytes32 stateRoot, uint32[] memory attrs, bytes memory encoded)
        private
        view
        returns (uint32)
    {
        StateOpening memory o = abi.decode(encoded, (StateOpening));
        if (!LibMerkle.verify(
                LibMerkle.KIND_STATE, attrs[1], stateRoot, attrs[0], abi.encodePacked(o.paramRoot), o.stateProof
            )) revert OpeningInvalid("state parameter root");
        if (!LibMerkle.verifyElement(o.paramRoot, ctx.numel, ctx.element, o.chunk, o.chunkProof)) {
            revert OpeningInvalid("state chunk");
        }
        return LibFloat32.elementAt(o.chunk, ctx.element % LibMerkle.CHUNK_ELEMS);
    }

    /// @dev Opens element `ctx.element` of node `updateNode` in the previous iteration of the same rollup.
    function _openPrevious(StepContext calldata ctx, uint256 updateNode, bytes memory encoded)
        private
        view
        returns (uint32)
    {
        PrevOpening memory o = abi.decode(encoded, (PrevOpening));
        if (o.iterationLeaf.length != 72) revert OpeningInvalid("previous iteration leaf length");
        if (!LibMerkle.verify(
                LibMerkle.KIND_ROLLUP, ctx.iterations, ctx.rollupRoot, ctx.iteration - 1, o.iterationLeaf, o.rollupProof
            )) revert OpeningInvalid("previous iteration leaf");
        bytes32 prevGraph;
        bytes memory leaf = o.iterationLeaf;
        assembly ("memory-safe") {
            // bytes 8..40 of the 72-byte leaf: u64be(step) || graphRoot || journalRoot
            prevGraph := mload(add(leaf, 40))
        }
        if (!LibMerkle.verify(
                LibMerkle.KIND_GRAPH, ctx.nodeCount, prevGraph, updateNode, abi.encodePacked(o.tensorRoot), o.graphProof
            )) revert OpeningInvalid("previous update tensor root");
        // The update node of a parameter has the parameter's shape (a template rule, docs/GAME.md §1.1).
        if (!LibMerkle.verifyElement(o.tensorRoot, ctx.numel, ctx.element, o.chunk, o.chunkProof)) {
            revert OpeningInvalid("previous update chunk");
        }
        return LibFloat32.elementAt(o.chunk, ctx.element % LibMerkle.CHUNK_ELEMS);
    }
}
