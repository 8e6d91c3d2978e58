// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {TestBase} from "./TestBase.sol";
import {LibTolerance, Int512} from "../lib/LibTolerance.sol";
import {LibFloat32} from "../lib/LibFloat32.sol";
import {LibPrg} from "../lib/LibPrg.sol";
import {LibHarness} from "../harness/LibHarness.sol";

/// @title LibToleranceTest
/// @notice Properties of the tolerance rules: exact results accepted, NaN/Inf refused, the γ_K bound located where
/// the arithmetic says, monotone acceptance, dropout zeros, and the Int512 helper against int256 arithmetic.
contract LibToleranceTest is TestBase {
    using Int512 for Int512.Int;

    uint32 internal constant ONE = 0x3f800000; // 1.0
    uint32 internal constant MINUS_ONE = 0xbf800000; // -1.0
    uint32 internal constant NAN = 0x7fc00000;
    uint32 internal constant INF = 0x7f800000;

    LibHarness internal harness = new LibHarness();

    function _finite(uint32 bits) internal pure returns (uint32) {
        return LibFloat32.isFinite(bits) ? bits : bits & 0xbfffffff;
    }

    function _arr(uint32 a) internal pure returns (uint32[] memory v) {
        v = new uint32[](1);
        v[0] = a;
    }

    function _arr(uint32 a, uint32 b) internal pure returns (uint32[] memory v) {
        v = new uint32[](2);
        v[0] = a;
        v[1] = b;
    }

    function _arr(uint32 a, uint32 b, uint32 c) internal pure returns (uint32[] memory v) {
        v = new uint32[](3);
        v[0] = a;
        v[1] = b;
        v[2] = c;
    }

    // ------------------------------------------------------------------------------------------------ dot product

    function testFuzz_dot_exactRepresentableResult_accepted(uint32 x, uint32 y, uint32 z) public pure {
        x = _finite(x);
        y = _finite(y);
        z = _finite(z);
        // x·1 + y·0 = x
        assertTrue(LibTolerance.checkDot(_arr(x, y), _arr(ONE, 0), x), "x*1 + y*0 = x");
        // x·1 + x·(-1) + z·0 = 0, claimed as +0 and as -0
        assertTrue(LibTolerance.checkDot(_arr(x, x, z), _arr(ONE, MINUS_ONE, 0), 0), "cancellation to +0");
        assertTrue(LibTolerance.checkDot(_arr(x, x, z), _arr(ONE, MINUS_ONE, 0), 0x80000000), "cancellation to -0");
    }

    function testFuzz_dot_nonFinite_rejected(uint32 x, uint32 y, uint8 which) public pure {
        x = _finite(x);
        y = _finite(y);
        uint32 bad = which % 2 == 0 ? NAN | (uint32(which) << 1) : INF | (uint32(which % 4 == 1 ? 0x80000000 : 0));
        assertFalse(LibTolerance.checkDot(_arr(x), _arr(y), bad), "non-finite claimed");
        assertFalse(LibTolerance.checkDot(_arr(bad, x), _arr(y, ONE), x), "non-finite a");
        assertFalse(LibTolerance.checkDot(_arr(x, y), _arr(ONE, bad), x), "non-finite b");
    }

    /// @dev Σ_{i<K} 1·1 = K; the rule accepts K + d·ulp(K) iff d·ulp(K)·(2^24 − K) <= K·K (+ K·2^-126 and a few
    /// truncation units of 2^-150, both far below ulp(K) ≥ 2^-23): asserted away from the edge.
    function testFuzz_dot_boundAroundSumOfOnes(uint8 kRaw, uint16 dRaw) public pure {
        uint256 k = bound(kRaw, 1, 200);
        uint256 d = bound(dRaw, 0, 3000);
        uint32[] memory ones = new uint32[](k);
        for (uint256 i; i < k; ++i) ones[i] = ONE;
        uint256 fl; // floor(log2 k)
        while ((k >> (fl + 1)) != 0) ++fl;
        // float32 bits of k (exact, k < 2^24), then d steps up (same binade for small d, else the next: both fine)
        uint32 kBits = uint32(((fl + 127) << 23) | ((k << (23 - fl)) & 0x7fffff));
        uint32 claimed = kBits + uint32(d);
        // exact value of claimed − k = Σ of its steps; within the binade each step is 2^(fl − 23)
        uint256 stepsInBinade = (uint256(1) << 23) - ((k << (23 - fl)) & 0x7fffff);
        // distance in units of 2^(fl − 23 − 1) to cover one binade change (steps double)
        uint256 dist2 = d <= stepsInBinade ? 2 * d : 2 * stepsInBinade + 4 * (d - stepsInBinade);
        // accept iff dist·(2^24 − K) <= K²  ⇔  dist2 · 2^(fl−24) · (2^24 − K) <= K²  ⇔  dist2·2^fl·(2^24−K) <= K²·2^24
        uint256 lhs = dist2 * (uint256(1) << fl) * ((1 << 24) - k);
        uint256 rhs = k * k * (1 << 24);
        bool got = LibTolerance.checkDot(ones, ones, claimed);
        if (lhs * 100 < rhs * 99) assertTrue(got, "inside the bound");
        if (lhs * 100 > rhs * 101) assertFalse(got, "outside the bound");
    }

    function testFuzz_dot_packedEqualsArrays(uint32 a0, uint32 a1, uint32 b0, uint32 b1, uint32 c) public view {
        bytes memory pa = abi.encodePacked(LibFloat32.swap32(a0), LibFloat32.swap32(a1));
        bytes memory pb = abi.encodePacked(LibFloat32.swap32(b0), LibFloat32.swap32(b1));
        assertTrue(
            harness.checkDotPacked(pa, pb, c) == LibTolerance.checkDot(_arr(a0, a1), _arr(b0, b1), c), "same verdict"
        );
    }

    function test_dot_termCount_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(LibTolerance.ToleranceTermCount.selector, 0));
        harness.checkDot(new uint32[](0), new uint32[](0), 0);
        vm.expectRevert(abi.encodeWithSelector(LibTolerance.ToleranceLengthMismatch.selector, 1, 2));
        harness.checkDot(new uint32[](1), new uint32[](2), 0);
    }

    // ------------------------------------------------------------------------------------------------ elementwise

    function testFuzz_elementwise_exactResults_accepted(uint32 x) public pure {
        x = _finite(x);
        uint32 negX = x ^ 0x80000000;
        assertTrue(LibTolerance.checkElementwise(LibTolerance.Op.Copy, _arr(x), 0, 1, x), "copy");
        assertTrue(LibTolerance.checkElementwise(LibTolerance.Op.Mul, _arr(x, ONE), 0, 1, x), "x*1");
        assertTrue(LibTolerance.checkElementwise(LibTolerance.Op.Add, _arr(x, 0), 0, 1, x), "x+0");
        assertTrue(LibTolerance.checkElementwise(LibTolerance.Op.Add, _arr(x, negX), 0, 1, 0), "x-x");
        uint32 relu = (x & 0x80000000) == 0 ? x : 0;
        assertTrue(LibTolerance.checkElementwise(LibTolerance.Op.Relu, _arr(x), 0, 1, relu), "relu");
        assertTrue(LibTolerance.checkElementwise(LibTolerance.Op.DropoutKeep, _arr(x), 0, 7, x), "p = 0 keeps x");
    }

    function testFuzz_elementwise_nonFinite_rejected(uint32 x, bool nan) public pure {
        x = _finite(x);
        uint32 bad = nan ? NAN : INF;
        assertFalse(LibTolerance.checkElementwise(LibTolerance.Op.Copy, _arr(bad), 0, 1, bad), "copy NaN/Inf");
        assertFalse(LibTolerance.checkElementwise(LibTolerance.Op.Add, _arr(x, bad), 0, 1, x), "input");
        assertFalse(LibTolerance.checkElementwise(LibTolerance.Op.Mul, _arr(x, ONE), 0, 1, bad), "claimed");
    }

    function _mulOk(uint32 x, uint32 y, uint32 c) internal pure returns (bool) {
        return LibTolerance.checkElementwise(LibTolerance.Op.Mul, _arr(x, y), 0, 1, c);
    }

    /// @dev `r` moved `d` float32 steps up or down (clamped to stay inside r's binade).
    function _steps(uint32 r, uint256 d, bool up) internal pure returns (uint32) {
        uint256 room = up ? 0x7fffff - (r & 0x7fffff) : r & 0x7fffff;
        if (d > room) d = room;
        return up ? r + uint32(d) : r - uint32(d);
    }

    /// @dev mul(x, 2^j) = x·2^j exactly; moving the claimed value d1 <= d2 float32 steps away (same binade) can only
    /// turn an acceptance into a refusal, never the reverse; one step is accepted, three are not.
    function testFuzz_elementwise_monotoneInDistance(uint32 x, uint8 jRaw, uint16 d1, uint16 d2, bool up) public pure {
        x = (x & 0x807fffff) | (uint32(bound((x >> 23) & 0xff, 40, 200)) << 23); // normal, moderate exponent
        uint32 pow2 = uint32(127 + bound(jRaw, 0, 20)) << 23; // 2^j
        uint32 r = x + (pow2 - (127 << 23)); // bits of x·2^j: same mantissa, exponent + j
        if (d1 > d2) (d1, d2) = (d2, d1);
        assertTrue(_mulOk(x, pow2, r), "exact");
        if (_mulOk(x, pow2, _steps(r, d2, up))) assertTrue(_mulOk(x, pow2, _steps(r, d1, up)), "monotone");
        if (_steps(r, 3, up) != (up ? r + 3 : r - 3)) return; // too close to a binade edge for the step checks
        assertTrue(_mulOk(x, pow2, _steps(r, 1, up)), "1 step");
        assertFalse(_mulOk(x, pow2, _steps(r, 3, up)), "3 steps");
    }

    function testFuzz_dropout_droppedElement_onlyZeroAccepted(uint32 x, uint32 out, uint32 num, uint32 den) public pure {
        den = uint32(bound(den, 2, type(uint32).max));
        num = uint32(bound(num, 1, den - 1));
        assertTrue(LibTolerance.checkDropout(false, num, den, x, out) == LibFloat32.isZero(out), "dropped: exactly +-0");
    }

    function testFuzz_dropout_keptHalf_doubles(uint32 x) public pure {
        // p = 1/2: r = 2x, exact when x·2 stays finite; |x| >= 2^-100 so that x itself is not within the absolute
        // term 2^-126 of 2x
        x = (x & 0x807fffff) | (uint32(bound((x >> 23) & 0xff, 27, 253)) << 23);
        assertTrue(LibTolerance.checkDropout(true, 1, 2, x, x + (1 << 23)), "2x accepted");
        assertFalse(LibTolerance.checkDropout(true, 1, 2, x, x), "unscaled x refused");
    }

    function test_elementwise_badRequests_revert() public {
        vm.expectRevert(abi.encodeWithSelector(LibTolerance.ToleranceArity.selector, 0, 1, 2));
        harness.checkElementwise(0, _arr(ONE), 0, 1, ONE);
        vm.expectRevert(abi.encodeWithSelector(LibTolerance.ToleranceUnknownOp.selector, 9));
        harness.checkElementwise(9, _arr(ONE), 0, 1, ONE);
        vm.expectRevert(abi.encodeWithSelector(LibPrg.DropoutRateInvalid.selector, 5, 5));
        harness.checkElementwise(4, _arr(ONE), 5, 5, ONE);
    }

    // ---------------------------------------------------------------------------------------------------- Int512

    function testFuzz_int512_addSub_matchInt256(int200 a, int200 b, uint8 sRaw) public pure {
        Int512.Int memory x = a >= 0 ? Int512.fromUint(false, uint256(int256(a))) : Int512.fromUint(true, uint256(-int256(a)));
        Int512.Int memory y = b >= 0 ? Int512.fromUint(false, uint256(int256(b))) : Int512.fromUint(true, uint256(-int256(b)));
        int256 sum = int256(a) + int256(b);
        int256 diff = int256(a) - int256(b);
        Int512.Int memory s = x.add(y);
        Int512.Int memory d = x.sub(y);
        assertTrue(s.hi == 0 && s.lo == (sum >= 0 ? uint256(sum) : uint256(-sum)) && s.neg == (sum < 0), "add");
        assertTrue(d.hi == 0 && d.lo == (diff >= 0 ? uint256(diff) : uint256(-diff)) && d.neg == (diff < 0), "sub");
        // shifting across the limb boundary: (m << s) >> s == m with m < 2^64
        uint256 m = uint64(uint256(int256(a)));
        uint256 sh = bound(sRaw, 0, 255) + 190;
        Int512.Int memory w = Int512.fromShift(false, m, sh);
        uint256 back = sh >= 256 ? w.hi >> (sh - 256) : (w.lo >> sh) | (w.hi << (256 - sh));
        assertEq(back, m, "fromShift");
    }
}
