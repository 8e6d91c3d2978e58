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

    // ------------------------------------------------------- dot product: packed lanes against a plain reference

    /// @dev SPEC §6.1's integer test written plainly (decode every term, one term at a time, Int512 for the wide
    /// values): the reference the lane-parallel `checkDotPacked` and the memory path `checkDot` are compared with.
    function _refDot(uint32[] memory a, uint32[] memory b, uint32 c) internal pure returns (bool) {
        uint256 k = a.length;
        if (!LibFloat32.isFinite(c)) return false;
        for (uint256 i; i < k; ++i) {
            if (!LibFloat32.isFinite(a[i]) || !LibFloat32.isFinite(b[i])) return false;
        }
        int256 maxExp = type(int256).min;
        for (uint256 i; i < k; ++i) {
            (,, int256 ea) = LibFloat32.decode(a[i]);
            (,, int256 eb) = LibFloat32.decode(b[i]);
            if (ea + eb > maxExp) maxExp = ea + eb;
        }
        int256 base = maxExp - 150;
        int256 rt;
        uint256 st;
        for (uint256 i; i < k; ++i) {
            (bool na, uint256 ma, int256 ea) = LibFloat32.decode(a[i]);
            (bool nb, uint256 mb, int256 eb) = LibFloat32.decode(b[i]);
            uint256 t = _truncShift(ma * mb, ea + eb - base);
            st += t;
            rt = na != nb ? rt - int256(t) : rt + int256(t);
        }
        uint256 q = (k * (st + k)) / ((1 << 24) - k);
        // A = ceil(k · 2^(−126 − base)) + k + 1
        int256 sa = -126 - base;
        Int512.Int memory bound_ = sa >= 0
            ? Int512.fromShift(false, k, uint256(sa))
            : Int512.fromUint(false, (k + (uint256(1) << uint256(-sa)) - 1) >> uint256(-sa));
        bound_ = bound_.magAdd(Int512.fromUint(false, q + k + 1));
        (bool nc, uint256 mc, int256 ec) = LibFloat32.decode(c);
        int256 sc = ec - base;
        // |c~| >= 2^400 exceeds A + Q + |r~| (< 2^348): a refusal (the shift below would leave Int512)
        if (mc != 0 && sc > 376) return false;
        Int512.Int memory ct = sc >= 0 ? Int512.fromShift(nc, mc, uint256(sc)) : Int512.fromUint(nc, _truncShift(mc, sc));
        Int512.Int memory r = rt >= 0 ? Int512.fromUint(false, uint256(rt)) : Int512.fromUint(true, uint256(-rt));
        return ct.sub(r).magLe(bound_);
    }

    /// @dev floor(m · 2^d) for m < 2^64 and d <= 150.
    function _truncShift(uint256 m, int256 d) internal pure returns (uint256) {
        if (d >= 0) return m << uint256(d);
        return -d >= 256 ? 0 : m >> uint256(-d);
    }

    /// @dev A float32 pattern from `h`: ±0, subnormals, NaN/Inf (only if `special`), the extreme exponents 1 and
    /// 254, exponents near `center`, or any exponent.
    function _randomBits(uint256 h, uint256 center, bool special) internal pure returns (uint32) {
        uint32 sign = uint32(h & 1) << 31;
        uint32 frac = uint32(h >> 8) & 0x7fffff;
        uint256 cls = (h >> 40) % 16;
        uint256 e;
        if (cls == 0) return sign; // ±0
        if (cls == 1) e = 0; // subnormal (or zero)
        else if (cls == 2) e = special ? 255 : 0; // NaN / Inf
        else if (cls == 3) e = 254;
        else if (cls == 4) e = 1;
        else if (cls < 13) e = bound(center + ((h >> 48) % 9), 4, 250) - 4; // close exponents: cancellations, sums
        else e = (h >> 48) % 255;
        return sign | (uint32(e) << 23) | frac;
    }

    /// @dev The float32 bits of v · 2^e truncated toward zero (ok = false past the float32 range).
    function _toFloat32(int256 v, int256 e) internal pure returns (bool ok, uint32 bits) {
        if (v == 0) return (true, 0);
        uint32 sign = v < 0 ? 0x80000000 : 0;
        uint256 m = uint256(v < 0 ? -v : v);
        uint256 n; // bit length of m
        while ((m >> n) != 0) ++n;
        if (n > 24) {
            m >>= n - 24;
            e += int256(n - 24);
        } else {
            m <<= 24 - n;
            e -= int256(24 - n);
        }
        int256 biased = e + 150; // m ∈ [2^23, 2^24): value (2^23 + F)·2^(biased − 150)
        if (biased >= 255) return (false, 0);
        if (biased <= 0) {
            uint256 sh = uint256(1 - biased);
            return (true, sign | uint32(sh >= 24 ? 0 : m >> sh)); // subnormal: F·2^-149
        }
        return (true, sign | (uint32(uint256(biased)) << 23) | uint32(m & 0x7fffff));
    }

    /// @dev Packed little-endian bytes of `v` (the layout of tensor chunks).
    function _pack(uint32[] memory v) internal pure returns (bytes memory out) {
        for (uint256 i; i < v.length; ++i) out = abi.encodePacked(out, LibFloat32.swap32(v[i]));
    }

    /// @dev The lane-parallel `checkDotPacked`, the memory path `checkDot` and `_refDot` agree on random operands of
    /// every length 1..40 (so every position of the last, partial word), of every float32 class, with claimed values
    /// near the sum (a few float32 steps either way, to land on both sides of the bound) or anywhere.
    function testFuzz_dot_packedEqualsReference(uint256 seed, uint8 kRaw, uint8 centerRaw, uint8 mode) public view {
        uint256 k = bound(kRaw, 1, 40);
        uint256 center = bound(centerRaw, 0, 254);
        bool special = mode % 8 == 7; // some NaN/Inf operands
        uint32[] memory a = new uint32[](k);
        uint32[] memory b = new uint32[](k);
        for (uint256 i; i < k; ++i) {
            a[i] = _randomBits(uint256(keccak256(abi.encode(seed, 0, i))), center, special);
            b[i] = _randomBits(uint256(keccak256(abi.encode(seed, 1, i))), 127 + (mode % 3), special);
        }
        uint32 c = _nearSum(a, b, uint256(keccak256(abi.encode(seed, 2))));
        bool want = _refDot(a, b, c);
        assertTrue(harness.checkDotPacked(_pack(a), _pack(b), c) == want, "packed == reference");
        assertTrue(LibTolerance.checkDot(a, b, c) == want, "memory path == reference");
    }

    /// @dev The random cases of `testFuzz_dot_packedEqualsReference` land on both sides of the bound (so that the
    /// comparison is not between two refusals): over 96 fixed seeds, both verdicts occur at least 16 times each,
    /// and the three implementations agree on every one.
    function test_dot_packedEqualsReference_bothVerdicts() public view {
        uint256 accepted;
        uint256 refused;
        for (uint256 seed; seed < 96; ++seed) {
            uint256 k = 1 + seed % 40;
            uint32[] memory a = new uint32[](k);
            uint32[] memory b = new uint32[](k);
            for (uint256 i; i < k; ++i) {
                a[i] = _randomBits(uint256(keccak256(abi.encode(seed, 0, i))), 100 + seed % 50, false);
                b[i] = _randomBits(uint256(keccak256(abi.encode(seed, 1, i))), 127, false);
            }
            uint32 c = _nearSum(a, b, uint256(keccak256(abi.encode(seed, 2))));
            bool want = _refDot(a, b, c);
            assertTrue(harness.checkDotPacked(_pack(a), _pack(b), c) == want, "packed == reference");
            assertTrue(LibTolerance.checkDot(a, b, c) == want, "memory path == reference");
            if (want) ++accepted;
            else ++refused;
        }
        assertTrue(accepted >= 16 && refused >= 16, "both verdicts occur");
    }

    /// @dev A claimed value for Σ a_i·b_i: the truncated float32 of r~·U moved by up to ±12 steps (or any bits).
    function _nearSum(uint32[] memory a, uint32[] memory b, uint256 h) internal pure returns (uint32 c) {
        if (h % 16 == 0) return uint32(h >> 8); // anything, NaN/Inf included
        int256 maxExp = type(int256).min;
        for (uint256 i; i < a.length; ++i) {
            if (!LibFloat32.isFinite(a[i]) || !LibFloat32.isFinite(b[i])) return uint32(h >> 8);
            (,, int256 ea) = LibFloat32.decode(a[i]);
            (,, int256 eb) = LibFloat32.decode(b[i]);
            if (ea + eb > maxExp) maxExp = ea + eb;
        }
        int256 rt;
        for (uint256 i; i < a.length; ++i) {
            (bool na, uint256 ma, int256 ea) = LibFloat32.decode(a[i]);
            (bool nb, uint256 mb, int256 eb) = LibFloat32.decode(b[i]);
            uint256 t = _truncShift(ma * mb, ea + eb - maxExp + 150);
            rt = na != nb ? rt - int256(t) : rt + int256(t);
        }
        (bool ok, uint32 bits) = _toFloat32(rt, maxExp - 150);
        if (!ok) return 0x7f7fffff; // past the float32 range: the largest finite value
        uint32 d = uint32((h >> 8) % 13);
        // move d steps away from zero or towards it (staying on the same side of zero)
        if ((h >> 16) & 1 == 0) return (bits & 0x7fffffff) + d <= 0x7f800000 ? bits + d : bits;
        return (bits & 0x7fffffff) >= d ? bits - d : bits & 0x80000000;
    }

    /// @dev Bytes past the operands (the ABI padding of a row whose length is not a multiple of 8 lanes, or the
    /// next argument) are never read as lanes: garbage there (NaN patterns) leaves the verdict unchanged.
    function testFuzz_dot_packedIgnoresBytesPastOperands(uint8 kRaw, uint32 x) public view {
        uint256 k = bound(kRaw, 1, 15);
        x = _finite(x);
        uint32[] memory a = new uint32[](k);
        uint32[] memory b = new uint32[](k);
        for (uint256 i; i < k; ++i) {
            a[i] = i == 0 ? x : 0;
            b[i] = ONE;
        }
        bytes memory data = abi.encodeCall(LibHarness.checkDotPacked, (_pack(a), _pack(b), x));
        // head: selector, 3 words; a: length word at 4 + 0x60, its bytes at 4 + 0x80; b after a's padded bytes
        uint256 aEnd = 4 + 0x80 + 4 * k;
        uint256 bEnd = 4 + 0x80 + ((4 * k + 31) / 32) * 32 + 0x20 + 4 * k;
        for (uint256 i = aEnd; i < 4 + 0x80 + ((4 * k + 31) / 32) * 32; ++i) data[i] = 0xff;
        for (uint256 i = bEnd; i < data.length; ++i) data[i] = 0xff;
        (bool ok, bytes memory ret) = address(harness).staticcall(data);
        assertTrue(ok, "call succeeds");
        assertTrue(abi.decode(ret, (bool)), "x*1 + 0*1 + ... = x, whatever follows the operands");
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
