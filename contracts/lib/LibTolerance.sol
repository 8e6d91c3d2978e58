// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {LibFloat32} from "./LibFloat32.sol";
import {LibPrg} from "./LibPrg.sol";

/// @title Int512
/// @notice Signed 512-bit integers (sign and magnitude), just what the tolerance rules need.
/// @dev Magnitudes are `hi · 2^256 + lo`. Callers keep every magnitude below 2^511 (bounds are stated where each
/// value is built), so additions of two magnitudes cannot overflow.
library Int512 {
    struct Int {
        bool neg;
        uint256 hi;
        uint256 lo;
    }

    /// @notice (-1)^neg · m · 2^s, for s < 512 and m·2^s < 2^511 (callers state why).
    function fromShift(bool neg, uint256 m, uint256 s) internal pure returns (Int memory x) {
        x.neg = neg && m != 0;
        if (s >= 256) {
            x.hi = m << (s - 256);
        } else if (s == 0) {
            x.lo = m;
        } else {
            x.lo = m << s;
            x.hi = m >> (256 - s);
        }
    }

    /// @notice (-1)^neg · v.
    function fromUint(bool neg, uint256 v) internal pure returns (Int memory x) {
        x.neg = neg && v != 0;
        x.lo = v;
    }

    /// @notice |a| <= |b|.
    function magLe(Int memory a, Int memory b) internal pure returns (bool) {
        return a.hi < b.hi || (a.hi == b.hi && a.lo <= b.lo);
    }

    /// @notice |a| + |b| (unsigned result). Both magnitudes < 2^511.
    function magAdd(Int memory a, Int memory b) internal pure returns (Int memory x) {
        // Each magnitude < 2^511, so the sum < 2^512: the carry out of `lo` fits in `hi` and `hi` cannot wrap.
        unchecked {
            x.lo = a.lo + b.lo;
            x.hi = a.hi + b.hi + (x.lo < a.lo ? 1 : 0);
        }
    }

    /// @notice |a| − |b| for |a| >= |b| (unsigned result).
    function magSub(Int memory a, Int memory b) private pure returns (Int memory x) {
        // |a| >= |b| (checked by the callers), so the borrow out of `lo` is covered by `hi`.
        unchecked {
            x.lo = a.lo - b.lo;
            x.hi = a.hi - b.hi - (a.lo < b.lo ? 1 : 0);
        }
    }

    /// @notice a + b.
    function add(Int memory a, Int memory b) internal pure returns (Int memory x) {
        if (a.neg == b.neg) {
            x = magAdd(a, b);
            x.neg = a.neg && (x.hi | x.lo) != 0;
        } else if (magLe(b, a)) {
            x = magSub(a, b);
            x.neg = a.neg && (x.hi | x.lo) != 0;
        } else {
            x = magSub(b, a);
            x.neg = b.neg;
        }
    }

    /// @notice a − b.
    function sub(Int memory a, Int memory b) internal pure returns (Int memory) {
        return add(a, Int(!b.neg && (b.hi | b.lo) != 0, b.hi, b.lo));
    }

    /// @notice |a| · 2^s for 0 < s < 256 (unsigned result), |a| < 2^(511 − s).
    function magShl(Int memory a, uint256 s) internal pure returns (Int memory x) {
        x.hi = (a.hi << s) | (a.lo >> (256 - s));
        x.lo = a.lo << s;
    }
}

