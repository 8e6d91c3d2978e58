// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {TestBase} from "./TestBase.sol";
import {LibMerkle} from "../lib/LibMerkle.sol";
import {LibHarness} from "../harness/LibHarness.sol";

/// @notice A straightforward SPEC §2 tree built with `sha256(abi.encodePacked(..))`: the reference the hand-rolled
/// hashing of LibMerkle is checked against.
contract ReferenceTree {
    bytes32[][] internal levels; // levels[t] has 2^(d − t) nodes, padding included
    uint256 public n;
    uint256 public depth;

    constructor(bytes32 seed, uint256 numLeaves) {
        n = numLeaves;
        uint256 d;
        while ((1 << d) < numLeaves) ++d;
        depth = d;
        bytes32[] memory cur = new bytes32[](1 << d);
        for (uint256 i; i < numLeaves; ++i) cur[i] = sha256(abi.encodePacked(bytes1(0x00), leafData(seed, i)));
        levels.push(cur);
        for (uint256 t; t < d; ++t) {
            bytes32[] memory next = new bytes32[](cur.length / 2);
            for (uint256 j; j < next.length; ++j) next[j] = sha256(abi.encodePacked(bytes1(0x01), cur[2 * j], cur[2 * j + 1]));
            levels.push(next);
            cur = next;
        }
    }

    function leafData(bytes32 seed, uint256 i) public pure returns (bytes memory) {
        // variable-length leaves: 1 .. 64 bytes
        bytes memory full = abi.encodePacked(keccak256(abi.encode(seed, i)), keccak256(abi.encode(i, seed)));
        uint256 len = 1 + uint256(keccak256(abi.encode(seed, i, "len"))) % 64;
        bytes memory out = new bytes(len);
        for (uint256 k; k < len; ++k) out[k] = full[k];
        return out;
    }

    function top() public view returns (bytes32) {
        return levels[depth][0];
    }

    function root(uint8 kind) external view returns (bytes32) {
        return sha256(abi.encodePacked(bytes1(0x02), kind, uint64(n), top()));
    }

    function proof(uint256 index) external view returns (bytes32[] memory siblings) {
        siblings = new bytes32[](depth);
        for (uint256 t; t < depth; ++t) siblings[t] = levels[t][(index >> t) ^ 1];
    }

    function rangeProof(uint256 start, uint256 end) external view returns (bytes32[] memory siblings) {
        bytes32[] memory buf = new bytes32[](2 * depth);
        uint256 k;
        uint256 lo = start;
        uint256 hi = end - 1;
        for (uint256 t; t < depth; ++t) {
            if (lo & 1 == 1) buf[k++] = levels[t][lo - 1];
            if (hi & 1 == 0) buf[k++] = levels[t][hi + 1];
            lo >>= 1;
            hi >>= 1;
        }
        siblings = new bytes32[](k);
        for (uint256 i; i < k; ++i) siblings[i] = buf[i];
    }
}

