// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title LibMerkle
/// @notice The index-bound, length-bound SHA-256 Merkle tree of docs/SPEC.md §2, and float32 tensor openings (§1, §2.3).
/// @dev
///   leafHash(d)      = sha256(0x00 || d)
///   innerHash(l, r)  = sha256(0x01 || l || r)                     65-byte preimage
///   padding leaf     = bytes32(0)
///   root             = sha256(0x02 || u8(kind) || u64be(len) || top)   42-byte preimage
///   depth d          = ceil(log2(numLeaves)),  numLeaves = len, or ceil(len / 256) for tensors (kind 0x10)
///
/// The verifier recomputes `d` from `len`, so the path bits *are* the index, and an index >= numLeaves (a padding
/// position) is refused before any hashing. Structural defects (bad index, proof of the wrong length, bad chunk size)
/// revert with a custom error naming the defect; a proof of the right shape whose hashes do not lead to the root
/// makes the `verify*` functions return false.
///
/// Gas (measured): hashes go through hand-rolled staticcalls to the SHA-256 precompile (0x02) with the preimage just
/// past the free-memory pointer and the digest in scratch space; `sha256(abi.encodePacked(..))` allocates fresh
/// memory per call and costs about twice as much (numbers at `innerHash`, `leafHash` and `_fold`).
library LibMerkle {
    /// @notice A tree needs at least one leaf (`len` = 0).
    error MerkleEmptyTree(uint8 kind);
    /// @notice `len` does not fit the u64 field of the root.
    error MerkleLengthTooLarge(uint256 len);
    /// @notice Leaf `index` is not below the tree's `numLeaves` (padding positions cannot be opened).
    error MerkleIndexOutOfRange(uint256 index, uint256 numLeaves);
    /// @notice The proof holds `got` siblings; the tree's shape requires `want`.
    error MerkleProofLength(uint256 got, uint256 want);
    /// @notice The leaf range [start, end) is empty or leaves the tree of `numLeaves` leaves.
    error MerkleRangeInvalid(uint256 start, uint256 end, uint256 numLeaves);
    /// @notice Tensor element `element` is not below the tensor's element count `len`.
    error TensorElementOutOfRange(uint256 element, uint256 len);
    /// @notice The element range [start, end) is empty or leaves the tensor of `len` elements.
    error TensorRangeInvalid(uint256 start, uint256 end, uint256 len);
    /// @notice A range opening carries `got` chunks where the range covers `want`.
    error TensorChunkCount(uint256 got, uint256 want);
    /// @notice Chunk `chunk` of a tensor is `got` bytes long; its length in the tensor is `want`.
    error ChunkLength(uint256 chunk, uint256 got, uint256 want);
    /// @notice The SHA-256 precompile did not answer (only possible when the call ran out of gas).
    error Sha256Failed();

    /// @notice Tree kinds (SPEC §2), bound into every root.
    uint8 internal constant KIND_TENSOR = 0x10;
    uint8 internal constant KIND_GRAPH = 0x11;
    uint8 internal constant KIND_JOURNAL = 0x12;
    uint8 internal constant KIND_ROLLUP = 0x13;
    uint8 internal constant KIND_DATASET = 0x14;
    uint8 internal constant KIND_STATE = 0x15;

    /// @notice float32 elements per tensor chunk (SPEC §1) and the byte length of a full chunk.
    uint256 internal constant CHUNK_ELEMS = 256;
    uint256 internal constant CHUNK_BYTES = 1024;

    // ---------------------------------------------------------------------------------------------------------------
    // Hashes
    // ---------------------------------------------------------------------------------------------------------------

    /// @notice sha256(0x00 || data).
    /// @dev Measured on 64 bytes: 376 gas this way, 794 with `sha256(abi.encodePacked(bytes1(0x00), data))`.
    function leafHash(bytes memory data) internal view returns (bytes32 h) {
        bool ok;
        uint256 n = data.length;
        assembly ("memory-safe") {
            // Builds 0x00 || data in free memory without moving the free-memory pointer (temporary use).
            let p := mload(0x40)
            mstore8(p, 0)
            mcopy(add(p, 1), add(data, 0x20), n)
            ok := staticcall(gas(), 0x02, p, add(n, 1), 0x00, 0x20)
            h := mload(0x00)
        }
        if (!ok) revert Sha256Failed();
    }

    /// @notice sha256(0x00 || data) for data in calldata.
    function leafHashCalldata(bytes calldata data) internal view returns (bytes32 h) {
        bool ok;
        assembly ("memory-safe") {
            let p := mload(0x40)
            mstore8(p, 0)
            calldatacopy(add(p, 1), data.offset, data.length)
            ok := staticcall(gas(), 0x02, p, add(data.length, 1), 0x00, 0x20)
            h := mload(0x00)
        }
        if (!ok) revert Sha256Failed();
    }

    /// @notice sha256(0x00 || w): the leaf hash of one 32-byte word (a tensor root in the graph tree, a parameter root
    /// in a state tree), without building the 32-byte string.
    function leafHashWord(bytes32 w) internal view returns (bytes32 h) {
        bool ok;
        assembly ("memory-safe") {
            // 0x00 || w in free memory (temporary use, the free-memory pointer is not moved)
            let p := mload(0x40)
            mstore(add(p, 0x01), w)
            mstore8(p, 0)
            ok := staticcall(gas(), 0x02, p, 0x21, 0x00, 0x20)
            h := mload(0x00)
        }
        if (!ok) revert Sha256Failed();
    }

    /// @notice sha256(0x01 || l || r).
    /// @dev Hand-rolled: the 65-byte preimage is written just past the free-memory pointer (never moved) and the
    /// digest lands in scratch space, so no memory is allocated per call. Measured over 20 levels: 9.6k gas as a
    /// Solidity loop calling this, 17.0k calling `sha256(abi.encodePacked(bytes1(0x01), l, r))` instead.
    function innerHash(bytes32 l, bytes32 r) internal view returns (bytes32 h) {
        bool ok;
        assembly ("memory-safe") {
            let p := mload(0x40)
            mstore(add(p, 0x01), l)
            mstore(add(p, 0x21), r)
            mstore8(p, 0x01)
            ok := staticcall(gas(), 0x02, p, 0x41, 0x00, 0x20)
            h := mload(0x00)
        }
        if (!ok) revert Sha256Failed();
    }

    /// @notice sha256(0x02 || u8(kind) || u64be(len) || top): the root that binds kind and length.
    /// @dev Hand-rolled like `innerHash`: the 42-byte preimage is the header word 0x02 || kind || u64be(len) (bytes
    /// 0..9) overlapped by `top` at bytes 10..41.
    function rootHash(uint8 kind, uint256 len, bytes32 top) internal view returns (bytes32 h) {
        // INVARIANT: len fits the u64 field; a wider value would spill into the header's other fields.
        if (len > type(uint64).max) revert MerkleLengthTooLarge(len);
        bool ok;
        assembly ("memory-safe") {
            let p := mload(0x40)
            mstore(p, or(or(shl(248, 0x02), shl(240, and(kind, 0xff))), shl(176, len)))
            mstore(add(p, 10), top)
            ok := staticcall(gas(), 0x02, p, 42, 0x00, 0x20)
            h := mload(0x00)
        }
        if (!ok) revert Sha256Failed();
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Shape
    // ---------------------------------------------------------------------------------------------------------------

    /// @notice Number of leaves of a tree of `kind` with length field `len` (chunks for tensors).
    function numLeaves(uint8 kind, uint256 len) internal pure returns (uint256) {
        // INVARIANT: a tree has at least one leaf and its length fits u64.
        if (len == 0) revert MerkleEmptyTree(kind);
        if (len > type(uint64).max) revert MerkleLengthTooLarge(len);
        // len < 2^64, so len + 255 cannot overflow.
        return kind == KIND_TENSOR ? (len + (CHUNK_ELEMS - 1)) / CHUNK_ELEMS : len;
    }

    /// @notice ceil(log2(n)) for 1 <= n < 2^64 (0 for n = 1): the depth of a tree of n leaves.
    function depthOf(uint256 n) internal pure returns (uint256 d) {
        // bit length of n - 1, by binary search (n - 1 < 2^64).
        uint256 x = n - 1;
        // Assembly, measured: ~70 gas instead of ~290 with six Solidity `if` blocks (called once per opening).
        // Safe: pure arithmetic on stack values. Each step moves x down by b ∈ {0, 2^j} bits when x >= 2^(2^j) and
        // adds b to d; at the end x ∈ {0, 1} is the last bit.
        assembly ("memory-safe") {
            let b := shl(5, gt(x, 0xffffffff))
            x := shr(b, x)
            d := b
            b := shl(4, gt(x, 0xffff))
            x := shr(b, x)
            d := or(d, b)
            b := shl(3, gt(x, 0xff))
            x := shr(b, x)
            d := or(d, b)
            b := shl(2, gt(x, 0xf))
            x := shr(b, x)
            d := or(d, b)
            b := shl(1, gt(x, 0x3))
            x := shr(b, x)
            d := or(d, b)
            b := gt(x, 0x1)
            x := shr(b, x)
            d := add(or(d, b), x)
        }
    }

    /// @notice Byte length of chunk `c` of a tensor with `len` elements: 1024, or 4·(len − 256c) for a short last one.
    function chunkByteLength(uint256 len, uint256 c) internal pure returns (uint256) {
        uint256 nc = numLeaves(KIND_TENSOR, len);
        // INVARIANT: the chunk exists.
        if (c >= nc) revert MerkleIndexOutOfRange(c, nc);
        uint256 rest = len - c * CHUNK_ELEMS;
        return rest >= CHUNK_ELEMS ? CHUNK_BYTES : 4 * rest;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Single proofs (SPEC §2.1)
    // ---------------------------------------------------------------------------------------------------------------

    /// @notice The root that a leaf hash and its path lead to, for a tree of `kind` and `len`.
    /// @dev Reverts on an index >= numLeaves and on a proof whose length is not the tree's depth.
    function computeRoot(uint8 kind, uint256 len, uint256 index, bytes32 leaf, bytes32[] memory siblings)
        internal
        view
        returns (bytes32)
    {
        uint256 n = numLeaves(kind, len);
        // INVARIANT: padding positions cannot be opened; the index is checked before any hashing.
        if (index >= n) revert MerkleIndexOutOfRange(index, n);
        uint256 d = depthOf(n);
        // INVARIANT: the proof has exactly one sibling per level (this also bounds the loop below by 64).
        if (siblings.length != d) revert MerkleProofLength(siblings.length, d);
        return rootHash(kind, len, _fold(leaf, index, siblings));
    }

    /// @dev The path fold of SPEC §2.1: bit t of `index` puts the running hash left (0) or right (1) of sibling t.
    /// In assembly: one 65-byte preimage buffer just past the free-memory pointer (0x01 written once), the digest in
    /// scratch space. Measured, 20 levels: 9.5k gas as a Solidity loop over `innerHash`, 17.0k with
    /// `sha256(abi.encodePacked(..))` per level (fresh memory each time), 7.8k this way with a `switch` on the index
    /// bit (about 5.2k of it are the 20 precompile calls themselves); placing the two words by the bit instead of
    /// branching saves another ~9 gas per level.
    function _fold(bytes32 leaf, uint256 index, bytes32[] memory siblings) private view returns (bytes32 h) {
        bool ok = true;
        assembly ("memory-safe") {
            h := leaf
            let p := mload(0x40)
            mstore8(p, 0x01)
            let l := add(p, 0x01) // the left child's word; the right one's follows
            let s := add(siblings, 0x20)
            let end := add(s, shl(5, mload(siblings))) // mload(siblings) == depth, checked by the caller (<= 64)
            for {} lt(s, end) { s := add(s, 0x20) } {
                // the next bit of the index: 0 puts the running hash left of the sibling, 1 right (no branch)
                let r := shl(5, and(index, 1))
                mstore(add(l, r), h)
                mstore(sub(add(l, 0x20), r), mload(s))
                index := shr(1, index)
                ok := and(ok, staticcall(gas(), 0x02, p, 0x41, 0x00, 0x20))
                h := mload(0x00)
            }
        }
        if (!ok) revert Sha256Failed();
    }

    /// @notice Verifies leaf *data* at `index` against `(kind, len, root)` (SPEC §2.1).
    /// @dev For tensors (kind 0x10) `index` is the chunk and the chunk's byte length is checked too.
    function verify(uint8 kind, uint256 len, bytes32 root, uint256 index, bytes memory leafData, bytes32[] memory siblings)
        internal
        view
        returns (bool)
    {
        if (kind == KIND_TENSOR) _checkChunk(len, index, leafData.length);
        return computeRoot(kind, len, index, leafHash(leafData), siblings) == root;
    }

    /// @notice As `verify`, for leaf data and a proof in calldata (hashed in place; no decoded copy of the leaf).
    function verifyCalldata(
        uint8 kind,
        uint256 len,
        bytes32 root,
        uint256 index,
        bytes calldata leafData,
        bytes32[] calldata siblings
    ) internal view returns (bool) {
        if (kind == KIND_TENSOR) _checkChunk(len, index, leafData.length);
        return computeRoot(kind, len, index, leafHashCalldata(leafData), siblings) == root;
    }

    /// @notice Verifies a precomputed leaf hash at `index` against `(kind, len, root)`.
    function verifyLeafHash(uint8 kind, uint256 len, bytes32 root, uint256 index, bytes32 leaf, bytes32[] memory siblings)
        internal
        view
        returns (bool)
    {
        return computeRoot(kind, len, index, leaf, siblings) == root;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Contiguous-range multiproofs (SPEC §2.2)
    // ---------------------------------------------------------------------------------------------------------------

    /// @notice Number of siblings of the multiproof of leaves [start, end) in a tree of depth `d`.
    function rangeProofLength(uint256 start, uint256 end, uint256 d) internal pure returns (uint256 count) {
        uint256 lo = start;
        uint256 hi = end - 1;
        for (uint256 t; t < d; ++t) {
            if (lo & 1 == 1) ++count;
            if (hi & 1 == 0) ++count;
            lo >>= 1;
            hi >>= 1;
        }
    }

    /// @notice The root that leaf hashes [start, start + leaves.length) and their multiproof lead to.
    /// @dev Siblings are consumed level by level from the bottom: the left sibling `lo - 1` when `lo` is odd, then the
    /// right sibling `hi + 1` when `hi` is even; all of them must be used. `leaves` is overwritten (in place).
    function computeRangeRoot(uint8 kind, uint256 len, uint256 start, bytes32[] memory leaves, bytes32[] memory siblings)
        internal
        view
        returns (bytes32)
    {
        uint256 n = numLeaves(kind, len);
        uint256 end = start + leaves.length;
        // INVARIANT: a non-empty range inside the tree (this bounds the loops below by the tree's size).
        if (leaves.length == 0 || end > n) revert MerkleRangeInvalid(start, end, n);
        uint256 d = depthOf(n);
        uint256 want = rangeProofLength(start, end, d);
        // INVARIANT: the multiproof has exactly the siblings the range's shape needs, in SPEC §2.2 order.
        if (siblings.length != want) revert MerkleProofLength(siblings.length, want);

        uint256 lo = start;
        uint256 hi = end - 1;
        uint256 k;
        for (uint256 t; t < d; ++t) {
            bytes32 left;
            bytes32 right;
            if (lo & 1 == 1) left = siblings[k++];
            if (hi & 1 == 0) right = siblings[k++];
            _foldLevel(leaves, lo, hi, left, right);
            lo >>= 1;
            hi >>= 1;
        }
        return rootHash(kind, len, leaves[0]);
    }

    /// @dev One level of a multiproof: `nodes[i]` holds node lo + i of the level (i <= hi − lo); afterwards
    /// `nodes[i]` holds parent (lo >> 1) + i. A child outside [lo, hi] is `left` (node lo − 1) or `right` (hi + 1).
    /// In place: parent j is written at j − plo only after children 2j − lo, 2j + 1 − lo (both >= j − plo) are read.
    function _foldLevel(bytes32[] memory nodes, uint256 lo, uint256 hi, bytes32 left, bytes32 right) private view {
        uint256 plo = lo >> 1;
        uint256 phi = hi >> 1;
        for (uint256 j = plo; j <= phi; ++j) {
            bytes32 a = 2 * j < lo ? left : nodes[2 * j - lo];
            bytes32 b = 2 * j + 1 > hi ? right : nodes[2 * j + 1 - lo];
            nodes[j - plo] = innerHash(a, b);
        }
    }

    /// @notice Verifies leaf data [start, start + leaves.length) with a multiproof against `(kind, len, root)`.
    /// @dev For tensors (kind 0x10) the leaves are chunks and every chunk's byte length is checked.
    function verifyRange(uint8 kind, uint256 len, bytes32 root, uint256 start, bytes[] memory leaves, bytes32[] memory siblings)
        internal
        view
        returns (bool)
    {
        uint256 n = numLeaves(kind, len);
        // INVARIANT: a non-empty range inside the tree, checked before any hashing (bounds the loop below).
        if (leaves.length == 0 || start + leaves.length > n) revert MerkleRangeInvalid(start, start + leaves.length, n);
        bytes32[] memory hashes = new bytes32[](leaves.length);
        for (uint256 i; i < leaves.length; ++i) {
            if (kind == KIND_TENSOR) _checkChunk(len, start + i, leaves[i].length);
            hashes[i] = leafHash(leaves[i]);
        }
        return computeRangeRoot(kind, len, start, hashes, siblings) == root;
    }

    /// @notice Verifies leaf hashes [start, start + leaves.length) with a multiproof against `(kind, len, root)`.
    /// @dev `leaves` is overwritten.
    function verifyRangeLeafHashes(
        uint8 kind,
        uint256 len,
        bytes32 root,
        uint256 start,
        bytes32[] memory leaves,
        bytes32[] memory siblings
    ) internal view returns (bool) {
        return computeRangeRoot(kind, len, start, leaves, siblings) == root;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Tensor openings (SPEC §1, §2.3)
    // ---------------------------------------------------------------------------------------------------------------

    /// @notice Verifies the opening of element `element` of the tensor `(root, len)`: its chunk's bytes and the
    /// chunk's proof. Read the element afterwards with `LibFloat32.elementAt(chunk, element % 256)`.
    function verifyElement(bytes32 root, uint256 len, uint256 element, bytes memory chunk, bytes32[] memory siblings)
        internal
        view
        returns (bool)
    {
        // INVARIANT: the element exists (numLeaves below also rejects len = 0 and len >= 2^64).
        if (element >= len) revert TensorElementOutOfRange(element, len);
        return verify(KIND_TENSOR, len, root, element / CHUNK_ELEMS, chunk, siblings);
    }

    /// @notice Verifies the opening of elements [start, end) of the tensor `(root, len)`: the chunks
    /// floor(start/256) .. floor((end−1)/256) and their multiproof.
    function verifyElementRange(
        bytes32 root,
        uint256 len,
        uint256 start,
        uint256 end,
        bytes[] memory chunks,
        bytes32[] memory siblings
    ) internal view returns (bool) {
        // INVARIANT: a non-empty range of existing elements.
        if (start >= end || end > len) revert TensorRangeInvalid(start, end, len);
        uint256 c0 = start / CHUNK_ELEMS;
        uint256 want = (end - 1) / CHUNK_ELEMS - c0 + 1;
        // INVARIANT: exactly the chunks the range touches.
        if (chunks.length != want) revert TensorChunkCount(chunks.length, want);
        return verifyRange(KIND_TENSOR, len, root, c0, chunks, siblings);
    }

    /// @notice As `verifyElement`, for a chunk and a proof in calldata. Read the element afterwards with
    /// `LibFloat32.elementAtCalldata(chunk, element % 256)`.
    function verifyElementCalldata(
        bytes32 root,
        uint256 len,
        uint256 element,
        bytes calldata chunk,
        bytes32[] calldata siblings
    ) internal view returns (bool) {
        // INVARIANT: the element exists (numLeaves below also rejects len = 0 and len >= 2^64).
        if (element >= len) revert TensorElementOutOfRange(element, len);
        return verifyCalldata(KIND_TENSOR, len, root, element / CHUNK_ELEMS, chunk, siblings);
    }

    /// @notice As `verifyElementRange`, for chunks and a multiproof in calldata (each chunk hashed in place).
    function verifyElementRangeCalldata(
        bytes32 root,
        uint256 len,
        uint256 start,
        uint256 end,
        bytes[] calldata chunks,
        bytes32[] calldata siblings
    ) internal view returns (bool) {
        // INVARIANT: a non-empty range of existing elements (so its chunks lie inside the tree).
        if (start >= end || end > len) revert TensorRangeInvalid(start, end, len);
        uint256 c0 = start / CHUNK_ELEMS;
        uint256 want = (end - 1) / CHUNK_ELEMS - c0 + 1;
        // INVARIANT: exactly the chunks the range touches.
        if (chunks.length != want) revert TensorChunkCount(chunks.length, want);
        bytes32[] memory hashes = new bytes32[](want);
        for (uint256 i; i < want; ++i) {
            _checkChunk(len, c0 + i, chunks[i].length);
            hashes[i] = leafHashCalldata(chunks[i]);
        }
        return computeRangeRoot(KIND_TENSOR, len, c0, hashes, siblings) == root;
    }

    /// @dev Reverts unless chunk `c` of a tensor of `len` elements is `got` bytes long.
    function _checkChunk(uint256 len, uint256 c, uint256 got) private pure {
        uint256 want = chunkByteLength(len, c);
        // INVARIANT: chunks are exactly 1024 bytes, the last one 4·(len − 256c); never padded.
        if (got != want) revert ChunkLength(c, got, want);
    }
}