/// @title LibTolerance
/// @notice The tolerance rules of docs/SPEC.md §6: exact integer evaluation of whether a claimed float32 output is
/// within the sound IEEE-754 bound of the exact result computed from the trainer's own committed float32 inputs.
/// @dev Non-finite inputs or claimed values make every check return false (a violation, SPEC §6.3). Malformed
/// *requests* (mismatched lengths, K out of range, a bad dropout rate, an unknown op) revert: they come from the
/// job's template, not from the trainer, and indicate a caller bug.
///
/// Bit widths. A float32 is m·2^e with m < 2^24, e ∈ [-149, 104]; a product of two is m < 2^48, e ∈ [-298, 208].
///
/// Dot product (SPEC §6.1), with base = maxExp − 150 and unit U = 2^base:
///   t_i  = floor(|p_i| / U) < 2^48 · 2^150 = 2^198            (term exponent <= maxExp)
///   r~   = Σ ±t_i, S~ = Σ t_i: |r~|, S~ < K · 2^198 < 2^222    (K < 2^24)          int256/uint256
///   S    = S~ + K (truncation, K units), K·S < 2^247           Q = floor(K·S / (2^24 − K)) < 2^247
///   A    = ceil(K · 2^-126 / U) + K + 1  < 2^346 + 2^25         (2^-126/U = 2^(24 − maxExp), up to 2^322)
///   c~   = trunc(c / U) · sign(c)        < 2^400 after the early reject below  (c/U can reach 2^576)
///   accept iff (|c~ − r~| − A)·(2^24 − K) <= K·S  ⇔  |c~ − r~| <= A + Q       (integers, divisor > 0)
/// A, c~ and |c~ − r~| live in Int512. Soundness: |r − r~U| < K·U and |c − c~U| < U, so whenever the exact rule
/// (`packages/core` checkDot) accepts, |c~ − r~| <= |c − r|/U + K + 1 and this check accepts too. It may accept a
/// few units U = 2^(maxExp−150) beyond the exact rule: far below one float32 step of any plausible claimed value.
///
/// Elementwise (SPEC §6.2): |c − r| <= 2^-23·|r| + 2^-126 with r = p/q (q = den − num for dropout, else 1) is
/// evaluated exactly as 2^23·|c·q − p| <= |p| + q·2^-103, all in units of 2^-298 (the smallest product exponent):
///   |p| < 2^(130 + 298) = 2^428 (mul: larger products are rejected first), add: |a + b| < 2^(129 + 298),
///   dropout: p = x·den < 2^(128 + 32 + 298) = 2^458, |c·q| < 2^458, 2^23·|c·q − p| < 2^482.       Int512
/// This is exactly the rule of `packages/core` checkElementwise (no truncation anywhere).
library LibTolerance {
    using Int512 for Int512.Int;

    /// @notice The two operand vectors of a dot product have different lengths.
    error ToleranceLengthMismatch(uint256 aLength, uint256 bLength);
    /// @notice A dot product needs 1 <= K < 2^24 terms.
    error ToleranceTermCount(uint256 k);
    /// @notice A packed float32 vector's byte length is not a multiple of 4.
    error TolerancePackedLength(uint256 length);
    /// @notice The elementwise op code is unknown.
    error ToleranceUnknownOp(uint256 op);
    /// @notice The elementwise op takes `want` inputs; `got` were given.
    error ToleranceArity(uint256 op, uint256 got, uint256 want);

    /// @notice Elementwise ops (SPEC §6.2). Scale is a `Mul` by a committed scalar.
    enum Op {
        Add,
        Mul,
        Relu,
        Copy,
        DropoutKeep
    }

    /// @notice 2^24: 1/u with u = 2^-24, the unit roundoff of binary32.
    uint256 internal constant TWO_POW_24 = 1 << 24;
    /// @notice Exponent of the smallest dyadic the rules manipulate (product of two subnormals): the unit of §6.2.
    int256 internal constant UNIT_EXP = -298;

    // -----------------------------------------------------------------------------------------------------------------
    // Dot product (SPEC §6.1)
    // -----------------------------------------------------------------------------------------------------------------

    /// @notice Whether `claimed` (float32 bits) is an acceptable value of Σ a_i·b_i (bits; a bias is a term b·1.0).
    function checkDot(uint32[] memory a, uint32[] memory b, uint32 claimed) internal pure returns (bool) {
        uint256 k = a.length;
        // INVARIANT: one b per a.
        if (k != b.length) revert ToleranceLengthMismatch(k, b.length);
        _checkTermCount(k);
        if (!LibFloat32.isFinite(claimed)) return false;
        uint256 pa;
        uint256 pb;
        assembly ("memory-safe") {
            pa := add(a, 0x20)
            pb := add(b, 0x20)
        }
        // uint32[] in memory: one element per 32-byte word, value in the low 32 bits.
        (bool finite, uint256[] memory prods, uint256 maxE) = _products(pa, pb, k, 32, 0);
        return finite && _dotAccepts(prods, maxE, claimed);
    }

    /// @notice As `checkDot`, with both vectors given as packed little-endian float32 bytes in calldata (the layout of
    /// tensor chunks, so a one-step proof can pass opened chunk bytes straight through).
    /// @dev Reads the operands straight from calldata, 8 lanes (one 32-byte word) per operation where it can, in two
    /// passes: NaN/Inf and the largest product exponent (`_packedPrepare`), then the truncated terms (`_packedSums`).
    /// Measured on the 129-term linear element of the one-step bench: 30.7k gas for both passes, where the previous
    /// code (copy to memory, byte swap, one stored product word per term, then a loop over them) took 82k;
    /// `tolerance.dot.k256` (scripts/bench-gas.ts) went from 170.6k to 63.5k execution gas. It computes the same
    /// maxE, S~ and r~ as `checkDot` and shares `_dotBound`, so the verdict is the same on every input (fuzzed
    /// against a plain reference in contracts/test/LibTolerance.t.sol).
    function checkDotPacked(bytes calldata a, bytes calldata b, uint32 claimed) internal pure returns (bool) {
        // INVARIANT: whole float32 values, one b per a.
        if (a.length % 4 != 0) revert TolerancePackedLength(a.length);
        if (a.length != b.length) revert ToleranceLengthMismatch(a.length / 4, b.length / 4);
        uint256 k = a.length / 4;
        _checkTermCount(k);
        if (!LibFloat32.isFinite(claimed)) return false;
        uint256 pa;
        uint256 pb;
        // Assembly: Solidity exposes a calldata slice's offset only there. Safe: reads two stack values.
        assembly ("memory-safe") {
            pa := a.offset
            pb := b.offset
        }
        (bool finite, uint256 maxE, uint256 prep) = _packedPrepare(pa, pb, k);
        if (!finite) return false;
        (uint256 st, uint256 ng) = _packedSums(prep, (k + 7) / 8, maxE);
        // st < 2^222 (see the library NatSpec) and ng <= st: r~ = (st − ng) − ng fits int256.
        return _dotBound(k, maxE, st, int256(st) - 2 * int256(ng), claimed);
    }

    /// @dev INVARIANT (callers): 1 <= k < 2^24, the bound γ_K = K/(2^24 − K) is defined and positive. This also
    /// bounds every loop over the terms.
    function _checkTermCount(uint256 k) private pure {
        if (k == 0 || k >= TWO_POW_24) revert ToleranceTermCount(k);
    }

    // Packed lanes. Word w of an operand holds its float32 values 8w .. 8w + 7 (the calldata bytes 32w .. 32w + 31,
    // loaded big-endian), value 8w + j in bits 224 − 32j .. 255 − 32j after the byte swap of every lane. The LANES_*
    // constants repeat one 32-bit pattern 8 times; lane arithmetic never carries or borrows across lanes (the bound
    // is stated at each step), so one EVM operation acts on 8 values at once.
    uint256 private constant LANES_1 = 0x0000000100000001000000010000000100000001000000010000000100000001;
    uint256 private constant LANES_100 = 0x0000010000000100000001000000010000000100000001000000010000000100;
    uint256 private constant LANES_3FF = 0x000003ff000003ff000003ff000003ff000003ff000003ff000003ff000003ff;

    /// @dev Pass 1 of `checkDotPacked` over packed operands at calldata offsets `pa`, `pb` (k values each): `finite`
    /// (no operand is NaN/Inf) and maxE = max_i (max(Ea_i, 1) + max(Eb_i, 1)) ∈ [2, 508], the largest biased
    /// product exponent (as `_products`). Every pair of operand words becomes three words of 8 lanes in a fresh
    /// array at `prep` (ceil(k / 8) triples): the two mantissas (hidden bit included) and the exponent sum | sign.
    function _packedPrepare(uint256 pa, uint256 pb, uint256 k)
        private
        pure
        returns (bool finite, uint256 maxE, uint256 prep)
    {
        // Assembly: calldata read in place and lane-parallel arithmetic (one operation for 8 values). Safe: it reads
        // calldata (a word that runs past an operand's end is masked so that its lanes >= k are +0, whatever follows
        // in calldata) and writes only the memory it allocates (3 words per operand word, the free-memory pointer
        // moved past them).
        assembly ("memory-safe") {
            // One word pair (x, y: calldata words of 8 little-endian lanes) stored at q. Returns the lane-wise max of
            // `mx` and the exponent sums, and `bad` or-ed with lane bit 8 set where an operand is NaN/Inf. Few named
            // values (the legacy code generator reaches 16 stack slots); the lane constants are derived from l1 =
            // LANES_1 (the optimizer turns each 32-byte literal into a CODECOPY at every use, ~11 operations).
            function prepare(x, y, q, mx, bad0) -> mx2, bad {
                let l1 := LANES_1
                // big-endian lanes: swap the bytes of every 16-bit half, then the halves of every lane
                let m := mul(l1, 0x00ff00ff)
                x := or(and(shr(8, x), m), shl(8, and(x, m)))
                y := or(and(shr(8, y), m), shl(8, and(y, m)))
                m := mul(l1, 0xffff)
                x := or(and(shr(16, x), m), shl(16, and(x, m)))
                y := or(and(shr(16, y), m), shl(16, and(y, m)))
                m := mul(l1, 0xff)
                let ex := and(shr(23, x), m) // exponent fields E <= 255
                let ey := and(shr(23, y), m)
                // E + 1 <= 0x100 sets lane bit 8 iff E = 255 (NaN/Inf)
                bad := or(bad0, or(add(ex, l1), add(ey, l1)))
                // [E != 0] at lane bit 8: E + 0xff <= 0x1fe has bit 8 iff E >= 1 (moved to bit 23: the hidden bit)
                mx2 := and(add(ex, m), shl(8, l1)) // (until the end) [Ex != 0] at bit 8
                m := and(add(ey, m), shl(8, l1)) // [Ey != 0] at bit 8
                mstore(q, or(and(x, mul(l1, 0x7fffff)), shl(15, mx2))) // mantissas < 2^24: fraction | hidden bit
                mstore(add(q, 0x20), or(and(y, mul(l1, 0x7fffff)), shl(15, m)))
                // ex := s = max(Ex, 1) + max(Ey, 1) = Ex + Ey + 2 − [Ex != 0] − [Ey != 0] ∈ [2, 508]: no lane borrows
                ex := sub(add(add(ex, ey), add(l1, l1)), shr(8, add(mx2, m)))
                // lane bits 0..9: s; bit 16: the sign of the product (bit 31 of x ^ y)
                mstore(add(q, 0x40), or(ex, and(shr(15, xor(x, y)), shl(16, l1))))
                // lane-wise max: 0x10000 + m − s ∈ (0xfe00, 0x10200) has bit 16 iff m >= s (lanes <= 508)
                m := mul(and(shr(16, sub(or(mx, shl(16, l1)), ex)), l1), 0xffff)
                mx2 := or(and(mx, m), and(ex, not(m)))
            }

            prep := mload(0x40)
            let q := prep
            let mx := 0 // lane j: the largest exponent sum seen in lane j
            let bad := 0 // lane bit 8 is set iff some operand is NaN/Inf
            let fullEnd := add(pa, shl(5, shr(3, k))) // past the whole words of a
            for {} lt(pa, fullEnd) {
                pa := add(pa, 0x20)
                pb := add(pb, 0x20)
                q := add(q, 0x60)
            } {
                mx, bad := prepare(calldataload(pa), calldataload(pb), q, mx, bad)
            }
            if and(k, 7) {
                // the last, partial word: keep its first k mod 8 lanes (the bytes past them are not the operand's)
                let keepLanes := not(shr(shl(5, and(k, 7)), not(0)))
                mx, bad := prepare(and(calldataload(pa), keepLanes), and(calldataload(pb), keepLanes), q, mx, bad)
                q := add(q, 0x60)
            }
            mstore(0x40, q)
            finite := iszero(and(bad, LANES_100))
            // the horizontal max (cleared lanes hold s = 2 <= every real s, so they never raise it)
            for { let sh := 0 } lt(sh, 256) { sh := add(sh, 32) } {
                let v := and(shr(sh, mx), 0xffff)
                if gt(v, maxE) { maxE := v }
            }
        }
    }

    /// @dev Pass 2 of `checkDotPacked`: with t_i = floor(ma_i·mb_i · 2^(eb_i − maxE + 150)), the term in units
    /// U = 2^base, base = maxE − 450 (as `_dotAccepts`), st = S~ = Σ t_i and ng = Σ t_i over the negative products,
    /// from the `words` triples at `prep` that `_packedPrepare` wrote.
    function _packedSums(uint256 prep, uint256 words, uint256 maxE) private pure returns (uint256 st, uint256 ng) {
        // Assembly: the 8 terms of a word unrolled, each lane read with a constant shift. Safe: it only reads the
        // memory that `_packedPrepare` allocated and wrote.
        assembly ("memory-safe") {
            // The 8 terms of mantissa words a, b and `us` (lane bits 0..9: u = maxE − s, bit 16: the sign), lane 0
            // first. A term t = floor(m · 2^(150 − u)), u ∈ [0, 506], m = ma·mb < 2^48, is (m << 150) >> u:
            // m << 150 < 2^198 is exact, and a shift u >= 256 gives 0 (indeed then m·2^(150−u) < 1).
            // t < 2^198 and k < 2^24: st, ng < 2^222, no wrap.
            function addLanes(a, b, us, st0, ng0) -> st1, ng1 {
                let t := shr(and(shr(224, us), 0x3ff), shl(150, mul(shr(224, a), shr(224, b))))
                st1 := add(st0, t)
                ng1 := add(ng0, mul(t, and(shr(240, us), 1)))
                t := shr(and(shr(192, us), 0x3ff), shl(150, mul(and(shr(192, a), 0xffffff), and(shr(192, b), 0xffffff))))
                st1 := add(st1, t)
                ng1 := add(ng1, mul(t, and(shr(208, us), 1)))
                t := shr(and(shr(160, us), 0x3ff), shl(150, mul(and(shr(160, a), 0xffffff), and(shr(160, b), 0xffffff))))
                st1 := add(st1, t)
                ng1 := add(ng1, mul(t, and(shr(176, us), 1)))
                t := shr(and(shr(128, us), 0x3ff), shl(150, mul(and(shr(128, a), 0xffffff), and(shr(128, b), 0xffffff))))
                st1 := add(st1, t)
                ng1 := add(ng1, mul(t, and(shr(144, us), 1)))
                t := shr(and(shr(96, us), 0x3ff), shl(150, mul(and(shr(96, a), 0xffffff), and(shr(96, b), 0xffffff))))
                st1 := add(st1, t)
                ng1 := add(ng1, mul(t, and(shr(112, us), 1)))
                t := shr(and(shr(64, us), 0x3ff), shl(150, mul(and(shr(64, a), 0xffffff), and(shr(64, b), 0xffffff))))
                st1 := add(st1, t)
                ng1 := add(ng1, mul(t, and(shr(80, us), 1)))
                t := shr(and(shr(32, us), 0x3ff), shl(150, mul(and(shr(32, a), 0xffffff), and(shr(32, b), 0xffffff))))
                st1 := add(st1, t)
                ng1 := add(ng1, mul(t, and(shr(48, us), 1)))
                t := shr(and(us, 0x3ff), shl(150, mul(and(a, 0xffffff), and(b, 0xffffff))))
                st1 := add(st1, t)
                ng1 := add(ng1, mul(t, and(shr(16, us), 1)))
            }

            // maxE in every lane; u = maxE − s >= 0 in every lane (maxE is the max): no lane borrows
            let maxLanes := mul(maxE, LANES_1)
            let l3ff := LANES_3FF
            let end := add(prep, mul(words, 0x60))
            for { let q := prep } lt(q, end) { q := add(q, 0x60) } {
                let ss := mload(add(q, 0x40))
                // us: u = maxE − s, and the sign bits
                st, ng := addLanes(
                    mload(q), mload(add(q, 0x20)), or(sub(maxLanes, and(ss, l3ff)), and(ss, not(l3ff))), st, ng
                )
            }
        }
    }

    /// @dev Pass 1: the exact product of each pair as a packed word, and the largest biased product exponent.
    /// Element i of a is `(mload(pa + i·stride) >> sh) & 0xffffffff` (likewise b). `finite` is false if any operand
    /// is NaN/Inf. Both passes of `checkDot` are assembly for a measured reason: written in Solidity (decode, checked
    /// maths, bounds checks, legacy codegen) the rule cost about 2.35k gas per term (603k for K = 256), this way about
    /// 0.65k (170k); `checkDotPacked`'s lane-parallel passes cost less again (figures there).
    ///
    /// Biased exponents: a float32 with exponent field E ∈ [0, 254] is m·2^(max(E,1) − 150), so a product is
    /// m·2^(eb − 300) with eb = max(Ea,1) + max(Eb,1) ∈ [2, 508] and m = ma·mb < 2^48. Zero products keep their
    /// exponent (that of ±0 is the subnormal one), as in the Solidity reference this replaced.
    function _products(uint256 pa, uint256 pb, uint256 k, uint256 stride, uint256 sh)
        private
        pure
        returns (bool finite, uint256[] memory prods, uint256 maxE)
    {
        prods = new uint256[](k);
        assembly ("memory-safe") {
            finite := 1
            let out := add(prods, 0x20)
            for { let i := 0 } lt(i, k) { i := add(i, 1) } {
                let x := and(shr(sh, mload(add(pa, mul(i, stride)))), 0xffffffff)
                let y := and(shr(sh, mload(add(pb, mul(i, stride)))), 0xffffffff)
                let ex := and(shr(23, x), 0xff)
                let ey := and(shr(23, y), 0xff)
                if or(eq(ex, 0xff), eq(ey, 0xff)) {
                    finite := 0
                    break
                }
                let mx := or(and(x, 0x7fffff), shl(23, iszero(iszero(ex))))
                let my := or(and(y, 0x7fffff), shl(23, iszero(iszero(ey))))
                let e := add(add(ex, iszero(ex)), add(ey, iszero(ey)))
                if gt(e, maxE) { maxE := e }
                // | bit 80: sign | bits 64..79: biased exponent | bits 0..63: mantissa |
                mstore(add(out, shl(5, i)), or(or(mul(mx, my), shl(64, e)), shl(80, shr(31, xor(x, y)))))
            }
        }
    }

    /// @dev Pass 2 of `checkDot` (the sums) and the integer test (`_dotBound`). maxE is the largest biased product
    /// exponent, so maxExp = maxE − 300 ∈ [-298, 208] and base = maxExp − 150 = maxE − 450.
    function _dotAccepts(uint256[] memory prods, uint256 maxE, uint32 claimed) private pure returns (bool) {
        uint256 k = prods.length;
        int256 rt; // r~
        uint256 st; // S~
        assembly ("memory-safe") {
            let p := add(prods, 0x20)
            let end := add(p, shl(5, k))
            // a term's shift is e_biased − (maxE − 150) <= 150 (two's complement: maxE − 150 may be negative)
            let top := sub(maxE, 150)
            for {} lt(p, end) { p := add(p, 0x20) } {
                let w := mload(p)
                let m := and(w, 0xffffffffffffffff)
                let d := sub(and(shr(64, w), 0xffff), top)
                let t := 0
                switch slt(d, 0)
                case 0 { t := shl(d, m) } // exact
                default { t := shr(sub(0, d), m) } // truncated toward zero; a shift >= 256 gives 0
                // t < 2^198 and k < 2^24: |rt|, st < 2^222, so these never wrap.
                st := add(st, t)
                switch and(shr(80, w), 1)
                case 0 { rt := add(rt, t) }
                default { rt := sub(rt, t) }
            }
        }
        return _dotBound(k, maxE, st, rt, claimed);
    }

    /// @dev The integer test of SPEC §6.1 once the terms are summed: accept iff |c~ − r~| <= A + Q (widths in the
    /// library NatSpec), for k terms, the largest biased product exponent maxE ∈ [2, 508] (base = maxE − 450),
    /// S~ = st < 2^222 and r~ = rt, |rt| <= st. `claimed` is finite (checked by the callers).
    function _dotBound(uint256 k, uint256 maxE, uint256 st, int256 rt, uint32 claimed) private pure returns (bool) {
        uint256 q;
        // k·(st + k) < 2^24 · (2^222 + 2^24) < 2^247 and 2^24 − k >= 1: no overflow, exact floor.
        unchecked {
            q = (k * (st + k)) / (TWO_POW_24 - k);
        }
        // A = ceil(k · 2^-126 / 2^base) + k + 1, with −126 − base = 324 − maxE ∈ [-184, 322].
        int256 sa = 324 - int256(maxE);
        Int512.Int memory bound;
        if (sa >= 0) {
            // k < 2^24 and sa <= 322: k << sa < 2^346, an Int512.
            bound = Int512.fromShift(false, k, uint256(sa));
        } else {
            // ceil(k / 2^s) with s <= 184.
            uint256 s = uint256(-sa);
            uint256 roundUp = (k & ((uint256(1) << s) - 1)) != 0 ? 1 : 0;
            bound = Int512.fromUint(false, (k >> s) + roundUp);
        }
        // + (k + 1) truncation units (K terms, one for c) + Q; each < 2^247, the magnitudes stay < 2^347.
        bound = bound.magAdd(Int512.fromUint(false, q + k + 1));

        (bool nc, uint256 mc, int256 ec) = LibFloat32.decode(claimed);
        int256 sc = ec - (int256(maxE) - 450); // ec − base ∈ [-207, 552]
        Int512.Int memory ct;
        if (sc >= 0) {
            // Early reject: c~ >= 2^377 > 2^347 + 2^247 + 2^222 > A + Q + |r~|, so |c~ − r~| > A + Q.
            if (mc != 0 && sc > 376) return false;
            ct = Int512.fromShift(nc, mc, uint256(sc)); // < 2^24 · 2^376 = 2^400
        } else {
            ct = Int512.fromUint(nc, mc >> uint256(-sc));
        }
        Int512.Int memory r = rt >= 0 ? Int512.fromUint(false, uint256(rt)) : Int512.fromUint(true, uint256(-rt));
        return ct.sub(r).magLe(bound);
    }

    // -----------------------------------------------------------------------------------------------------------------
    // Elementwise (SPEC §6.2)
    // -----------------------------------------------------------------------------------------------------------------

    /// @notice Whether `claimed` is an acceptable value of `op(inputs)`: |c − r| <= 2^-23·|r| + 2^-126, r exact.
    /// @param num,den the drop probability num/den (DropoutKeep only: r = x·den/(den − num)); ignored otherwise.
    function checkElementwise(Op op, uint32[] memory inputs, uint256 num, uint256 den, uint32 claimed)
        internal
        pure
        returns (bool)
    {
        uint256 want = op == Op.Add || op == Op.Mul ? 2 : 1;
        // INVARIANT: the op's arity (the template fixes it).
        if (inputs.length != want) revert ToleranceArity(uint256(op), inputs.length, want);
        uint256 q = 1;
        if (op == Op.DropoutKeep) {
            // INVARIANT: 0 <= num < den < 2^32, so q = den − num ∈ [1, 2^32).
            if (num >= den || den > type(uint32).max) revert LibPrg.DropoutRateInvalid(num, den);
            q = den - num;
        }
        if (!LibFloat32.isFinite(claimed)) return false;
        for (uint256 i; i < inputs.length; ++i) {
            if (!LibFloat32.isFinite(inputs[i])) return false;
        }

        // p = r·q, exact, in units of 2^-298 (UNIT_EXP).
        Int512.Int memory p;
        (bool nx, uint256 mx, int256 ex) = LibFloat32.decode(inputs[0]);
        if (op == Op.Add) {
            (bool ny, uint256 my, int256 ey) = LibFloat32.decode(inputs[1]);
            // each |x| < 2^128 → < 2^426 units; the sum < 2^427.
            p = _units(nx, mx, ex).add(_units(ny, my, ey));
        } else if (op == Op.Mul) {
            (bool ny, uint256 my, int256 ey) = LibFloat32.decode(inputs[1]);
            uint256 m = mx * my; // < 2^48
            int256 e = ex + ey; // ∈ [-298, 208]
            // Early reject: |r| >= 2^130 while |c| < 2^128 gives |c − r| >= 3|r|/4 > 2^-23·|r| + 2^-126.
            if (m != 0 && int256(_bitLength(m)) + e > 130) return false;
            p = _units(nx != ny, m, e); // < 2^(130 + 298)
        } else if (op == Op.Relu) {
            p = (!nx && mx != 0) ? _units(false, mx, ex) : Int512.fromUint(false, 0);
        } else if (op == Op.Copy) {
            p = _units(nx, mx, ex);
        } else {
            // DropoutKeep: p = x·den, mx·den < 2^56.
            p = _units(nx, mx * den, ex);
        }

        (bool nc, uint256 mc, int256 ec) = LibFloat32.decode(claimed);
        Int512.Int memory cq = _units(nc, mc * q, ec); // mc·q < 2^56, < 2^(56 + 104 + 298) = 2^458
        // lhs = 2^23·|c·q − p| < 2^482; rhs = |p| + q·2^-103 = |p| + q·2^195 units < 2^459.
        Int512.Int memory lhs = cq.sub(p).magShl(23);
        Int512.Int memory rhs = p.magAdd(Int512.fromShift(false, q, 195));
        return lhs.magLe(rhs);
    }

    /// @notice The dropout rule for one element (SPEC §5.3): a dropped element must be exactly ±0; a kept one must
    /// satisfy the elementwise rule against x·den/(den − num).
    function checkDropout(bool keep, uint256 num, uint256 den, uint32 x, uint32 out) internal pure returns (bool) {
        if (!keep) {
            // INVARIANT: the rate is validated even when the element is dropped.
            if (num >= den || den > type(uint32).max) revert LibPrg.DropoutRateInvalid(num, den);
            return LibFloat32.isZero(out);
        }
        uint32[] memory inputs = new uint32[](1);
        inputs[0] = x;
        return checkElementwise(Op.DropoutKeep, inputs, num, den, out);
    }

    /// @dev (-1)^neg · m · 2^e in units of 2^-298, for m < 2^64, e ∈ [-298, 208] and m·2^(e + 298) < 2^511.
    function _units(bool neg, uint256 m, int256 e) private pure returns (Int512.Int memory) {
        // e >= UNIT_EXP, so the shift is >= 0; callers bound the magnitude (see the library NatSpec), and a zero m
        // with a shift up to 506 yields zero.
        return Int512.fromShift(neg, m, uint256(e - UNIT_EXP));
    }

    /// @dev Number of significant bits of m (0 for 0).
    function _bitLength(uint256 m) private pure returns (uint256 n) {
        while (m != 0) {
            m >>= 1;
            ++n;
        }
    }
}