/// @title LibMerkleTest
/// @notice Fuzz tests of LibMerkle against the reference tree: index binding, sibling tampering, multiproofs,
/// structural errors.
contract LibMerkleTest is TestBase {
    uint8 internal constant KIND = LibMerkle.KIND_GRAPH;
    LibHarness internal harness = new LibHarness();

    function _tree(bytes32 seed, uint256 nRaw) internal returns (ReferenceTree t, uint256 n) {
        n = bound(nRaw, 1, 40);
        t = new ReferenceTree(seed, n);
    }

    /// @dev Whether leaf i's data and proof verify at position `at` of t.
    function _verifyProofOf(ReferenceTree t, bytes32 seed, uint256 i, uint256 at) internal view returns (bool) {
        bytes memory data = t.leafData(seed, i);
        bytes32[] memory sib = t.proof(i);
        return LibMerkle.verify(KIND, t.n(), t.root(KIND), at, data, sib);
    }

    function testFuzz_hashes_matchAbiEncodePacked(bytes32 l, bytes32 r, bytes memory data) public view {
        assertEq(LibMerkle.innerHash(l, r), sha256(abi.encodePacked(bytes1(0x01), l, r)), "innerHash");
        assertEq(LibMerkle.leafHash(data), sha256(abi.encodePacked(bytes1(0x00), data)), "leafHash");
        assertEq(harness.leafHashCalldata(data), sha256(abi.encodePacked(bytes1(0x00), data)), "leafHashCalldata");
        assertEq(harness.leafHashWord(l), sha256(abi.encodePacked(bytes1(0x00), l)), "leafHashWord");
    }

    function testFuzz_depthOf_isCeilLog2(uint64 nRaw) public pure {
        uint256 n = bound(nRaw, 1, type(uint64).max);
        uint256 d = LibMerkle.depthOf(n);
        assertTrue(d == 0 ? n == 1 : ((uint256(1) << d) >= n && (uint256(1) << (d - 1)) < n), "2^(d-1) < n <= 2^d");
    }

    function test_depthOf_smallAndPowerEdges() public pure {
        for (uint256 n = 1; n <= 600; ++n) {
            uint256 d;
            while ((uint256(1) << d) < n) ++d;
            assertEq(LibMerkle.depthOf(n), d, "ceil(log2 n), small n");
        }
        for (uint256 j = 1; j < 64; ++j) {
            assertEq(LibMerkle.depthOf(uint256(1) << j), j, "2^j");
            assertEq(LibMerkle.depthOf((uint256(1) << j) + 1), j + 1, "2^j + 1");
        }
    }

    function testFuzz_verify_proofAtItsIndex_succeeds(bytes32 seed, uint256 nRaw, uint256 iRaw) public {
        (ReferenceTree t, uint256 n) = _tree(seed, nRaw);
        uint256 i = iRaw % n;
        assertTrue(_verifyProofOf(t, seed, i, i), "valid proof");
        assertTrue(harness.verifyCalldata(KIND, n, t.root(KIND), i, t.leafData(seed, i), t.proof(i)), "calldata variant");
        bytes32 leaf = sha256(abi.encodePacked(bytes1(0x00), t.leafData(seed, i)));
        assertEq(LibMerkle.computeRoot(KIND, n, i, leaf, t.proof(i)), t.root(KIND), "root");
    }

    function testFuzz_verify_proofAtOtherIndex_fails(bytes32 seed, uint256 nRaw, uint256 iRaw, uint256 jRaw) public {
        (ReferenceTree t, uint256 n) = _tree(seed, nRaw);
        if (n == 1) n = 2; // a single-leaf tree has no other index: use a 2-leaf one
        if (n == 2) t = new ReferenceTree(seed, 2);
        uint256 i = iRaw % n;
        uint256 j = (i + 1 + jRaw % (n - 1)) % n; // any j != i below n
        assertFalse(_verifyProofOf(t, seed, i, j), "proof of i at j");
    }

    function testFuzz_verify_anySiblingBitFlip_fails(bytes32 seed, uint256 nRaw, uint256 iRaw, uint256 bitRaw) public {
        (ReferenceTree t, uint256 n) = _tree(seed, nRaw);
        if (n == 1) {
            n = 3;
            t = new ReferenceTree(seed, 3);
        }
        uint256 i = iRaw % n;
        bytes32[] memory sib = t.proof(i);
        bitRaw %= 256 * sib.length;
        sib[bitRaw / 256] ^= bytes32(uint256(1) << (bitRaw % 256));
        bytes memory data = t.leafData(seed, i);
        bytes32 root = t.root(KIND);
        assertFalse(LibMerkle.verify(KIND, n, root, i, data, sib), "tampered sibling");
        assertFalse(harness.verifyCalldata(KIND, n, root, i, data, sib), "tampered sibling (calldata variant)");
    }

    function testFuzz_verify_otherKindOrLength_fails(bytes32 seed, uint256 nRaw, uint256 iRaw) public {
        (ReferenceTree t, uint256 n) = _tree(seed, nRaw);
        uint256 i = iRaw % n;
        bytes32 root = t.root(KIND);
        assertFalse(LibMerkle.verify(LibMerkle.KIND_JOURNAL, n, root, i, t.leafData(seed, i), t.proof(i)), "kind");
        // a length with the same depth gives the same path but another root
        uint256 other = n + 1;
        if (LibMerkle.depthOf(other) == t.depth()) {
            assertFalse(LibMerkle.verify(KIND, other, root, i, t.leafData(seed, i), t.proof(i)), "len");
        }
    }

    function testFuzz_verifyRange_succeeds_andTamperFails(bytes32 seed, uint256 nRaw, uint256 aRaw, uint256 bRaw) public {
        (ReferenceTree t, uint256 n) = _tree(seed, nRaw);
        uint256 a = aRaw % n;
        uint256 b = a + 1 + bRaw % (n - a);
        bytes[] memory leaves = new bytes[](b - a);
        for (uint256 k; k < leaves.length; ++k) leaves[k] = t.leafData(seed, a + k);
        bytes32[] memory sib = t.rangeProof(a, b);
        bytes32 root = t.root(KIND);
        assertTrue(LibMerkle.verifyRange(KIND, n, root, a, leaves, sib), "range proof");
        if (sib.length > 0) {
            sib[uint256(seed) % sib.length] ^= bytes32(uint256(1));
            assertFalse(LibMerkle.verifyRange(KIND, n, root, a, leaves, sib), "tampered range proof");
        } else {
            leaves[0] = abi.encodePacked(leaves[0], bytes1(0x00));
            assertFalse(LibMerkle.verifyRange(KIND, n, root, a, leaves, sib), "tampered leaf");
        }
    }

    function testFuzz_verifyRange_shiftedStart_fails(bytes32 seed, uint256 nRaw, uint256 aRaw) public {
        (ReferenceTree t, uint256 n) = _tree(seed, nRaw);
        if (n < 3) {
            n = 3;
            t = new ReferenceTree(seed, 3);
        }
        uint256 a = aRaw % (n - 1);
        bytes[] memory leaves = new bytes[](1);
        leaves[0] = t.leafData(seed, a);
        bytes32[] memory sib = t.rangeProof(a, a + 1);
        // the same single-leaf multiproof claimed one position to the right: wrong shape or wrong root
        try harness.verifyRange(KIND, n, t.root(KIND), a + 1, leaves, sib) returns (bool ok) {
            assertFalse(ok, "shifted range");
        } catch (bytes memory reason) {
            assertEq(uint256(uint32(bytes4(reason))), uint256(uint32(LibMerkle.MerkleProofLength.selector)), "only a shape error");
        }
    }

    function test_verify_indexOutOfRange_reverts() public {
        bytes32[] memory sib = new bytes32[](3);
        vm.expectRevert(abi.encodeWithSelector(LibMerkle.MerkleIndexOutOfRange.selector, 5, 5));
        harness.verify(KIND, 5, bytes32(0), 5, hex"01", sib);
    }

    function test_verify_wrongProofLength_reverts() public {
        bytes32[] memory sib = new bytes32[](2);
        vm.expectRevert(abi.encodeWithSelector(LibMerkle.MerkleProofLength.selector, 2, 3));
        harness.verify(KIND, 5, bytes32(0), 0, hex"01", sib);
    }

    function test_verify_emptyTree_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(LibMerkle.MerkleEmptyTree.selector, KIND));
        harness.verify(KIND, 0, bytes32(0), 0, hex"01", new bytes32[](0));
    }

    function test_verifyElement_shortChunk_reverts() public {
        // 600 elements: chunks of 1024, 1024 and 352 bytes
        vm.expectRevert(abi.encodeWithSelector(LibMerkle.ChunkLength.selector, 2, 1024, 352));
        harness.verifyElement(bytes32(0), 600, 599, new bytes(1024), new bytes32[](2));
        vm.expectRevert(abi.encodeWithSelector(LibMerkle.ChunkLength.selector, 0, 1020, 1024));
        harness.verifyElement(bytes32(0), 600, 3, new bytes(1020), new bytes32[](2));
    }

    function test_verifyElement_elementOutOfRange_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(LibMerkle.TensorElementOutOfRange.selector, 600, 600));
        harness.verifyElement(bytes32(0), 600, 600, new bytes(352), new bytes32[](2));
    }

    function testFuzz_chunkByteLength_partitionsTheTensor(uint32 lenRaw) public pure {
        uint256 len = bound(lenRaw, 1, 1 << 20);
        uint256 nc = LibMerkle.numLeaves(LibMerkle.KIND_TENSOR, len);
        assertEq(LibMerkle.chunkByteLength(len, nc - 1) + 1024 * (nc - 1), 4 * len, "chunks cover 4*len bytes");
    }

    function testFuzz_tensorOpening_singleChunk(bytes32 seed, uint16 lenRaw, uint16 eRaw) public view {
        uint256 len = bound(lenRaw, 1, 256);
        uint256 e = eRaw % len;
        bytes memory chunk = new bytes(4 * len);
        for (uint256 k; k < chunk.length; ++k) chunk[k] = seed[k % 32];
        bytes32 top = sha256(abi.encodePacked(bytes1(0x00), chunk));
        bytes32 root = sha256(abi.encodePacked(bytes1(0x02), LibMerkle.KIND_TENSOR, uint64(len), top));
        assertTrue(LibMerkle.verifyElement(root, len, e, chunk, new bytes32[](0)), "single-chunk opening");
    }

    // ------------------------------------------------------------------------ tensor openings from calldata

    /// @dev A tensor of `len` elements (<= 1024: at most 4 chunks) with chunk bytes from `seed`, its root, and the
    /// levels of its tree (levels[t][j], padding included).
    function _tensor(bytes32 seed, uint256 len)
        internal
        pure
        returns (bytes[] memory chunks, bytes32 root, bytes32[][] memory levels)
    {
        uint256 nc = (len + 255) / 256;
        uint256 d = LibMerkle.depthOf(nc);
        chunks = new bytes[](nc);
        levels = new bytes32[][](d + 1);
        levels[0] = new bytes32[](1 << d);
        for (uint256 c; c < nc; ++c) {
            uint256 bytes_ = len - 256 * c >= 256 ? 1024 : 4 * (len - 256 * c);
            bytes memory b = new bytes(bytes_);
            for (uint256 k; k < bytes_; ++k) b[k] = keccak256(abi.encode(seed, c, k / 32))[k % 32];
            chunks[c] = b;
            levels[0][c] = sha256(abi.encodePacked(bytes1(0x00), b));
        }
        for (uint256 t; t < d; ++t) {
            levels[t + 1] = new bytes32[](levels[t].length / 2);
            for (uint256 j; j < levels[t + 1].length; ++j) {
                levels[t + 1][j] = sha256(abi.encodePacked(bytes1(0x01), levels[t][2 * j], levels[t][2 * j + 1]));
            }
        }
        root = sha256(abi.encodePacked(bytes1(0x02), LibMerkle.KIND_TENSOR, uint64(len), levels[d][0]));
    }

    /// @dev The SPEC §2.2 multiproof of chunks [c0, c1] (the single proof when c0 = c1).
    function _chunkProof(bytes32[][] memory levels, uint256 c0, uint256 c1) internal pure returns (bytes32[] memory s) {
        uint256 d = levels.length - 1;
        bytes32[] memory buf = new bytes32[](2 * d);
        uint256 k;
        for (uint256 t; t < d; ++t) {
            if (c0 & 1 == 1) buf[k++] = levels[t][c0 - 1];
            if (c1 & 1 == 0) buf[k++] = levels[t][c1 + 1];
            c0 >>= 1;
            c1 >>= 1;
        }
        s = new bytes32[](k);
        for (uint256 i; i < k; ++i) s[i] = buf[i];
    }

    /// @dev The calldata openings (what OneStepVerifier uses) agree with the memory ones on real tensors of 1..4
    /// chunks, for ranges inside one chunk or across several: both accept the true opening and read the same bits;
    /// after one flipped bit (in a chunk or a sibling) both refuse.
    function testFuzz_tensorOpening_calldataEqualsMemory(bytes32 seed, uint16 lenRaw, uint16 aRaw, uint16 bRaw, uint16 flip)
        public
        view
    {
        uint256 len = bound(lenRaw, 1, 1024);
        uint256 start = aRaw % len;
        uint256 end = start + 1 + bRaw % (len - start);
        (bytes[] memory all, bytes32 root, bytes32[][] memory levels) = _tensor(seed, len);
        uint256 c0 = start / 256;
        uint256 c1 = (end - 1) / 256;
        bytes[] memory chunks = new bytes[](c1 - c0 + 1);
        for (uint256 c = c0; c <= c1; ++c) chunks[c - c0] = all[c];
        bytes32[] memory sib = _chunkProof(levels, c0, c1);
        assertTrue(harness.verifyElementRange(root, len, start, end, chunks, sib), "memory range");
        assertTrue(harness.verifyElementRangeCalldata(root, len, start, end, chunks, sib), "calldata range");
        _assertElementOpenings(root, len, start, all[c0], _chunkProof(levels, c0, c0));
        // one flipped bit: in a sibling when there is one and `flip` is odd, else in the first chunk
        if (sib.length > 0 && flip % 2 == 1) sib[flip % sib.length] ^= bytes32(uint256(1) << (flip % 256));
        else chunks[0][flip % chunks[0].length] ^= bytes1(uint8(1) << uint8(flip % 8));
        assertFalse(harness.verifyElementRange(root, len, start, end, chunks, sib), "memory range, tampered");
        assertFalse(harness.verifyElementRangeCalldata(root, len, start, end, chunks, sib), "calldata range, tampered");
    }

    function _assertElementOpenings(bytes32 root, uint256 len, uint256 e, bytes memory chunk, bytes32[] memory sib)
        internal
        view
    {
        (bool okM, uint32 bitsM) = harness.verifyElement(root, len, e, chunk, sib);
        (bool okC, uint32 bitsC) = harness.verifyElementCalldata(root, len, e, chunk, sib);
        assertTrue(okM && okC, "element");
        assertEq(bitsC, bitsM, "same bits");
    }

    /// @dev The calldata range opening reverts on the same structural defects as the memory one.
    function test_verifyElementRangeCalldata_structuralErrors_revert() public {
        bytes[] memory two = new bytes[](2);
        two[0] = new bytes(1024);
        two[1] = new bytes(352);
        vm.expectRevert(abi.encodeWithSelector(LibMerkle.TensorRangeInvalid.selector, 10, 10, 600));
        harness.verifyElementRangeCalldata(bytes32(0), 600, 10, 10, two, new bytes32[](1));
        vm.expectRevert(abi.encodeWithSelector(LibMerkle.TensorChunkCount.selector, 2, 1));
        harness.verifyElementRangeCalldata(bytes32(0), 600, 10, 20, two, new bytes32[](1));
        two[1] = new bytes(1024);
        vm.expectRevert(abi.encodeWithSelector(LibMerkle.ChunkLength.selector, 2, 1024, 352));
        harness.verifyElementRangeCalldata(bytes32(0), 600, 500, 600, two, new bytes32[](1));
    }
}
