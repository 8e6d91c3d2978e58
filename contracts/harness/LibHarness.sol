// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {LibMerkle} from "../lib/LibMerkle.sol";
import {LibPrg} from "../lib/LibPrg.sol";
import {LibFloat32} from "../lib/LibFloat32.sol";
import {LibTolerance} from "../lib/LibTolerance.sol";
import {LibTemplate} from "../lib/LibTemplate.sol";

/// @title LibHarness
/// @notice Exposes LibMerkle, LibPrg, LibFloat32 and LibTolerance for the shared-vector tests
/// (test/contracts/lib-vectors.test.ts), the Solidity tests and the gas benchmark (scripts/bench-gas.ts).
/// @dev The `...Tx` functions do the same work inside a real transaction and store the result in transient storage
/// (TSTORE, 100 gas: a persistent storage write would add 2.2k–22.1k gas of harness overhead to figures as small
/// as a mask bit). Each one also reverts with `HarnessCheckFailed` unless the check gives the expected answer, so a
/// successful receipt proves the result.
contract LibHarness {
    /// @notice A `...Tx` check did not give the expected answer.
    error HarnessCheckFailed();
    /// @notice `keepMask` was asked for `n` elements, more than `max`.
    error HarnessMaskTooLong(uint256 n, uint256 max);

    /// @notice Largest mask `keepMask` computes in one call.
    uint256 public constant MAX_MASK = 1 << 16;

    /// @dev Result of the last `...Tx` check, for the duration of its transaction.
    bool private transient lastOk;

    // ---------------------------------------------------------------------------------------------------------------
    // LibMerkle
    // ---------------------------------------------------------------------------------------------------------------

    /// @notice LibMerkle.leafHash: sha256(0x00 || data).
    function leafHash(bytes calldata data) external view returns (bytes32) {
        return LibMerkle.leafHash(data);
    }

    /// @notice LibMerkle.leafHashCalldata (must equal `leafHash`).
    function leafHashCalldata(bytes calldata data) external view returns (bytes32) {
        return LibMerkle.leafHashCalldata(data);
    }

    /// @notice LibMerkle.innerHash: sha256(0x01 || l || r).
    function innerHash(bytes32 l, bytes32 r) external view returns (bytes32) {
        return LibMerkle.innerHash(l, r);
    }

    /// @notice LibMerkle.rootHash: sha256(0x02 || u8(kind) || u64be(len) || top).
    function rootHash(uint8 kind, uint256 len, bytes32 top) external view returns (bytes32) {
        return LibMerkle.rootHash(kind, len, top);
    }

    /// @notice LibMerkle.numLeaves.
    function numLeaves(uint8 kind, uint256 len) external pure returns (uint256) {
        return LibMerkle.numLeaves(kind, len);
    }

    /// @notice LibMerkle.depthOf: ceil(log2(n)).
    function depthOf(uint256 n) external pure returns (uint256) {
        return LibMerkle.depthOf(n);
    }

    /// @notice LibMerkle.chunkByteLength.
    function chunkByteLength(uint256 len, uint256 c) external pure returns (uint256) {
        return LibMerkle.chunkByteLength(len, c);
    }

    /// @notice LibMerkle.computeRoot.
    function computeRoot(uint8 kind, uint256 len, uint256 index, bytes32 leaf, bytes32[] calldata siblings)
        external
        view
        returns (bytes32)
    {
        return LibMerkle.computeRoot(kind, len, index, leaf, siblings);
    }

    /// @notice LibMerkle.verify (leaf data).
    function verify(
        uint8 kind,
        uint256 len,
        bytes32 root,
        uint256 index,
        bytes calldata leafData,
        bytes32[] calldata siblings
    ) external view returns (bool) {
        return LibMerkle.verify(kind, len, root, index, leafData, siblings);
    }

    /// @notice LibMerkle.verifyLeafHash (precomputed leaf hash).
    function verifyLeafHash(
        uint8 kind,
        uint256 len,
        bytes32 root,
        uint256 index,
        bytes32 leaf,
        bytes32[] calldata siblings
    ) external view returns (bool) {
        return LibMerkle.verifyLeafHash(kind, len, root, index, leaf, siblings);
    }

    /// @notice LibMerkle.verifyRange (leaf data [start, start + leaves.length)).
    function verifyRange(
        uint8 kind,
        uint256 len,
        bytes32 root,
        uint256 start,
        bytes[] calldata leaves,
        bytes32[] calldata siblings
    ) external view returns (bool) {
        return LibMerkle.verifyRange(kind, len, root, start, leaves, siblings);
    }

    /// @notice LibMerkle.verifyElement, and the element's bits read from the chunk.
    function verifyElement(bytes32 root, uint256 len, uint256 element, bytes calldata chunk, bytes32[] calldata siblings)
        external
        view
        returns (bool ok, uint32 bits)
    {
        ok = LibMerkle.verifyElement(root, len, element, chunk, siblings);
        bits = LibFloat32.elementAt(chunk, element % LibMerkle.CHUNK_ELEMS);
    }

    /// @notice LibMerkle.verifyElementRange.
    function verifyElementRange(
        bytes32 root,
        uint256 len,
        uint256 start,
        uint256 end,
        bytes[] calldata chunks,
        bytes32[] calldata siblings
    ) external view returns (bool) {
        return LibMerkle.verifyElementRange(root, len, start, end, chunks, siblings);
    }

    /// @notice LibMerkle.leafHashWord: sha256(0x00 || w).
    function leafHashWord(bytes32 w) external view returns (bytes32) {
        return LibMerkle.leafHashWord(w);
    }

    /// @notice LibMerkle.verifyCalldata (must agree with `verify`).
    function verifyCalldata(
        uint8 kind,
        uint256 len,
        bytes32 root,
        uint256 index,
        bytes calldata leafData,
        bytes32[] calldata siblings
    ) external view returns (bool) {
        return LibMerkle.verifyCalldata(kind, len, root, index, leafData, siblings);
    }

    /// @notice LibMerkle.verifyElementCalldata, and the element's bits read from the chunk (must agree with
    /// `verifyElement`).
    function verifyElementCalldata(
        bytes32 root,
        uint256 len,
        uint256 element,
        bytes calldata chunk,
        bytes32[] calldata siblings
    ) external view returns (bool ok, uint32 bits) {
        ok = LibMerkle.verifyElementCalldata(root, len, element, chunk, siblings);
        bits = LibFloat32.elementAtCalldata(chunk, element % LibMerkle.CHUNK_ELEMS);
    }

    /// @notice LibMerkle.verifyElementRangeCalldata (must agree with `verifyElementRange`).
    function verifyElementRangeCalldata(
        bytes32 root,
        uint256 len,
        uint256 start,
        uint256 end,
        bytes[] calldata chunks,
        bytes32[] calldata siblings
    ) external view returns (bool) {
        return LibMerkle.verifyElementRangeCalldata(root, len, start, end, chunks, siblings);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // LibPrg
    // ---------------------------------------------------------------------------------------------------------------

    /// @notice LibPrg.prgBlock: sha256(y || u64le(c)).
    function prgBlock(bytes32 y, uint256 c) external view returns (bytes32) {
        return LibPrg.prgBlock(y, c);
    }

    /// @notice LibPrg.word: the u32 PRG word of element e.
    function prgWord(bytes32 y, uint256 e) external view returns (uint32) {
        return LibPrg.word(y, e);
    }

    /// @notice LibPrg.threshold: floor(num·2^32/den).
    function maskThreshold(uint256 num, uint256 den) external pure returns (uint256) {
        return LibPrg.threshold(num, den);
    }

    /// @notice LibPrg.maskBit: true = kept.
    function maskBit(bytes32 y, uint256 num, uint256 den, uint256 e) external view returns (bool) {
        return LibPrg.maskBit(y, num, den, e);
    }

    /// @notice The keep bits of elements 0..n−1 as one byte each (0x00 drop, 0x01 keep).
    function keepMask(bytes32 y, uint256 num, uint256 den, uint256 n) external view returns (bytes memory mask) {
        // INVARIANT: a bounded loop (the vectors' full masks are 100 elements).
        if (n > MAX_MASK) revert HarnessMaskTooLong(n, MAX_MASK);
        mask = new bytes(n);
        for (uint256 e; e < n; ++e) {
            if (LibPrg.maskBit(y, num, den, e)) mask[e] = 0x01;
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // LibFloat32
    // ---------------------------------------------------------------------------------------------------------------

    /// @notice LibFloat32.decode.
    function decode(uint32 bits) external pure returns (bool negative, uint256 mantissa, int256 exponent) {
        return LibFloat32.decode(bits);
    }

    /// @notice LibFloat32 classification: (isFinite, isNaN, isInf, isZero).
    function classify(uint32 bits) external pure returns (bool finite, bool nan, bool inf, bool zero) {
        return (LibFloat32.isFinite(bits), LibFloat32.isNaN(bits), LibFloat32.isInf(bits), LibFloat32.isZero(bits));
    }

    /// @notice LibFloat32.elementAt (little-endian float32 number `index` of `data`).
    function elementAt(bytes calldata data, uint256 index) external pure returns (uint32) {
        return LibFloat32.elementAt(data, index);
    }

    /// @notice LibFloat32.elementAtCalldata (must equal `elementAt`).
    function elementAtCalldata(bytes calldata data, uint256 index) external pure returns (uint32) {
        return LibFloat32.elementAtCalldata(data, index);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // LibTolerance
    // ---------------------------------------------------------------------------------------------------------------

    /// @notice LibTolerance.checkDot over float32 bit patterns.
    function checkDot(uint32[] calldata a, uint32[] calldata b, uint32 claimed) external pure returns (bool) {
        return LibTolerance.checkDot(a, b, claimed);
    }

    /// @notice LibTolerance.checkDotPacked over packed little-endian float32 bytes.
    function checkDotPacked(bytes calldata a, bytes calldata b, uint32 claimed) external pure returns (bool) {
        return LibTolerance.checkDotPacked(a, b, claimed);
    }

    /// @notice LibTolerance.checkElementwise; op: 0 add, 1 mul, 2 relu, 3 copy, 4 dropoutKeep.
    function checkElementwise(uint8 op, uint32[] calldata inputs, uint256 num, uint256 den, uint32 claimed)
        external
        pure
        returns (bool)
    {
        // INVARIANT: a known op (a plain enum conversion would panic without naming the value).
        if (op > uint8(type(LibTolerance.Op).max)) revert LibTolerance.ToleranceUnknownOp(op);
        return LibTolerance.checkElementwise(LibTolerance.Op(op), inputs, num, den, claimed);
    }

    /// @notice LibTolerance.checkDropout for an explicit keep bit.
    function checkDropout(bool keep, uint256 num, uint256 den, uint32 x, uint32 out) external pure returns (bool) {
        return LibTolerance.checkDropout(keep, num, den, x, out);
    }

    /// @notice The whole dropout one-step for element e: its keep bit from y, then the dropout rule.
    function dropoutElement(bytes32 y, uint256 num, uint256 den, uint256 e, uint32 x, uint32 out)
        external
        view
        returns (bool keep, bool ok)
    {
        keep = LibPrg.maskBit(y, num, den, e);
        ok = LibTolerance.checkDropout(keep, num, den, x, out);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Transactions for the gas benchmark
    // ---------------------------------------------------------------------------------------------------------------

    /// @notice LibMerkle.verify in a transaction; reverts unless the proof verifies.
    function merkleVerifyTx(
        uint8 kind,
        uint256 len,
        bytes32 root,
        uint256 index,
        bytes calldata leafData,
        bytes32[] calldata siblings
    ) external {
        bool ok = LibMerkle.verify(kind, len, root, index, leafData, siblings);
        lastOk = ok;
        if (!ok) revert HarnessCheckFailed();
    }

    /// @notice LibPrg.maskBit in a transaction; reverts unless the bit equals `expected`.
    function maskBitTx(bytes32 y, uint256 num, uint256 den, uint256 e, bool expected) external {
        bool ok = LibPrg.maskBit(y, num, den, e) == expected;
        lastOk = ok;
        if (!ok) revert HarnessCheckFailed();
    }

    /// @notice LibTolerance.checkDotPacked in a transaction; reverts unless the claimed value is accepted.
    function checkDotPackedTx(bytes calldata a, bytes calldata b, uint32 claimed) external {
        bool ok = LibTolerance.checkDotPacked(a, b, claimed);
        lastOk = ok;
        if (!ok) revert HarnessCheckFailed();
    }

    /// @notice Execution gas of a call to this contract (for the benchmark's breakdown, used with eth_call): the
    /// gas the inner call consumed, without the transaction's intrinsic and calldata costs.
    function execGas(bytes calldata data) external returns (bool success, uint256 gasUsed) {
        uint256 before = gasleft();
        (success,) = address(this).call(data);
        gasUsed = before - gasleft();
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Graph template (SPEC §7)
    // ---------------------------------------------------------------------------------------------------------------

    /// @notice LibTemplate.open: the descriptor of node `nodeId`, opened against the template root and decoded.
    function templateOpen(bytes32 templateRoot, uint256 nodeCount, uint256 nodeId, bytes calldata descriptor, bytes32[] calldata proof)
        external
        view
        returns (LibTemplate.Node memory)
    {
        return LibTemplate.open(templateRoot, nodeCount, nodeId, descriptor, proof);
    }
}
