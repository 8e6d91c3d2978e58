// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {TestBase} from "./TestBase.sol";
import {LibPrg} from "../lib/LibPrg.sol";
import {LibFloat32} from "../lib/LibFloat32.sol";
import {LibHarness} from "../harness/LibHarness.sol";

/// @title LibPrgTest
/// @notice PRG words against a byte-by-byte reference recomputation; mask-bit properties; rate validation.
contract LibPrgTest is TestBase {
    LibHarness internal harness = new LibHarness();

    /// @dev Reference: sha256(y || u64le(c)) built byte by byte, the word read byte by byte little-endian.
    function _referenceWord(bytes32 y, uint256 e) internal pure returns (uint32) {
        uint256 c = e / 8;
        bytes memory le = new bytes(8);
        for (uint256 i; i < 8; ++i) le[i] = bytes1(uint8(c >> (8 * i)));
        bytes32 blk = sha256(abi.encodePacked(y, le));
        uint256 off = 4 * (e % 8);
        return uint32(uint8(blk[off])) | (uint32(uint8(blk[off + 1])) << 8) | (uint32(uint8(blk[off + 2])) << 16)
            | (uint32(uint8(blk[off + 3])) << 24);
    }

    function testFuzz_word_matchesReference(bytes32 y, uint64 e) public view {
        assertEq(LibPrg.word(y, e), _referenceWord(y, e), "PRG word");
    }

    function testFuzz_maskBit_numZero_alwaysKeeps(bytes32 y, uint256 e, uint32 den) public view {
        e = bound(e, 0, type(uint64).max);
        den = uint32(bound(den, 1, type(uint32).max));
        assertTrue(LibPrg.maskBit(y, 0, den, e), "num = 0 keeps");
    }

    function testFuzz_maskBit_isWordAtLeastThreshold(bytes32 y, uint32 e, uint32 num, uint32 den) public view {
        den = uint32(bound(den, 2, type(uint32).max));
        num = uint32(num % den);
        uint256 t = (uint256(num) << 32) / den;
        assertEq(LibPrg.threshold(num, den), t, "threshold");
        assertTrue(LibPrg.maskBit(y, num, den, e) == (_referenceWord(y, e) >= t), "keep iff word >= T");
    }

    function testFuzz_maskBit_monotoneInRate(bytes32 y, uint32 e, uint32 num1, uint32 num2, uint32 den) public view {
        den = uint32(bound(den, 2, type(uint32).max));
        num1 = uint32(num1 % den);
        num2 = uint32(num2 % den);
        if (num1 > num2) (num1, num2) = (num2, num1);
        // a higher drop probability never keeps an element a lower one drops
        if (LibPrg.maskBit(y, num2, den, e)) assertTrue(LibPrg.maskBit(y, num1, den, e), "monotone");
    }

    function testFuzz_threshold_invalidRate_reverts(uint256 num, uint256 den) public {
        if (num < den && den <= type(uint32).max) num = den; // make it invalid: p >= 1
        vm.expectRevert(abi.encodeWithSelector(LibPrg.DropoutRateInvalid.selector, num, den));
        harness.maskThreshold(num, den);
    }

    function test_word_elementBeyondU64Counter_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(LibPrg.PrgElementOutOfRange.selector, uint256(1) << 67));
        harness.prgWord(bytes32(0), uint256(1) << 67);
    }
}

/// @title LibFloat32Test
/// @notice Exact decoding round trips, classification, little-endian element reads.
contract LibFloat32Test is TestBase {
    LibHarness internal harness = new LibHarness();

    /// @dev Re-encodes (negative, mantissa, exponent) as float32 bits; the inverse of decode on finite values.
    function _encode(bool neg, uint256 m, int256 e) internal pure returns (uint32) {
        uint32 s = neg ? 0x80000000 : 0;
        if (m < (1 << 23)) {
            require(e == -149, "subnormal exponent");
            return s | uint32(m);
        }
        require(m < (1 << 24) && e >= -149 && e <= 104, "normal range");
        return s | (uint32(uint256(e + 150)) << 23) | uint32(m & 0x7fffff);
    }

    function testFuzz_decode_roundTrips(uint32 bits) public pure {
        if (!LibFloat32.isFinite(bits)) bits &= 0xbfffffff; // clear the top exponent bit: finite
        (bool neg, uint256 m, int256 e) = LibFloat32.decode(bits);
        assertEq(_encode(neg, m, e), bits, "round trip");
        assertTrue(e >= -149 && e <= 104 && m < (1 << 24), "ranges");
        assertTrue(LibFloat32.isZero(bits) == (m == 0), "zero iff mantissa 0");
    }

    function testFuzz_classify_partitions(uint32 bits) public pure {
        bool fin = LibFloat32.isFinite(bits);
        bool nan = LibFloat32.isNaN(bits);
        bool inf = LibFloat32.isInf(bits);
        assertTrue((fin ? 1 : 0) + (nan ? 1 : 0) + (inf ? 1 : 0) == 1, "exactly one class");
    }

    function test_classify_specials() public pure {
        assertTrue(LibFloat32.isNaN(0x7fc00000) && LibFloat32.isNaN(0xffffffff), "NaN");
        assertTrue(LibFloat32.isInf(0x7f800000) && LibFloat32.isInf(0xff800000), "Inf");
        assertTrue(LibFloat32.isZero(0) && LibFloat32.isZero(0x80000000), "zeros");
        (bool neg, uint256 m, int256 e) = LibFloat32.decode(0x3f800000); // 1.0
        assertTrue(!neg && m == 1 << 23 && e == -23, "1.0 = 2^23 * 2^-23");
        (neg, m, e) = LibFloat32.decode(0x80000001); // -2^-149
        assertTrue(neg && m == 1 && e == -149, "smallest negative subnormal");
    }

    function test_decode_nonFinite_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(LibFloat32.Float32NotFinite.selector, uint32(0x7fc00000)));
        harness.decode(0x7fc00000);
    }

    function testFuzz_elementAt_readsLittleEndian(uint32 a, uint32 b, uint32 c) public view {
        bytes memory data = abi.encodePacked(LibFloat32.swap32(a), LibFloat32.swap32(b), LibFloat32.swap32(c));
        assertEq(LibFloat32.elementAt(data, 0), a, "element 0");
        assertEq(LibFloat32.elementAt(data, 2), c, "element 2");
        assertEq(harness.elementAtCalldata(data, 1), b, "calldata element 1");
    }

    function test_elementAt_outOfRange_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(LibFloat32.Float32ElementOutOfRange.selector, 2, 2));
        harness.elementAt(new bytes(11), 2);
    }
}
