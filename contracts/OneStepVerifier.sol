// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IOneStepVerifier, StepContext} from "./interfaces/IOneStepVerifier.sol";
import {LibMerkle} from "./lib/LibMerkle.sol";
import {LibFloat32} from "./lib/LibFloat32.sol";
import {LibTolerance, Int512} from "./lib/LibTolerance.sol";
import {LibTranscendental} from "./lib/LibTranscendental.sol";
import {LibTemplate} from "./lib/LibTemplate.sol";
import {LibPrg} from "./lib/LibPrg.sol";
import {LibBlsVrf} from "./lib/LibBlsVrf.sol";
import {LibSchedule} from "./lib/LibSchedule.sol";

/// @title OneStepPrimitives
/// @notice The dot-product rule on packed rows (LibTolerance.checkDotPacked, which reads calldata), the SPEC §6.4 rules
/// (LibTranscendental) and the VRF check (LibBlsVrf) behind an external call: deployed by OneStepVerifier's constructor
/// so that the verifier's runtime code stays under the 24,576-byte limit of EIP-170 (measured: 27.9 kB with the VRF
/// and transcendental rules inlined). The packed dot rule reads the rows as calldata, 8 float32 lanes per word (see
/// LibTolerance.checkDotPacked). Stateless; the verifier holds its address as an immutable (the call costs ~2.6k gas
/// of cold account access plus ~2.5k of ABI decoding in the callee). A revert inside (e.g. BlsInsufficientGas,
/// BlsPrecompileFailed) bubbles up.
contract OneStepPrimitives {
    /// @notice LibBlsVrf.check: the status of VRF proof `pi` of context `x` under `pk` (0 = valid).
    function vrfCheck(bytes calldata pk, bytes32 x, bytes calldata pi) external view returns (LibBlsVrf.VrfStatus) {
        return LibBlsVrf.check(pk, x, pi);
    }

    /// @notice LibTolerance.checkDotPacked: SPEC §6.1 for Σ a_i·b_i given as packed little-endian float32 bytes.
    function checkDotPacked(bytes calldata a, bytes calldata b, uint32 claimed) external pure returns (bool) {
        return LibTolerance.checkDotPacked(a, b, claimed);
    }

    /// @notice LibTranscendental.checkSoftmax of a row given as packed little-endian float32 bytes.
    function checkSoftmaxPacked(bytes calldata row, uint256 j, uint32 claimed) external pure returns (bool) {
        return LibTranscendental.checkSoftmax(_unpack(row), j, claimed);
    }

    /// @notice LibTranscendental.checkXentLoss of a row given as packed little-endian float32 bytes.
    function checkXentLossPacked(bytes calldata row, uint32 label, uint32 claimed) external pure returns (bool) {
        return LibTranscendental.checkXentLoss(_unpack(row), label, claimed);
    }

    /// @dev Packed little-endian float32 bytes -> bit patterns.
    function _unpack(bytes calldata row) private pure returns (uint32[] memory out) {
        // INVARIANT: whole float32 values.
        if (row.length % 4 != 0) revert LibTolerance.TolerancePackedLength(row.length);
        out = new uint32[](row.length / 4);
        for (uint256 i; i < out.length; ++i) out[i] = LibFloat32.elementAtCalldata(row, i);
    }
}

