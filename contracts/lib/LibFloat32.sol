// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title LibFloat32
/// @notice Exact decoding of IEEE-754 binary32 values given by their bit patterns (docs/SPEC.md §1, §6.3).
/// @dev Every finite float32 is exactly `(-1)^negative · mantissa · 2^exponent` with integer mantissa and exponent:
///
///   bits  | 31 | 30 .. 23 (E) | 22 .. 0 (F) |
///   ------+----+--------------+-------------+------------------------------------
///   value |  s | 1 .. 254     | F           | (2^23 + F) · 2^(E - 150)   normal
///         |  s | 0            | F           |  F         · 2^-149        subnormal, ±0 when F = 0
///         |  s | 255          | 0 / != 0    |  ±Inf / NaN (no value: `decode` reverts)
///
/// so mantissa < 2^24 and exponent ∈ [-149, 104]. Tensor elements are stored little-endian (4 bytes each).
library LibFloat32 {
    /// @notice The bit pattern is NaN or ±Inf where a finite value is required.
    error Float32NotFinite(uint32 bits);
    /// @notice Element `index` lies outside a byte string holding `count` float32 values.
    error Float32ElementOutOfRange(uint256 index, uint256 count);

    uint32 internal constant SIGN_MASK = 0x80000000;
    uint32 internal constant EXP_MASK = 0x7f800000;
    uint32 internal constant FRAC_MASK = 0x007fffff;
    /// @notice Exponent of a subnormal (and of zero): 2^-149 is the smallest positive float32.
    int256 internal constant MIN_EXP = -149;
    /// @notice Largest exponent of a finite float32's mantissa: (2^24 - 1) · 2^104 is the largest finite value.
    int256 internal constant MAX_EXP = 104;

    /// @notice True iff `bits` is neither NaN nor ±Inf.
    function isFinite(uint32 bits) internal pure returns (bool) {
        return bits & EXP_MASK != EXP_MASK;
    }

    /// @notice True iff `bits` is a NaN (any payload, either sign).
    function isNaN(uint32 bits) internal pure returns (bool) {
        return bits & EXP_MASK == EXP_MASK && bits & FRAC_MASK != 0;
    }

    /// @notice True iff `bits` is +Inf or -Inf.
    function isInf(uint32 bits) internal pure returns (bool) {
        return bits & 0x7fffffff == EXP_MASK;
    }

    /// @notice True iff `bits` is +0 or -0.
    function isZero(uint32 bits) internal pure returns (bool) {
        return bits & 0x7fffffff == 0;
    }

    /// @notice Exact value of a finite float32: `(-1)^negative · mantissa · 2^exponent`.
    /// @dev Zero decodes to mantissa 0, exponent -149 (with its sign). Reverts with `Float32NotFinite` on NaN/Inf.
    function decode(uint32 bits) internal pure returns (bool negative, uint256 mantissa, int256 exponent) {
        uint256 e = (bits >> 23) & 0xff;
        // INVARIANT: only finite values have a value.
        if (e == 0xff) revert Float32NotFinite(bits);
        negative = bits & SIGN_MASK != 0;
        mantissa = bits & FRAC_MASK;
        if (e == 0) {
            exponent = MIN_EXP;
        } else {
            mantissa |= 0x800000;
            // e ∈ [1, 254] so exponent ∈ [-149, 104]
            exponent = int256(e) - 150;
        }
    }

    /// @notice Reverses the byte order of a 32-bit word (little-endian bytes <-> integer).
    function swap32(uint32 v) internal pure returns (uint32) {
        return ((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >> 8) & 0xff00) | (v >> 24);
    }

    /// @notice The bits of float32 number `index` of a little-endian byte string (a tensor chunk).
    function elementAt(bytes memory data, uint256 index) internal pure returns (uint32 bits) {
        uint256 count = data.length / 4;
        // INVARIANT: the element lies wholly inside `data`.
        if (index >= count) revert Float32ElementOutOfRange(index, count);
        uint256 word;
        assembly ("memory-safe") {
            // 4 * index + 4 <= data.length: the load starts inside the array's bytes.
            word := mload(add(add(data, 0x20), shl(2, index)))
        }
        bits = swap32(uint32(word >> 224));
    }

    /// @notice As `elementAt`, for a byte string in calldata.
    function elementAtCalldata(bytes calldata data, uint256 index) internal pure returns (uint32 bits) {
        uint256 count = data.length / 4;
        // INVARIANT: the element lies wholly inside `data`.
        if (index >= count) revert Float32ElementOutOfRange(index, count);
        uint256 word;
        assembly {
            word := calldataload(add(data.offset, shl(2, index)))
        }
        bits = swap32(uint32(word >> 224));
    }
}
