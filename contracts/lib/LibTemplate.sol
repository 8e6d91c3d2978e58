// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {LibMerkle} from "./LibMerkle.sol";

/// @title LibTemplate
/// @notice The graph template: one leaf per node of an iteration's graph, in the template tree (kind 0x16,
/// len = node count, leaf j = the descriptor of node j), whose root the requester fixes in the job.
/// @dev Descriptor bytes (big-endian integers), docs/GAME.md §1:
///
///   | u16 opcode | u32 numel | u32 rows | u32 cols | u8 nInputs | u32 inputs[nInputs] | u8 nAttrs | u32 attrs[nAttrs] |
///
/// 16 + 4·nInputs + 4·nAttrs bytes. `numel` is the element count of the node's output tensor (>= 1); `inputs` are node
/// ids of the same iteration (each < the node's own id, the graph is in topological order); `attrs` are op-specific
/// (e.g. PARAM: [paramId, paramCount, updateNodeId]; DROPOUT: [layerId, num, den]).
library LibTemplate {
    /// @notice The descriptor's byte length does not match its own counts (`want` from nInputs/nAttrs).
    error TemplateDescriptorLength(uint256 got, uint256 want);
    /// @notice A node's output tensor must have at least one element.
    error TemplateEmptyTensor(uint256 nodeId);
    /// @notice The descriptor of `nodeId` does not open against the template root.
    error TemplateOpeningInvalid(bytes32 templateRoot, uint256 nodeId);

    /// @notice Merkle kind of the template tree (docs/GAME.md §1; to be added to SPEC §2).
    uint8 internal constant KIND_TEMPLATE = 0x16;

    // Opcodes.
    uint16 internal constant OP_PARAM = 1;
    uint16 internal constant OP_DATA_X = 2;
    uint16 internal constant OP_DATA_Y = 3;
    uint16 internal constant OP_LINEAR = 10;
    uint16 internal constant OP_MATMUL_NT = 11;
    uint16 internal constant OP_TRANSPOSE = 12;
    uint16 internal constant OP_ROW_SUM = 13;
    uint16 internal constant OP_RELU = 20;
    uint16 internal constant OP_RELU_BWD = 21;
    uint16 internal constant OP_DROPOUT = 22;
    uint16 internal constant OP_DROPOUT_BWD = 23;
    uint16 internal constant OP_SOFTMAX = 30;
    uint16 internal constant OP_XENT_LOSS = 31;
    uint16 internal constant OP_XENT_GRAD = 32;
    uint16 internal constant OP_MOMENTUM = 40;
    uint16 internal constant OP_SGD = 41;

    /// @notice A decoded node descriptor.
    struct Node {
        uint16 opcode;
        uint32 numel;
        uint32 rows;
        uint32 cols;
        uint32[] inputs;
        uint32[] attrs;
    }

    /// @notice Decodes a descriptor; reverts if its length does not match its counts.
    function decode(bytes memory d) internal pure returns (Node memory n) {
        // INVARIANT: the fixed header (2 + 4 + 4 + 4 + 1) and the attribute count byte are present.
        if (d.length < 16) revert TemplateDescriptorLength(d.length, 16);
        n.opcode = uint16(_be(d, 0, 2));
        n.numel = uint32(_be(d, 2, 4));
        n.rows = uint32(_be(d, 6, 4));
        n.cols = uint32(_be(d, 10, 4));
        uint256 nIn = _be(d, 14, 1);
        // INVARIANT: the inputs and the attribute count fit (checked before reading them).
        if (d.length < 16 + 4 * nIn) revert TemplateDescriptorLength(d.length, 16 + 4 * nIn);
        uint256 nAttr = _be(d, 15 + 4 * nIn, 1);
        uint256 want = 16 + 4 * nIn + 4 * nAttr;
        // INVARIANT: no trailing bytes (one descriptor, one encoding).
        if (d.length != want) revert TemplateDescriptorLength(d.length, want);
        n.inputs = new uint32[](nIn);
        for (uint256 i; i < nIn; ++i) {
            n.inputs[i] = uint32(_be(d, 15 + 4 * i, 4));
        }
        n.attrs = new uint32[](nAttr);
        for (uint256 i; i < nAttr; ++i) {
            n.attrs[i] = uint32(_be(d, 16 + 4 * nIn + 4 * i, 4));
        }
    }

    /// @notice Opens the descriptor of node `nodeId` against the template root and decodes it.
    /// @param nodeCount the template tree's length (the job's node count)
    /// @param proof the descriptor leaf's Merkle proof (SPEC §2.1)
    function open(bytes32 templateRoot, uint256 nodeCount, uint256 nodeId, bytes memory descriptor, bytes32[] memory proof)
        internal
        view
        returns (Node memory n)
    {
        // INVARIANT: the descriptor is the template's own leaf `nodeId` (LibMerkle also refuses nodeId >= nodeCount).
        if (!LibMerkle.verify(KIND_TEMPLATE, nodeCount, templateRoot, nodeId, descriptor, proof)) {
            revert TemplateOpeningInvalid(templateRoot, nodeId);
        }
        n = decode(descriptor);
        // INVARIANT: tensors are non-empty (a tree of length 0 does not exist).
        if (n.numel == 0) revert TemplateEmptyTensor(nodeId);
    }

    /// @notice Opens the descriptor of node `nodeId` against the template root and returns only its element count
    /// (after checking the descriptor's length against its own counts): the game needs nothing else.
    function openNumel(bytes32 templateRoot, uint256 nodeCount, uint256 nodeId, bytes memory descriptor, bytes32[] memory proof)
        internal
        view
        returns (uint32 numel)
    {
        if (!LibMerkle.verify(KIND_TEMPLATE, nodeCount, templateRoot, nodeId, descriptor, proof)) {
            revert TemplateOpeningInvalid(templateRoot, nodeId);
        }
        if (descriptor.length < 16) revert TemplateDescriptorLength(descriptor.length, 16);
        uint256 nIn = _be(descriptor, 14, 1);
        if (descriptor.length < 16 + 4 * nIn) revert TemplateDescriptorLength(descriptor.length, 16 + 4 * nIn);
        uint256 want = 16 + 4 * nIn + 4 * _be(descriptor, 15 + 4 * nIn, 1);
        if (descriptor.length != want) revert TemplateDescriptorLength(descriptor.length, want);
        numel = uint32(_be(descriptor, 2, 4));
        if (numel == 0) revert TemplateEmptyTensor(nodeId);
    }

    /// @dev Big-endian unsigned integer of `size` <= 32 bytes at `off` (callers check the bounds).
    function _be(bytes memory d, uint256 off, uint256 size) private pure returns (uint256 v) {
        assembly ("memory-safe") {
            v := shr(sub(256, mul(size, 8)), mload(add(add(d, 0x20), off)))
        }
    }
}