/// @title OneStepVerifier
/// @notice The one-step adjudicator for every op of the engine's graph templates (docs/SPEC.md §7): it decides whether
/// the trainer's committed element `ctx.element` of node `ctx.nodeId` is consistent with the trainer's OWN committed
/// inputs, and whether a journal entry (a dropout layer's VRF record) is the one the job fields force.
///
/// Every rule, for element e of node j in iteration i (all inputs opened with LibMerkle against the commitments of
/// `ctx`; descriptors, shapes and element counts from the template opened against `ctx.templateRoot`, never from the
/// prover):
///
/// | op | rule |
/// |---|---|
/// | param | attrs [param id p, param count P, update node u]. Iteration 0: the node's tensor root == leaf p of
/// |       | `ctx.startState` (a state tree of P leaves); else == the tensor root of node u in iteration i − 1 (opened
/// |       | through `ctx.rollupRoot`) |
/// | data_x, data_y | the example the schedule (LibSchedule) names for (nonce, N, B, step, row), opened against
/// |       | `ctx.datasetRoot`: pixel bits exactly / float32(label) exactly |
/// | linear, matmul_nt, row_sum | SPEC §6.1 on contiguous rows (linear: K + 1 terms with the bias) |
/// | momentum, sgd | SPEC §6.1 with 2 terms (mu·v + 1·g, 1·w + (−lr)·g); in the rollup's LAST iteration the node's
/// |       | tensor root must ALSO equal leaf p of `ctx.endState` (END-STATE link, SPEC §7), else the trainer loses |
/// | transpose | bit-equal to a[j][i] |
/// | relu / relu_bwd | SPEC §6.2 relu / z > 0 ? copy of g (§6.2) : exactly ±0 |
/// | dropout, dropout_bwd | journal entry of the layer: layerId, x == the context computed here, the VRF proof verifies
/// |       | for the registered key, y == sha256(pi); then the PRG keep bit of e and SPEC §5.3 (dropped: exactly ±0;
/// |       | kept: §6.2 against x·den/(den − num)) |
/// | softmax, xent_loss | SPEC §6.4 on the contiguous row (LibTranscendental) |
/// | xent_grad | SPEC §6.2 against the exact rational (p − [j == y])/B (integer check in `_xentGrad`) |
///
/// NaN or ±Inf among the opened values or the claimed one is a violation (SPEC §6.3): the verdict is `false`.
///
/// Obligations of IOneStepVerifier: every opening that fails reverts with a named error (a wrong opening never turns
/// into a verdict), and so does anything the template does not allow (an unknown opcode, a wrong arity, inconsistent
/// shapes, a node that is not what a rule needs). A revert in the one-step phase means that nobody could take the
/// step: the game is then decided by the trainer's clock (Refereed.step).
///
/// Template rules this verifier relies on (checked on every node it opens; the engine's `mlpTemplate`,
/// packages/engine/src/graph.ts, satisfies all of them):
///  - T1 a PARAM descriptor's attrs are [param id p, param count P, update node u] (SPEC §7): the state trees (kind
///       0x15) have P leaves, and u is an sgd/momentum node of parameter p (attrs[1] = p) with p's element count.
///       For the END-STATE link of an update node, the proof opens the PARAM node that names it (attrs[0] = the
///       update's param id, attrs[2] = the update node): its P is the end state's length. (The state root binds its
///       length, so no other P could open it; pinning P to the template also makes a state root of another length
///       unopenable, so a trainer with such an end state loses on its clock.)
///  - T2 the batch size B is the row count of the template's DATA_X node (its descriptor is opened where B is needed).
///  - T3 journal ordinal k holds dropout layer k + 1, whose forward node is the one DROPOUT node with attrs[0] = k + 1.
///  - T4 the shapes of SPEC §7's table: elementwise inputs (relu, relu_bwd, dropout, dropout_bwd, momentum, sgd, the p of
///       xent_grad, softmax's z, transpose's a up to the swap) have the output's element count; a dot product's second
///       operand is [N, K] and a bias [N] (N = the output's cols, K = the first operand's cols); labels are [B]. So an
///       input's length comes from the output's descriptor, and K (linear, matmul_nt, row_sum) and C (xent_loss) from
///       the node's own attribute (T5). Tensor roots bind their length, so a length that a template breaking T4 would
///       make wrong can only make an opening fail, never a verdict wrong.
///  - T5 the one attribute of linear, matmul_nt, row_sum and xent_loss is the first input's column count (SPEC §7).
///       It is trusted from the template like T1–T3: a template whose K' differs from the first input's real cols
///       while rows·K' equals that input's length would open and be judged as a reshaped operand. The requester fixes
///       the template, and a trainer accepts only a template its engine rebuilds from the spec (which sets K this way).
/// A template that breaks T1–T4 makes the steps that need it revert (`TemplateNodeUnexpected`, `TemplateShape`, a
/// failed opening); T5 is the requester's to get right (see there).
///
/// StepContext has no batch size and no parameter count: B comes from the template (T2), P from PARAM descriptors
/// (T1). `toleranceProfile` must be 0 (the rules of SPEC v1).
///
/// Gas (packages/adjudication/scripts/bench-step-gas.ts → bench/results/gas.json, MNIST MLP 784-128-64-10, batch 64,
/// tx gas − 21000): a 784-input linear element ~425k, dropout ~227k (~135k of it the VRF pairing), elementwise and
/// update ops 92k–170k, a 128-input linear element ~158k; packages/adjudication/README.md has the table.
contract OneStepVerifier is IOneStepVerifier {
    using Int512 for Int512.Int;

    // =================================================================================================================
    // Errors
    // =================================================================================================================

    /// @notice Which opening of a proof failed (diagnostic of `OpeningInvalid`).
    enum Opening {
        InputTensorRoot, // an input node's tensor root in the iteration's graph tree
        InputChunks, // an input tensor's chunks
        PreviousIteration, // the previous iteration's leaf in the rollup tree
        PreviousUpdateRoot, // the update node's tensor root in the previous iteration's graph tree
        StateLeaf, // a parameter's tensor root in a state tree
        DatasetExample, // an example in the dataset tree
        JournalEntry // a journal entry in the iteration's journal tree
    }

    /// @notice Opening `what` of node/leaf `index` does not lead to its committed root.
    error OpeningInvalid(Opening what, uint256 index);
    /// @notice The node's op has no rule here (or the journal step names no dropout layer).
    error OpcodeNotSupported(uint16 opcode, uint256 nodeId);
    /// @notice Only the tolerance profile of SPEC v1 (0) is implemented.
    error ToleranceProfileNotSupported(uint32 profile);
    /// @notice The node's descriptor gives `numel` elements; the game entered a tensor of `ctxNumel`.
    error DescriptorMismatch(uint256 nodeId, uint256 numel, uint256 ctxNumel);
    /// @notice The proof's descriptor hashes to `given`, not to the hash of the descriptor the game opened (`expected`).
    error DescriptorHashMismatch(uint256 nodeId, bytes16 expected, bytes16 given);
    /// @notice The template node has the wrong number of inputs or attributes for its op.
    error TemplateArity(uint256 nodeId, uint16 opcode, uint256 inputs, uint256 attrs);
    /// @notice The shapes of node `nodeId` and its input/linked node `otherNode` are inconsistent for the op.
    error TemplateShape(uint256 nodeId, uint256 otherNode);
    /// @notice Node `nodeId` (opcode `opcode`) is not the node the rule needs (template rule T1..T3 of the contract NatSpec).
    error TemplateNodeUnexpected(uint256 nodeId, uint16 opcode, uint8 rule);
    /// @notice The proof carries `got` input openings; the node has `want` inputs.
    error InputCount(uint256 nodeId, uint256 got, uint256 want);
    /// @notice A link opening (state, previous iteration, end state) was given where none is expected.
    error UnexpectedLink(uint256 nodeId);
    /// @notice A byte string of the proof has the wrong length (`what`: 0 iteration leaf, 1 example, 2 journal entry).
    error ProofFieldLength(uint8 what, uint256 got, uint256 want);
    /// @notice The public key in the proof is not the trainer's registered key.
    error TrainerKeyMismatch(bytes32 registered, bytes32 given);
    /// @notice A dropout node names a layer without a journal entry.
    error DropoutLayerInvalid(uint256 layer, uint256 dropoutLayers);
    /// @notice The element proof's head (an offset, then the three head words of ElementProof) is not inside `proof`.
    error ProofEncodingInvalid(uint256 offset, uint256 length);
    /// @notice A dataset label cannot be represented exactly as a float32 (>= 2^24).
    error LabelNotRepresentable(uint256 label);

    // =================================================================================================================
    // Proof layout
    // =================================================================================================================

    /// @notice An input node's output in the same iteration, elements [start, end) that the rule derives: its tensor
    /// root in the graph tree (leaf = the input's node id, taken from the consumer's descriptor) and the chunks covering
    /// the range with their multiproof (SPEC §2.2; for one chunk it is the single proof). The tensor's length comes from
    /// the template (rule T4), never from the prover.
    struct TensorOpening {
        bytes32 tensorRoot;
        bytes32[] graphProof;
        bytes[] chunks;
        bytes32[] chunkProof;
    }

    /// @notice The proof of `verifyElement`: `abi.encode(ElementProof)`.
    /// @dev `descriptor` is node ctx.nodeId's (bound by ctx.descriptorHash, no template proof). `inputs[k]` opens
    /// `node.inputs[k]`; a dot product's second operand and a linear's bias may have an empty `graphProof` when their
    /// node is the sibling leaf of the input before (id = prev ^ 1): that input's proof then authenticates it
    /// (`_openRootOrSibling`). `link` is per op:
    ///  - PARAM: iteration 0: abi.encode(StateLeaf) from ctx.startState; else abi.encode(PrevLink)
    ///  - SGD / MOMENTUM: in the rollup's last iteration abi.encode(TemplateLeaf paramNode, StateLeaf) from
    ///    ctx.endState (paramNode: the PARAM node naming this update node, rule T1), else empty
    ///  - DATA_X / DATA_Y: abi.encode(DatasetOpening)
    ///  - DROPOUT / DROPOUT_BWD: abi.encode(SeedOpening, bytes entry, bytes32[] journalProof)
    ///  - every other op: empty
    struct ElementProof {
        bytes descriptor;
        TensorOpening[] inputs;
        bytes link;
    }

    /// @notice A template leaf: node `nodeId`'s descriptor and its proof against ctx.templateRoot.
    struct TemplateLeaf {
        uint32 nodeId;
        bytes descriptor;
        bytes32[] proof;
    }

    /// @notice A parameter's tensor root in a state tree (leaf = param id) and its proof.
    struct StateLeaf {
        bytes32 paramRoot;
        bytes32[] proof;
    }

    /// @notice The param's update node (named by the PARAM descriptor, rule T1) in the previous iteration: its
    /// descriptor, the previous iteration's 72-byte leaf in the rollup tree, and the update node's tensor root in that
    /// iteration's graph tree.
    struct PrevLink {
        TemplateLeaf update;
        bytes iterationLeaf;
        bytes32[] rollupProof;
        bytes32 updateRoot;
        bytes32[] graphProof;
    }

    /// @notice A dataset example `u32be(label) || f32le(pixels)` and its proof against ctx.datasetRoot.
    struct DatasetOpening {
        bytes example;
        bytes32[] proof;
    }

    /// @notice What a dropout seed check needs besides the entry: the DATA_X node (rule T2, for the batch id) and the
    /// trainer's 256-byte BLS public key (checked against ctx.trainerKeyHash).
    struct SeedOpening {
        TemplateLeaf dataX;
        bytes publicKey;
    }

    /// @notice The proof of `verifyJournalEntry`: `abi.encode(JournalProof)`; `dropout` is the layer's forward DROPOUT
    /// node (rule T3), for its layer id and element count.
    struct JournalProof {
        TemplateLeaf dropout;
        SeedOpening seed;
    }

    /// @notice The SPEC §6.4 rules and the VRF check, in their own contract (code size; see OneStepPrimitives).
    OneStepPrimitives public immutable primitives;

    constructor() {
        primitives = new OneStepPrimitives();
    }

    uint32 private constant ONE_BITS = 0x3f800000;
    uint32 private constant SIGN_BIT = 0x80000000;
    uint256 private constant JOURNAL_ENTRY_BYTES = 264;
    uint256 private constant ITERATION_LEAF_BYTES = 72;

    // =================================================================================================================
    // Entry points
    // =================================================================================================================

    /// @inheritdoc IOneStepVerifier
    /// @dev `proof` = abi.encode(ElementProof). For an update node (sgd/momentum) in the rollup's last iteration the
    /// verdict is the op's rule AND the END-STATE link: the node's tensor root must be leaf `param` of ctx.endState,
    /// so a trainer whose end state is not what its last iteration computed loses at any element of an update node.
    function verifyElement(StepContext calldata ctx, bytes calldata proof) external view returns (bool trainerValid) {
        _checkProfile(ctx);
        ElementProof calldata p = _elementProof(proof);
        // INVARIANT: the descriptor is the template's leaf ctx.nodeId: the one the game opened against ctx.templateRoot
        // at the node's reveal and keeps as ctx.descriptorHash (a second template proof would re-prove the same leaf).
        bytes16 h = bytes16(keccak256(p.descriptor));
        if (h != ctx.descriptorHash) revert DescriptorHashMismatch(ctx.nodeId, ctx.descriptorHash, h);
        LibTemplate.Node memory node = LibTemplate.decode(p.descriptor);
        // INVARIANT: the game entered the tensor with the template's length; the same descriptor must say so.
        if (node.numel != ctx.numel) revert DescriptorMismatch(ctx.nodeId, node.numel, ctx.numel);
        // INVARIANT: a well-formed shape (element indices below are derived from rows and cols).
        if (uint256(node.rows) * node.cols != node.numel) revert TemplateShape(ctx.nodeId, ctx.nodeId);
        // INVARIANT: one opening per input of the node, in the descriptor's order.
        if (p.inputs.length != node.inputs.length) revert InputCount(ctx.nodeId, p.inputs.length, node.inputs.length);
        uint16 op = node.opcode;
        if (op == LibTemplate.OP_PARAM) return _param(ctx, node, p.link);
        if (op == LibTemplate.OP_DATA_X || op == LibTemplate.OP_DATA_Y) return _data(ctx, node, p.link);
        if (op == LibTemplate.OP_SGD || op == LibTemplate.OP_MOMENTUM) return _update(ctx, node, p);
        if (op == LibTemplate.OP_DROPOUT || op == LibTemplate.OP_DROPOUT_BWD) return _dropout(ctx, node, p);
        // INVARIANT: only params, data, update and dropout nodes carry a link.
        if (p.link.length != 0) revert UnexpectedLink(ctx.nodeId);
        if (op == LibTemplate.OP_XENT_LOSS) return _xentLoss(ctx, node, p);
        if (op == LibTemplate.OP_LINEAR || op == LibTemplate.OP_MATMUL_NT || op == LibTemplate.OP_ROW_SUM) {
            return _dot(ctx, node, p);
        }
        if (op == LibTemplate.OP_TRANSPOSE) return _transpose(ctx, node, p.inputs);
        if (op == LibTemplate.OP_RELU) return _relu(ctx, node, p.inputs);
        if (op == LibTemplate.OP_RELU_BWD) return _reluBwd(ctx, node, p.inputs);
        if (op == LibTemplate.OP_SOFTMAX) return _softmax(ctx, node, p.inputs);
        if (op == LibTemplate.OP_XENT_GRAD) return _xentGrad(ctx, node, p.inputs);
        revert OpcodeNotSupported(op, ctx.nodeId);
    }

    /// @notice Adjudicates journal entry `ctx.journalIndex` (opened against ctx.journalRoot by the game).
    /// @dev `proof` = abi.encode(JournalProof). The trainer's entry is valid iff its layerId is the layer of the
    /// ordinal (rule T3), x == LibBlsVrf.context(specHash, step, batchId, nonce, layerId) computed here (batchId = step
    /// mod floor(datasetSize / B)), the VRF proof pi verifies for the registered key, y == sha256(pi), and n is the
    /// dropout node's element count. `maskHash` and `qHash` are VDO's fields for off-chain auditors and are NOT checked
    /// on-chain: the mask hash would need the PRG of all n elements (n/8 SHA-256 blocks plus n byte writes, about
    /// 600k gas for the MNIST MLP's 8,192-element layer) and qHash the whole input tensor. A mask that is not the PRG
    /// mask of y is caught at the element level instead (dropout/dropout_bwd rule), where the keep bit is recomputed.
    function verifyJournalEntry(StepContext calldata ctx, bytes calldata proof)
        external
        view
        returns (bool trainerValid)
    {
        _checkProfile(ctx);
        JournalProof memory p = abi.decode(proof, (JournalProof));
        bytes memory entry = ctx.journalEntry;
        // INVARIANT: the SPEC §3 entry layout.
        if (entry.length != JOURNAL_ENTRY_BYTES) revert ProofFieldLength(2, entry.length, JOURNAL_ENTRY_BYTES);
        uint256 layer = uint256(ctx.journalIndex) + 1;
        LibTemplate.Node memory d = _openTemplateLeaf(ctx, p.dropout);
        // INVARIANT (T3): the named node is the forward dropout node of the ordinal's layer.
        if (d.opcode != LibTemplate.OP_DROPOUT || d.attrs.length != 3 || d.attrs[0] != layer) {
            revert TemplateNodeUnexpected(p.dropout.nodeId, d.opcode, 3);
        }
        (bool ok,) = _checkSeed(ctx, layer, p.seed, entry);
        if (!ok) return false;
        return _be(entry, 260, 4) == d.numel;
    }

    // =================================================================================================================
    // PARAM and the state links
    // =================================================================================================================

    /// @dev attrs = [param id, param count, update node] (rule T1). The verdict compares tensor roots (equal roots ⇔
    /// equal tensors): the trainer copies the previous update's output bit for bit, so an honest param always has the
    /// linked root.
    function _param(StepContext calldata ctx, LibTemplate.Node memory node, bytes calldata link)
        private
        view
        returns (bool)
    {
        if (node.inputs.length != 0 || node.attrs.length != 3) _arity(ctx, node);
        bytes32 linked = ctx.iteration == 0
            ? _stateLeaf(ctx.startState, node.attrs[1], node.attrs[0], abi.decode(link, (StateLeaf)))
            : _previousUpdateRoot(ctx, node, abi.decode(link, (PrevLink)));
        if (!LibFloat32.isFinite(ctx.elementBits)) return false;
        return linked == ctx.tensorRoot;
    }

    /// @dev Leaf `paramId` of the state tree `stateRoot` of `count` leaves (kind 0x15).
    function _stateLeaf(bytes32 stateRoot, uint256 count, uint256 paramId, StateLeaf memory sl)
        private
        view
        returns (bytes32)
    {
        if (!LibMerkle.verify(
                LibMerkle.KIND_STATE, count, stateRoot, paramId, abi.encodePacked(sl.paramRoot), sl.proof
            )) revert OpeningInvalid(Opening.StateLeaf, paramId);
        return sl.paramRoot;
    }

    /// @dev The tensor root of the param's update node (attrs[2], rule T1) in iteration ctx.iteration − 1.
    function _previousUpdateRoot(StepContext calldata ctx, LibTemplate.Node memory node, PrevLink memory l)
        private
        view
        returns (bytes32)
    {
        LibTemplate.Node memory u = _openTemplateLeaf(ctx, l.update);
        // INVARIANT (T1): the opened node is the one the descriptor names, and it updates this parameter.
        if (
            l.update.nodeId != node.attrs[2] || (u.opcode != LibTemplate.OP_SGD && u.opcode != LibTemplate.OP_MOMENTUM)
                || u.attrs.length != 2 || u.attrs[1] != node.attrs[0]
        ) revert TemplateNodeUnexpected(l.update.nodeId, u.opcode, 1);
        // INVARIANT (T1): of the parameter's shape (else no honest root could ever match).
        if (u.numel != node.numel) revert TemplateShape(ctx.nodeId, l.update.nodeId);
        // INVARIANT: the 72-byte iteration leaf u64be(step) || graphRoot || journalRoot.
        if (l.iterationLeaf.length != ITERATION_LEAF_BYTES) {
            revert ProofFieldLength(0, l.iterationLeaf.length, ITERATION_LEAF_BYTES);
        }
        if (!LibMerkle.verify(
                LibMerkle.KIND_ROLLUP, ctx.iterations, ctx.rollupRoot, ctx.iteration - 1, l.iterationLeaf, l.rollupProof
            )) revert OpeningInvalid(Opening.PreviousIteration, ctx.iteration - 1);
        bytes32 prevGraph = bytes32(_be(l.iterationLeaf, 8, 32));
        if (!LibMerkle.verify(
                LibMerkle.KIND_GRAPH, ctx.nodeCount, prevGraph, l.update.nodeId, abi.encodePacked(l.updateRoot), l.graphProof
            )) revert OpeningInvalid(Opening.PreviousUpdateRoot, l.update.nodeId);
        return l.updateRoot;
    }

    // =================================================================================================================
    // DATA
    // =================================================================================================================

    /// @dev data_x [B, D]: element (row, col) is pixel col of the example the schedule names for row, bit for bit.
    /// data_y [B]: element row is float32(label) of that example, bit for bit (+0 for label 0).
    function _data(StepContext calldata ctx, LibTemplate.Node memory node, bytes calldata link)
        private
        view
        returns (bool)
    {
        if (node.inputs.length != 0 || node.attrs.length != 0) _arity(ctx, node);
        bool isX = node.opcode == LibTemplate.OP_DATA_X;
        // INVARIANT: labels are a vector [B].
        if (!isX && node.cols != 1) revert TemplateShape(ctx.nodeId, ctx.nodeId);
        uint256 row = isX ? ctx.element / node.cols : ctx.element;
        uint256 id = LibSchedule.exampleId(ctx.nonce, ctx.datasetSize, node.rows, ctx.step, row);
        DatasetOpening memory d = abi.decode(link, (DatasetOpening));
        // INVARIANT: an example is u32be(label) || D float32 pixels, D = the template's input width (data_x).
        if (isX ? d.example.length != 4 + 4 * uint256(node.cols) : d.example.length < 4) {
            revert ProofFieldLength(1, d.example.length, isX ? 4 + 4 * uint256(node.cols) : 4);
        }
        if (!LibMerkle.verify(LibMerkle.KIND_DATASET, ctx.datasetSize, ctx.datasetRoot, id, d.example, d.proof)) {
            revert OpeningInvalid(Opening.DatasetExample, id);
        }
        if (!LibFloat32.isFinite(ctx.elementBits)) return false;
        if (isX) return LibFloat32.elementAt(d.example, ctx.element % node.cols + 1) == ctx.elementBits;
        uint256 label = _be(d.example, 0, 4);
        // INVARIANT: the label is a float32 integer exactly (labels are class indices).
        if (label >= 1 << 24) revert LabelNotRepresentable(label);
        return _uintToFloat32(label) == ctx.elementBits;
    }

    // =================================================================================================================
    // Dot-product ops (SPEC §6.1)
    // =================================================================================================================

    /// @dev linear [x [M,K], w [N,K], b [N]], matmul_nt [a [M,K], b [N,K]]: element (m, j) reads row m of the first
    /// input and row j of the second (+ b[j]); row_sum [a [R,C]]: element r reads row r, times 1. K is the node's
    /// attribute (SPEC §7); the other lengths come from the output's shape (rule T4: w is [N, K], b [N]).
    function _dot(StepContext calldata ctx, LibTemplate.Node memory node, ElementProof calldata p)
        private
        view
        returns (bool)
    {
        uint16 op = node.opcode;
        uint256 want = op == LibTemplate.OP_LINEAR ? 3 : op == LibTemplate.OP_MATMUL_NT ? 2 : 1;
        if (node.inputs.length != want || node.attrs.length != 1) _arity(ctx, node);
        (bytes memory a, bytes memory b) = _dotOperands(ctx, node, p, _innerDim(ctx, node));
        return primitives.checkDotPacked(a, b, ctx.elementBits);
    }

    /// @dev The packed operands of a dot-product element with inner dimension k (see `_dot`).
    function _dotOperands(StepContext calldata ctx, LibTemplate.Node memory node, ElementProof calldata p, uint256 k)
        private
        view
        returns (bytes memory a, bytes memory b)
    {
        uint256 extra = node.opcode == LibTemplate.OP_LINEAR ? 1 : 0;
        uint256 m = ctx.element / node.cols;
        a = _rowOf(ctx, node.inputs[0], p.inputs[0], uint256(node.rows) * k, m * k, (m + 1) * k, extra);
        uint256 j = ctx.element % node.cols;
        if (node.opcode == LibTemplate.OP_ROW_SUM) {
            // INVARIANT: row_sum's output is the vector [R].
            if (node.cols != 1) revert TemplateShape(ctx.nodeId, ctx.nodeId);
            b = _ones(k);
        } else {
            // the second operand: its tensor root by its own graph proof, or as the first's sibling leaf (the engine
            // places a matmul_nt's operands at ids 2i, 2i + 1)
            _openRootOrSibling(ctx, node.inputs[1], p.inputs[1], node.inputs[0], p.inputs[0]);
            b = _rowAt(node.inputs[1], p.inputs[1], uint256(node.cols) * k, j * k, (j + 1) * k, extra);
        }
        if (extra == 1) {
            // the bias b[j]: its tensor root by its own graph proof, or as w's sibling leaf (w = 2i, b = 2i + 1)
            _openRootOrSibling(ctx, node.inputs[2], p.inputs[2], node.inputs[1], p.inputs[1]);
            _putLE(a, k, _elementAt(node.inputs[2], p.inputs[2], node.cols, j));
            _putLE(b, k, ONE_BITS);
        }
    }

    /// @dev momentum [v, g], attrs [bits(mu), param]: mu·v + 1·g; sgd [w, g], attrs [bits(lr), param]: 1·w + (−lr)·g.
    /// Both 2-term dot products (SPEC §6.1); plus the END-STATE link in the rollup's last iteration.
    function _update(StepContext calldata ctx, LibTemplate.Node memory node, ElementProof calldata p)
        private
        view
        returns (bool)
    {
        if (node.inputs.length != 2 || node.attrs.length != 2) _arity(ctx, node);
        bool endOk = true;
        if (ctx.iteration + 1 == ctx.iterations) {
            (TemplateLeaf memory pl, StateLeaf memory sl) = abi.decode(p.link, (TemplateLeaf, StateLeaf));
            LibTemplate.Node memory pn = _openTemplateLeaf(ctx, pl);
            // INVARIANT (T1): a PARAM node of this parameter that names this node as its update; its count is P.
            if (
                pn.opcode != LibTemplate.OP_PARAM || pn.attrs.length != 3 || pn.attrs[0] != node.attrs[1]
                    || pn.attrs[2] != ctx.nodeId
            ) revert TemplateNodeUnexpected(pl.nodeId, pn.opcode, 1);
            endOk = _stateLeaf(ctx.endState, pn.attrs[1], node.attrs[1], sl) == ctx.tensorRoot;
        } else if (p.link.length != 0) {
            revert UnexpectedLink(ctx.nodeId);
        }
        bytes memory a = new bytes(8);
        bytes memory b = new bytes(8);
        _putLE(a, 0, _sameIndex(ctx, node, 0, p.inputs[0]));
        _putLE(a, 1, _sameIndex(ctx, node, 1, p.inputs[1]));
        bool sgd = node.opcode == LibTemplate.OP_SGD;
        _putLE(b, 0, sgd ? ONE_BITS : node.attrs[0]);
        _putLE(b, 1, sgd ? node.attrs[0] ^ SIGN_BIT : ONE_BITS); // −lr: exact (sign flip)
        return endOk && primitives.checkDotPacked(a, b, ctx.elementBits);
    }

    // =================================================================================================================
    // Copies and elementwise ops (SPEC §6.2)
    // =================================================================================================================

    /// @dev transpose [a [R,C]] -> [C,R]: element (i, j) is a[j][i] = a[j·C + i] with C = the output's rows (rule
    /// T4), bit for bit.
    function _transpose(StepContext calldata ctx, LibTemplate.Node memory node, TensorOpening[] calldata ins)
        private
        view
        returns (bool)
    {
        if (node.inputs.length != 1 || node.attrs.length != 0) _arity(ctx, node);
        uint256 i = ctx.element / node.cols;
        uint256 j = ctx.element % node.cols;
        uint32 x = _elementOf(ctx, node.inputs[0], ins[0], node.numel, j * node.rows + i);
        if (!LibFloat32.isFinite(x) || !LibFloat32.isFinite(ctx.elementBits)) return false;
        return x == ctx.elementBits;
    }

    /// @dev relu [x]: SPEC §6.2 against max(x, 0).
    function _relu(StepContext calldata ctx, LibTemplate.Node memory node, TensorOpening[] calldata ins)
        private
        view
        returns (bool)
    {
        if (node.inputs.length != 1 || node.attrs.length != 0) _arity(ctx, node);
        uint32[] memory x = new uint32[](1);
        x[0] = _sameIndex(ctx, node, 0, ins[0]);
        return LibTolerance.checkElementwise(LibTolerance.Op.Relu, x, 0, 1, ctx.elementBits);
    }

    /// @dev relu_bwd [g, z]: z > 0 ? SPEC §6.2 copy of g : exactly ±0. NaN/Inf in g, z or the claim: violation.
    function _reluBwd(StepContext calldata ctx, LibTemplate.Node memory node, TensorOpening[] calldata ins)
        private
        view
        returns (bool)
    {
        if (node.inputs.length != 2 || node.attrs.length != 0) _arity(ctx, node);
        uint32[] memory g = new uint32[](1);
        g[0] = _sameIndex(ctx, node, 0, ins[0]);
        uint32 z = _sameIndex(ctx, node, 1, ins[1]);
        if (!LibFloat32.isFinite(z) || !LibFloat32.isFinite(g[0]) || !LibFloat32.isFinite(ctx.elementBits)) {
            return false;
        }
        bool positive = z & SIGN_BIT == 0 && !LibFloat32.isZero(z);
        if (!positive) return LibFloat32.isZero(ctx.elementBits);
        return LibTolerance.checkElementwise(LibTolerance.Op.Copy, g, 0, 1, ctx.elementBits);
    }

    /// @dev dropout [x] / dropout_bwd [g], attrs [layer, num, den]: the layer's journal entry (ordinal layer − 1, rule
    /// T3) must be the VRF record the job fields force (`_checkSeed`), then SPEC §5.3 with the PRG keep bit of e.
    function _dropout(StepContext calldata ctx, LibTemplate.Node memory node, ElementProof calldata p)
        private
        view
        returns (bool)
    {
        if (node.inputs.length != 1 || node.attrs.length != 3) _arity(ctx, node);
        uint32 x = _sameIndex(ctx, node, 0, p.inputs[0]);
        (bool seedOk, bytes32 y) = _layerSeed(ctx, node.attrs[0], p.link);
        if (!seedOk) return false;
        bool keep = LibPrg.maskBit(y, node.attrs[1], node.attrs[2], ctx.element);
        if (!LibFloat32.isFinite(x)) return false;
        return LibTolerance.checkDropout(keep, node.attrs[1], node.attrs[2], x, ctx.elementBits);
    }

    /// @dev Opens the journal entry of dropout layer `layer` (ordinal layer − 1, rule T3) from `link` =
    /// abi.encode(SeedOpening, bytes entry, bytes32[] journalProof) and checks it (`_checkSeed`).
    function _layerSeed(StepContext calldata ctx, uint256 layer, bytes calldata link)
        private
        view
        returns (bool, bytes32)
    {
        (SeedOpening memory s, bytes memory entry, bytes32[] memory journalProof) =
            abi.decode(link, (SeedOpening, bytes, bytes32[]));
        // INVARIANT (T3): layer ℓ >= 1 has its entry at ordinal ℓ − 1 of the journal.
        if (layer == 0 || layer > ctx.dropoutLayers) revert DropoutLayerInvalid(layer, ctx.dropoutLayers);
        if (entry.length != JOURNAL_ENTRY_BYTES) revert ProofFieldLength(2, entry.length, JOURNAL_ENTRY_BYTES);
        if (!LibMerkle.verify(
                LibMerkle.KIND_JOURNAL, ctx.dropoutLayers, ctx.journalRoot, layer - 1, entry, journalProof
            )) revert OpeningInvalid(Opening.JournalEntry, layer - 1);
        return _checkSeed(ctx, layer, s, entry);
    }

    /// @dev xent_grad [p [B,C], y [B]]: element (i, j) against r = (p[i,j] − t)/B, t = [j == y_i], by SPEC §6.2:
    /// accept iff |c − r| <= 2^-23·|r| + 2^-126.
    ///
    /// Exact integer form (proof that it IS the rule): multiply both sides by B·2^23 > 0 (an equivalence):
    ///   |B·c − (p − t)|·2^23 <= |p − t| + B·2^-103.
    /// p and c are finite float32 values, so each is an integer multiple of 2^-149, and so are t ∈ {0, 1} and B·2^-103
    /// (= B·2^46 units). Expressed in units of 2^-149 every quantity is an integer, computed without rounding:
    ///   P = p − t: |p| < 2^128 → < 2^277 units; B·c: B < 2^32, |c| < 2^128 → < 2^309; lhs < 2^(310 + 23) = 2^333;
    /// all inside Int512 (magnitudes < 2^511). No truncation anywhere, so this accepts exactly what SPEC §6.2 accepts
    /// (the TypeScript twin is `exactXentGrad` in packages/engine/src/audit.ts).
    /// A label that is not a float32 integer in [0, C) (−0 counts as 0), or NaN/Inf in p or the claim: violation.
    function _xentGrad(StepContext calldata ctx, LibTemplate.Node memory node, TensorOpening[] calldata ins)
        private
        view
        returns (bool)
    {
        if (node.inputs.length != 2 || node.attrs.length != 0) _arity(ctx, node);
        uint256 c = node.cols;
        uint256 i = ctx.element / c;
        uint256 j = ctx.element % c;
        uint32 pv = _sameIndex(ctx, node, 0, ins[0]);
        // rule T4: one label per row
        uint32 yv = _elementOf(ctx, node.inputs[1], ins[1], node.rows, i);
        if (!LibFloat32.isFinite(pv) || !LibFloat32.isFinite(ctx.elementBits)) return false;
        (bool labelOk, uint256 label) = _labelIndex(yv, c);
        if (!labelOk) return false;
        return _xentGradRule(pv, j == label, node.rows, ctx.elementBits);
    }

    /// @dev The integer form of the xent_grad rule (see `_xentGrad`), for finite p and c, target t = [j == y], batch B.
    function _xentGradRule(uint32 pv, bool target, uint256 bsz, uint32 cv) private pure returns (bool) {
        Int512.Int memory pt = _units149(pv, 1);
        if (target) pt = pt.sub(Int512.fromShift(false, 1, 149));
        Int512.Int memory lhs = _units149(cv, bsz).sub(pt).magShl(23);
        return lhs.magLe(pt.magAdd(Int512.fromShift(false, bsz, 46)));
    }

    /// @dev factor · v in units of 2^-149 for a finite float32 v and factor < 2^32: exact (exponent >= −149 makes the
    /// shift 0..253, and the magnitude < 2^(24 + 32 + 253) = 2^309 fits Int512).
    function _units149(uint32 bits, uint256 factor) private pure returns (Int512.Int memory) {
        (bool neg, uint256 m, int256 e) = LibFloat32.decode(bits);
        return Int512.fromShift(neg, m * factor, uint256(e + 149));
    }

    // =================================================================================================================
    // Transcendental ops (SPEC §6.4)
    // =================================================================================================================

    /// @dev softmax [z [B,C]] -> [B,C] (z has the output's shape, rule T4): element (i, j) from row i.
    function _softmax(StepContext calldata ctx, LibTemplate.Node memory node, TensorOpening[] calldata ins)
        private
        view
        returns (bool)
    {
        if (node.inputs.length != 1 || node.attrs.length != 0) _arity(ctx, node);
        uint256 c = node.cols;
        uint256 i = ctx.element / c;
        bytes memory row = _rowOf(ctx, node.inputs[0], ins[0], node.numel, i * c, (i + 1) * c, 0);
        return primitives.checkSoftmaxPacked(row, ctx.element % c, ctx.elementBits);
    }

    /// @dev xent_loss [z [B,C], y [B]] -> [B]: element i from row i of z (C the node's attribute) and label y_i.
    function _xentLoss(StepContext calldata ctx, LibTemplate.Node memory node, ElementProof calldata p)
        private
        view
        returns (bool)
    {
        if (node.inputs.length != 2 || node.attrs.length != 1) _arity(ctx, node);
        uint256 c = _innerDim(ctx, node);
        uint256 i = ctx.element;
        bytes memory row = _rowOf(ctx, node.inputs[0], p.inputs[0], node.numel * c, i * c, (i + 1) * c, 0);
        uint32 label = _elementOf(ctx, node.inputs[1], p.inputs[1], node.numel, i);
        return primitives.checkXentLossPacked(row, label, ctx.elementBits);
    }

    // =================================================================================================================
    // Dropout seeds (SPEC §4, §5)
    // =================================================================================================================

    /// @dev Whether journal `entry` = u32be(layerId) || x || pi || y || maskHash || qHash || u32be(n) holds the VRF
    /// record that the job fields force for `layer` at ctx.step; returns y when it does. Reverts when the public key is
    /// not the registered one or the DATA_X opening fails (openings); returns false for every fault of the entry.
    function _checkSeed(StepContext calldata ctx, uint256 layer, SeedOpening memory s, bytes memory entry)
        private
        view
        returns (bool ok, bytes32 y)
    {
        bytes32 keyHash = keccak256(s.publicKey);
        // INVARIANT: the VRF is checked against the key the trainer registered (with a proof of possession).
        if (keyHash != ctx.trainerKeyHash) revert TrainerKeyMismatch(ctx.trainerKeyHash, keyHash);
        LibTemplate.Node memory dx = _openTemplateLeaf(ctx, s.dataX);
        // INVARIANT (T2): the batch size is the DATA_X node's row count.
        if (dx.opcode != LibTemplate.OP_DATA_X) revert TemplateNodeUnexpected(s.dataX.nodeId, dx.opcode, 2);
        if (_be(entry, 0, 4) != layer) return (false, 0);
        uint256 batchId = LibSchedule.batchId(ctx.datasetSize, dx.rows, ctx.step);
        bytes32 x = LibBlsVrf.context(ctx.specHash, ctx.step, uint64(batchId), ctx.nonce, uint32(layer));
        if (bytes32(_be(entry, 4, 32)) != x) return (false, 0);
        bytes memory pi = new bytes(LibBlsVrf.G1_LENGTH);
        assembly ("memory-safe") {
            // pi = entry[36 .. 164): four words (entry is 264 bytes long, checked by the callers)
            let src := add(add(entry, 0x20), 36)
            mcopy(add(pi, 0x20), src, 128)
        }
        if (primitives.vrfCheck(s.publicKey, x, pi) != LibBlsVrf.VrfStatus.Valid) return (false, 0);
        y = bytes32(_be(entry, 164, 32));
        if (sha256(pi) != y) return (false, 0);
        return (true, y);
    }

    // =================================================================================================================
    // Openings
    // =================================================================================================================

    /// @dev Opens a template leaf against ctx.templateRoot and decodes it.
    function _openTemplateLeaf(StepContext calldata ctx, TemplateLeaf memory l)
        private
        view
        returns (LibTemplate.Node memory)
    {
        return LibTemplate.open(ctx.templateRoot, ctx.nodeCount, l.nodeId, l.descriptor, l.proof);
    }

    /// @dev The first input's cols, the node's attribute (K of a dot product, C of xent_loss; SPEC §7); at least 1.
    function _innerDim(StepContext calldata ctx, LibTemplate.Node memory node) private pure returns (uint256 k) {
        k = node.attrs[0];
        // INVARIANT: a first operand [rows, k] with k >= 1 (its length rows·k is what its opening is checked against).
        if (k == 0) revert TemplateShape(ctx.nodeId, node.inputs[0]);
    }

    /// @dev Verifies input `id`'s tensor root: by its own graph proof, or, when that is empty, as the level-0 sibling of
    /// input `prevId` (id == prevId ^ 1), whose graph proof (verified by the caller) then carries leafHash(tensorRoot)
    /// as its first sibling. The id must be a real node (< nodeCount): the trainer builds the graph tree, and the
    /// verifier does not check that a padding sibling is ZERO, so a template naming a padding position could otherwise
    /// pass a root the trainer put there. Used for a dot product's second operand (after the first) and a linear's
    /// bias (after the weight).
    function _openRootOrSibling(
        StepContext calldata ctx,
        uint256 id,
        TensorOpening calldata o,
        uint256 prevId,
        TensorOpening calldata prev
    ) private view {
        if (o.graphProof.length != 0) return _openRoot(ctx, id, o);
        if (
            id != (prevId ^ 1) || id >= ctx.nodeCount || prev.graphProof.length == 0
                || prev.graphProof[0] != LibMerkle.leafHashWord(o.tensorRoot)
        ) {
            revert OpeningInvalid(Opening.InputTensorRoot, id);
        }
    }

    /// @dev Verifies input `id`'s tensor root against the iteration's graph root.
    function _openRoot(StepContext calldata ctx, uint256 id, TensorOpening calldata o) private view {
        if (!LibMerkle.verifyLeafHash(
                LibMerkle.KIND_GRAPH,
                ctx.nodeCount,
                ctx.graphRoot,
                id,
                LibMerkle.leafHashWord(o.tensorRoot),
                o.graphProof
            )) revert OpeningInvalid(Opening.InputTensorRoot, id);
    }

    /// @dev Element ctx.element of input `which` of an elementwise node (rule T4: the output's length).
    function _sameIndex(StepContext calldata ctx, LibTemplate.Node memory node, uint256 which, TensorOpening calldata o)
        private
        view
        returns (uint32)
    {
        return _elementOf(ctx, node.inputs[which], o, node.numel, ctx.element);
    }

    /// @dev Element e of input `id` (a tensor of `len` elements): its root in the graph tree, its chunk (o.chunks[0])
    /// against the root; returns its bits.
    function _elementOf(StepContext calldata ctx, uint256 id, TensorOpening calldata o, uint256 len, uint256 e)
        private
        view
        returns (uint32)
    {
        _openRoot(ctx, id, o);
        return _elementAt(id, o, len, e);
    }

    /// @dev Element `e` of input `id` against `o.tensorRoot`, which the caller has verified.
    function _elementAt(uint256 id, TensorOpening calldata o, uint256 len, uint256 e) private view returns (uint32) {
        // INVARIANT: one element, one chunk.
        if (o.chunks.length != 1) revert LibMerkle.TensorChunkCount(o.chunks.length, 1);
        bytes calldata chunk = o.chunks[0];
        if (!LibMerkle.verifyElementCalldata(o.tensorRoot, len, e, chunk, o.chunkProof)) {
            revert OpeningInvalid(Opening.InputChunks, id);
        }
        return LibFloat32.elementAtCalldata(chunk, e % LibMerkle.CHUNK_ELEMS);
    }

    /// @dev Elements [start, end) of input `id` (a tensor of `len` elements), opened like `_elementOf` with a range
    /// multiproof, as packed little-endian bytes followed by `extra` zero lanes (room for a bias term).
    function _rowOf(
        StepContext calldata ctx,
        uint256 id,
        TensorOpening calldata o,
        uint256 len,
        uint256 start,
        uint256 end,
        uint256 extra
    ) private view returns (bytes memory row) {
        _openRoot(ctx, id, o);
        return _rowAt(id, o, len, start, end, extra);
    }

    /// @dev `_rowOf` against `o.tensorRoot`, which the caller has verified.
    function _rowAt(uint256 id, TensorOpening calldata o, uint256 len, uint256 start, uint256 end, uint256 extra)
        private
        view
        returns (bytes memory row)
    {
        if (!_openRange(o, len, start, end)) revert OpeningInvalid(Opening.InputChunks, id);
        row = new bytes(4 * (end - start + extra));
        bytes[] calldata chunks = o.chunks;
        uint256 c0 = start / LibMerkle.CHUNK_ELEMS;
        uint256 c1 = (end - 1) / LibMerkle.CHUNK_ELEMS;
        for (uint256 c = c0; c <= c1; ++c) {
            // the part of [start, end) inside chunk c, copied to its place in the row
            uint256 lo = c == c0 ? start : c * LibMerkle.CHUNK_ELEMS;
            uint256 hi = c == c1 ? end : (c + 1) * LibMerkle.CHUNK_ELEMS;
            bytes calldata chunk = chunks[c - c0];
            // Assembly: a calldata slice copied to a memory offset. Safe: `_openRange` checked that `chunk` is chunk
            // c of the tensor at its exact length, so elements lo..hi lie at bytes 4·(lo − 256c).. of it; the
            // destination bytes 4·(lo − start) .. 4·(hi − start) lie inside `row` (4·(end − start + extra) bytes).
            assembly ("memory-safe") {
                calldatacopy(
                    add(add(row, 0x20), shl(2, sub(lo, start))),
                    add(chunk.offset, shl(2, sub(lo, shl(8, c)))),
                    shl(2, sub(hi, lo))
                )
            }
        }
    }

    /// @dev Whether o.chunks are the chunks of elements [start, end) of the tensor (o.tensorRoot, len). A row inside
    /// one chunk is opened with the single proof (the same siblings as the SPEC §2.2 multiproof of one leaf;
    /// LibMerkle's assembly path, measured ~4k gas cheaper than the range path).
    function _openRange(TensorOpening calldata o, uint256 len, uint256 start, uint256 end) private view returns (bool) {
        bytes[] calldata chunks = o.chunks;
        return start / LibMerkle.CHUNK_ELEMS == (end - 1) / LibMerkle.CHUNK_ELEMS && chunks.length == 1 && start < end
                && end <= len
            ? LibMerkle.verifyElementCalldata(o.tensorRoot, len, start, chunks[0], o.chunkProof)
            : LibMerkle.verifyElementRangeCalldata(o.tensorRoot, len, start, end, chunks, o.chunkProof);
    }

    /// @dev `k` little-endian float32 ones (0x3f800000 → bytes 00 00 80 3f), packed.
    function _ones(uint256 k) private pure returns (bytes memory b) {
        b = new bytes(4 * k);
        // Assembly, measured: 8 lanes per word store instead of 4 checked byte stores per lane (~420 gas per lane).
        // Writing whole words may run up to 28 bytes past the array's end: those bytes lie inside the allocation,
        // which Solidity rounds up to whole words, and are past `length` (never read as part of `b`).
        assembly ("memory-safe") {
            let p := add(b, 0x20)
            let end := add(p, mload(b))
            for {} lt(p, end) { p := add(p, 0x20) } {
                mstore(p, 0x0000803f0000803f0000803f0000803f0000803f0000803f0000803f0000803f)
            }
        }
    }

    /// @dev Writes `bits` little-endian at lane `index` of packed float32 bytes `d`.
    function _putLE(bytes memory d, uint256 index, uint32 bits) private pure {
        // INVARIANT: the lane lies inside `d` (the assembly below writes unchecked).
        if (4 * index + 4 > d.length) revert LibFloat32.Float32ElementOutOfRange(index, d.length / 4);
        uint256 le = LibFloat32.swap32(bits);
        // Assembly: one read-modify-write of the word holding the lane instead of four checked byte stores.
        assembly ("memory-safe") {
            let p := add(add(d, 0x20), shl(2, index))
            mstore(p, or(and(mload(p), not(shl(224, 0xffffffff))), shl(224, le)))
        }
    }

    // =================================================================================================================
    // Small helpers
    // =================================================================================================================

    /// @dev `proof` = abi.encode(ElementProof) read in place, as a calldata struct: no decoded copy. Measured on a
    /// 128-input linear element: abi.decode into memory cost ~13k gas (every sibling and chunk copied and checked,
    /// most of them then only hashed); in place, with the accessors' own checks, the step costs ~5.6k less. Chunks
    /// are hashed and copied straight from calldata. The head must lie inside `proof`; the members' own offsets and
    /// lengths are checked by Solidity's calldata accessors against the calldata's end. A malformed proof whose
    /// offsets point past `proof` into other calldata (the context) reads those bytes as its own: that gains nothing,
    /// since every value a rule uses is opened against a root of `ctx` (or, for the public key, its hash).
    function _elementProof(bytes calldata proof) private pure returns (ElementProof calldata p) {
        uint256 off = proof.length >= 32 ? uint256(bytes32(proof[:32])) : type(uint256).max;
        // INVARIANT: the three head words (0x60 bytes) of the struct lie inside `proof`.
        if (off > proof.length || proof.length - off < 0x60) revert ProofEncodingInvalid(off, proof.length);
        // Assembly: a calldata struct pointer is the absolute offset of its head. Safe: off + 0x60 <= proof.length.
        assembly {
            p := add(proof.offset, off)
        }
    }

    function _checkProfile(StepContext calldata ctx) private pure {
        // INVARIANT: the rules implemented here are those of tolerance profile 0 (SPEC v1).
        if (ctx.toleranceProfile != 0) revert ToleranceProfileNotSupported(ctx.toleranceProfile);
    }

    function _arity(StepContext calldata ctx, LibTemplate.Node memory node) private pure {
        revert TemplateArity(ctx.nodeId, node.opcode, node.inputs.length, node.attrs.length);
    }

    /// @dev The label as a class index: a finite float32 integer in [0, c); −0 is 0 (as LibTranscendental).
    function _labelIndex(uint32 label, uint256 c) private pure returns (bool ok, uint256 y) {
        if (!LibFloat32.isFinite(label)) return (false, 0);
        (bool neg, uint256 m, int256 e) = LibFloat32.decode(label);
        if (m == 0) return (0 < c, 0);
        if (neg) return (false, 0);
        if (e >= 0) {
            y = m << uint256(e); // < 2^24 · 2^104
        } else {
            uint256 sh = uint256(-e); // <= 149
            if (m & ((uint256(1) << sh) - 1) != 0) return (false, 0);
            y = m >> sh;
        }
        ok = y < c;
    }

    /// @dev The float32 bits of an integer v < 2^24 (exact; +0 for 0).
    function _uintToFloat32(uint256 v) private pure returns (uint32) {
        if (v == 0) return 0;
        uint256 b; // bit length of v, 1..24
        for (uint256 t = v; t != 0; t >>= 1) ++b;
        // v = 1.f · 2^(b−1): biased exponent b − 1 + 127, fraction = the b − 1 bits below the leading one, left-aligned.
        return uint32(((b + 126) << 23) | ((v << (24 - b)) & 0x7fffff));
    }

    /// @dev Big-endian unsigned integer of `size` <= 32 bytes at `off` of `d`; callers keep off + size <= d.length.
    function _be(bytes memory d, uint256 off, uint256 size) private pure returns (uint256 v) {
        assembly ("memory-safe") {
            v := shr(sub(256, mul(size, 8)), mload(add(add(d, 0x20), off)))
        }
    }
}
