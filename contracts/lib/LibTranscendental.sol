// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {LibFloat32} from "./LibFloat32.sol";

/// @title LibTranscendental
/// @notice The softmax and cross-entropy-loss acceptance rules of docs/SPEC.md §6.4, with exp and log evaluated in
/// fixed point. For a row z[0..C) with m = max z, d_k = z_k − m <= 0, s = Σ exp(d_k), p_k = exp(d_k)/s and
/// W = Σ p_k·|d_k|:
///   softmax  accept c iff |c − p_j| <= p_j·(2^-20 + 2^-23·(|d_j| + W + C)) + 2^-126
///   loss     ℓ = log s − d_y;  accept c iff |c − ℓ| <= 2^-20·ℓ + (C + 3)·2^-24 + 2^-126   (ℓ = log s + |d_y|)
/// NaN/Inf anywhere, C = 0 or a label that is not a float32 integer in [0, C) is a violation (returns false).
/// Malformed *requests* (C >= 2^24, softmax index j >= C) revert: they come from the job's template.
/// @dev This is the integer algorithm of `packages/core/src/transcendental.ts`, step for step (same constants, same
/// floors, same loop exits), so both give the same verdict on every input. The module comment there carries the full
/// error analysis; in short (units = 2^-192, ONE = 2^192, η = 2^-118):
///
///   quantity                | representation                  | error                         | width
///   ------------------------+---------------------------------+-------------------------------+-----------------
///   D_k = m − z_k           | exact units (both |·| < 2^40)   | 0 (else D_k = 0 or >= 2^16)   | < 2^233
///   D'_k = D_k at 2^-64     | floor(D_k·2^64) (0 if D >= 2^16)| < 1                           | < 2^71 if Ê_k>2^32
///   Ê_k ≈ exp(−D_k)         | units                           | η·e + 1                       | <= 2^192
///   Ŝ = Σ Ê_k               | units                           | η·(s − ONE) + C               | < 2^216
///   Q̂ = Σ (Ê_k>>32)·D'_k    | 2^-224 (≈ Σ e_k·D_k)            | (used through Ŵ)              | < 2^255
///   Wup ≈ W = Σ p_k·D_k     | Ŵ = Q̂/(Ŝ>>32), + Ŵ/2^115 + 4    | Wup >= W·2^64 (upper bound)   | < 2^69
///   λ̂ ≈ log S               | units                           | λ̂/2^92 + 2C + 64              | < 2^197
///   series (exp, log)       | 2^-128 fixed point              | < 2^6 / < 2^7 of 2^128        | products < 2^256
///
/// exp: D = n·ln2 + r (LN2 = round(ln2·2^192)), exp(−r) by its alternating Taylor series at 2^-128, shifted by n;
/// zero from n >= 200 (exp(−D) < 2^-199.9). log: Ŝ = 2^(192+k)·(1 + T'), log = k·ln2 + 2·atanh(T'/(2 + T')),
/// with T' normalised so that the atanh argument keeps 124 significant bits however close Ŝ is to ONE (the loss of
/// a confident row is tiny and must be accurate relative to itself). The decisions add a slack that covers these
/// errors (the trainer's favour, SPEC §6.4): whenever the exact rule accepts, the integer test accepts.
library LibTranscendental {
    /// @notice The row has more than MAX_COLS elements (the error analysis assumes C < 2^24).
    error TranscendentalRowTooLong(uint256 length, uint256 max);
    /// @notice The softmax element index j is not in [0, C).
    error TranscendentalIndexOutOfRange(uint256 j, uint256 length);

    /// @notice round(ln2 · 2^192) (the next bits of ln2 are 0x8a0d…, so it rounds up); `LN2_FIXED` in packages/core.
    uint256 internal constant LN2 = 0xb17217f7d1cf79abc9e3b39803f2f6af40f343267298b62e;
    /// @notice 1.0 in units of 2^-192.
    uint256 internal constant ONE = 1 << 192;
    /// @notice Largest supported row length.
    uint256 internal constant MAX_COLS = (1 << 24) - 1;
    /// @notice exp(−D) is 0 once floor(D/ln2) >= 200 (below one unit).
    uint256 internal constant EXP_CUTOFF_N = 200;
    /// @notice Float32 exponent field from which |v| >= 2^40.
    uint256 internal constant LARGE_EXP_FIELD = 167;

    /// @notice Largest float32 exponent field of a claimed probability not rejected at once (|c| < 4).
    uint256 internal constant SOFTMAX_MAX_CLAIM_FIELD = 128;
    /// @notice Largest float32 exponent field of a claimed loss not rejected at once when u = 0 (|c| < 2^50).
    uint256 internal constant LOSS_MAX_CLAIM_FIELD = 176;

    uint256 private constant ONE128 = 1 << 128;
    uint256 private constant MASK64 = (1 << 64) - 1;

    // -----------------------------------------------------------------------------------------------------------------
    // Rules
    // -----------------------------------------------------------------------------------------------------------------

    /// @notice Whether `claimed` (float32 bits) is an acceptable softmax element j of `row` (float32 bits).
    function checkSoftmax(uint32[] memory row, uint256 j, uint32 claimed) internal pure returns (bool) {
        uint256 c = row.length;
        // INVARIANT: C = 0 is a violation (SPEC §6.4), checked before j, which then cannot be valid.
        if (c == 0) return false;
        if (c > MAX_COLS) revert TranscendentalRowTooLong(c, MAX_COLS);
        // INVARIANT: the template names an element of the row.
        if (j >= c) revert TranscendentalIndexOutOfRange(j, c);
        (bool finite, uint32 mBits) = _rowMax(row);
        if (!finite || !LibFloat32.isFinite(claimed)) return false;
        // INVARIANT: the bound is below 2^-20 + 2^-23·(1/e + 17 + 2^24) + 2^-126 < 2.01, so |c| >= 4 (exponent field
        // >= 129) is out of bound.
        if ((claimed >> 23) & 0xff > SOFTMAX_MAX_CLAIM_FIELD) return false;

        uint256 sHat;
        uint256 q;
        uint256 eJ;
        uint256 dJ;
        for (uint256 k; k < c; ++k) {
            (uint256 e, uint256 dFix) = _expOfDiff(mBits, row[k]);
            // Each e <= ONE = 2^192 and c < 2^24: Ŝ < 2^216. (e >> 32)·dFix is 0 unless e >= 2^32, and then
            // D_k < 112 so dFix < 2^71: each product < 2^231 and Q̂ < 2^255.
            unchecked {
                sHat += e;
                q += (e >> 32) * dFix;
            }
            if (k == j) (eJ, dJ) = (e, dFix);
        }
        return _softmaxAccepts(sHat, eJ, _relativeTerm(sHat, q, eJ, dJ, c), c, claimed);
    }

    /// @dev The softmax decision given Ŝ, Ê_j and R (see the TypeScript module comment, "Softmax").
    function _softmaxAccepts(uint256 sHat, uint256 eJ, uint256 r, uint256 c, uint32 claimed)
        private
        pure
        returns (bool)
    {
        (bool neg, uint256 mc, int256 ec) = LibFloat32.decode(claimed);
        // |X| = floor(|c|·Ŝ) with mc < 2^24, Ŝ < 2^216: < 2^240; ec ∈ [-149, -22] so -ec is a valid shift. R < 2^194:
        // the bound's terms are each below 2^241 and there are six of them: no overflow. The subtraction is guarded
        // by the comparison.
        unchecked {
            uint256 x = (mc * sHat) >> uint256(-ec);
            uint256 lhs = neg ? x + eJ : (x >= eJ ? x - eJ : eJ - x);
            return lhs <= r + (sHat >> 126) + (x >> 116) + (r >> 116) + (eJ >> 86) + 4 * c + 16;
        }
    }

    /// @dev R = floor(Ê_j·K̂/2^87) up to one unit (split in two products), K̂ = (8 + C)·2^64 + D'_j + Wup (all at
    /// 2^-64): the relative part p_j·(2^-20 + 2^-23·(|d_j| + W + C)) of the softmax bound, times s, in units.
    function _relativeTerm(uint256 sHat, uint256 q, uint256 eJ, uint256 dJ, uint256 c) private pure returns (uint256) {
        // Ŝ >= ONE (the maximum's term), so Ŝ >> 32 >= 2^160 and the division is safe; Ŵ <= W·2^64·(1 + 2^-116) + 2
        // < 2^69 (W < 17). K̂ < 2^89 when Ê_j ≠ 0 (D_j < 133.1): Ê_j·(K̂ >> 64) < 2^192·2^25, Ê_j·(K̂ mod 2^64) < 2^256;
        // when Ê_j = 0 both products are 0 (D'_j < 2^105, so K̂ < 2^106 cannot overflow). R < 2^194.
        unchecked {
            uint256 w = q / (sHat >> 32);
            uint256 kk = ((8 + c) << 64) + dJ + w + (w >> 115) + 4;
            return ((eJ * (kk >> 64)) >> 23) + ((eJ * (kk & MASK64)) >> 87);
        }
    }

    /// @notice Whether `claimed` (float32 bits) is an acceptable cross-entropy loss of `row` for the label `label`
    /// (float32 bits of an integer in [0, C); −0 counts as 0).
    function checkXentLoss(uint32[] memory row, uint32 label, uint32 claimed) internal pure returns (bool) {
        uint256 c = row.length;
        // INVARIANT: C = 0 is a violation (SPEC §6.4).
        if (c == 0) return false;
        if (c > MAX_COLS) revert TranscendentalRowTooLong(c, MAX_COLS);
        (bool finite, uint32 mBits) = _rowMax(row);
        if (!finite || !LibFloat32.isFinite(claimed)) return false;
        (bool labelOk, uint256 y) = _labelIndex(label, c);
        // INVARIANT: the label is a float32 integer in [0, C).
        if (!labelOk) return false;

        uint256 sHat;
        for (uint256 k; k < c; ++k) {
            (uint256 e,) = _expOfDiff(mBits, row[k]);
            // As in checkSoftmax: Ŝ < 2^216.
            unchecked {
                sHat += e;
            }
        }
        // log Ŝ < 17·2^192 < 2^197 (Ŝ < 2^216).
        return _lossAccepts(logFixed(sHat), c, mBits, row[y], claimed);
    }

    /// @dev The loss decision given λ̂ = logFixed(Ŝ), the row length, the row maximum and z_y (see the TypeScript
    /// module comment, "Loss").
    function _lossAccepts(uint256 lam, uint256 c, uint32 mBits, uint32 zBits, uint32 claimed)
        private
        pure
        returns (bool)
    {
        bool large = !_sameValue(mBits, zBits)
            && ((mBits >> 23) & 0xff >= LARGE_EXP_FIELD || (zBits >> 23) & 0xff >= LARGE_EXP_FIELD);
        // INVARIANT (u = 0): ℓ < 2^41 + log C < 2^42 and the bound < 2^22 + 2, so |c| >= 2^50 (exponent field >= 177)
        // is out of bound.
        if (!large && (claimed >> 23) & 0xff > LOSS_MAX_CLAIM_FIELD) return false;
        uint256 u = large ? 92 : 0;
        // Units are 2^(u − 192). bound = A + slack with A = ((C + 3)·2^-24 + 2^-126) in units, rounded up:
        // (C + 3)·2^(168 − u) + (2^66, or 1 for u = 92); A < 2^193, the slack terms < 2^107, c < 2^24: no overflow.
        uint256 bound;
        unchecked {
            bound = ((c + 3) << (168 - u)) + (large ? 1 : uint256(1) << 66) + ((lam >> 91) >> u) + ((4 * c + 128) >> u)
                + 12;
        }
        // D = m − z_y >= 0 in units: 0 for equal values (which may be >= 2^40: not converted), exact for u = 0
        // otherwise (values < 2^40 → < 2^232), within 2 units for u = 92 (each < 2^228); L < 2^230 + 2^197.
        uint256 l = lam >> u;
        if (!_sameValue(mBits, zBits)) l += uint256(_toUnits(mBits, int256(u) - 192) - _toUnits(zBits, int256(u) - 192));
        // X = c in units: |X| < 2^242 (u = 0, |c| < 2^50) or < 2^228 (u = 92), and L < 2^231: the signed difference
        // fits int256 and its magnitude uint256; L/2^20 + bound < 2^232 + 2^194.
        unchecked {
            int256 diff = _toUnits(claimed, int256(u) - 192) - int256(l);
            return (diff >= 0 ? uint256(diff) : uint256(-diff)) <= (l >> 20) + bound;
        }
    }

    // -----------------------------------------------------------------------------------------------------------------
    // Fixed-point exp and log
    // -----------------------------------------------------------------------------------------------------------------

    /// @notice exp(−d/2^192)·2^192 for d < 2^233: relative error <= 2^-118 plus one unit (2^-192).
    function expNegFixed(uint256 d) internal pure returns (uint256) {
        uint256 n = d / LN2;
        if (n >= EXP_CUTOFF_N) return 0;
        uint256 pos = ONE128;
        uint256 neg;
        // n < 200 so n·LN2 <= d < 2^233; r = (d − n·LN2)/2^64 < LN2/2^64 < 2^128. Series: t <= 2^128 and r < 2^128,
        // so t·r < 2^256; the terms decrease (r/i < 1), so Σ odd terms < Σ even terms (pos − neg > 2^127, see the
        // TypeScript analysis) and pos < 2^129; the division by i >= 1 is safe. The loop ends: t shrinks by r/(i·2^128)
        // < 0.7/i per step and is 0 after at most 40 steps.
        unchecked {
            uint256 r = (d - n * LN2) >> 64;
            uint256 t = ONE128;
            for (uint256 i = 1; t != 0; i += 2) {
                t = ((t * r) >> 128) / i;
                neg += t;
                t = ((t * r) >> 128) / (i + 1);
                pos += t;
            }
            uint256 p = pos - neg;
            return n <= 64 ? p << (64 - n) : p >> (n - 64);
        }
    }

    /// @notice log(s/2^192)·2^192 for 2^192 <= s < 2^217: relative error < 2^-120 plus k/2 + 1 units.
    function logFixed(uint256 s) internal pure returns (uint256 lam) {
        uint256 k = _bitLength(s) - 193; // s >= 2^192 (callers: the row maximum contributes exactly ONE)
        uint256 f = 192 + k;
        // k <= 24: k·LN2 < 2^197; x = s − 2^f < 2^f.
        uint256 x = s - (uint256(1) << f);
        lam = k * LN2;
        if (x == 0) return lam;
        uint256 b = _bitLength(x);
        // b <= f, so sh = f − b >= 0 (at most 216).
        unchecked {
            uint256 sh = f - b;
            uint256 t = b > 128 ? x >> (b - 128) : x << (128 - b); // t ∈ [2^127, 2^128)
            // den ∈ [2^129, 2^129 + 2^128); t·2^127 < 2^255; U ∈ (2^124.4, 2^126). A shift by >= 256 yields 0.
            uint256 uu = (t << 127) / ((uint256(1) << 129) + (t >> sh));
            uint256 v = (uu * uu) >> (126 + 2 * sh); // u² at 2^-128, <= 2^128/9
            uint256 g = ONE128;
            uint256 pw = ONE128;
            // pw <= 2^128 and v < 2^125: pw·v < 2^253. G < 1.04·2^128. pw shrinks by v/2^128 <= 1/9 per step: the loop
            // ends after at most 42 steps.
            for (uint256 i = 3; pw != 0; i += 2) {
                pw = (pw * v) >> 128;
                g += pw / i;
            }
            // U·G < 2^126 · 1.04·2^128 < 2^255; lam + that < 2^197 + 2^193.
            lam += (uu * g) >> (62 + sh);
        }
    }

    // -----------------------------------------------------------------------------------------------------------------
    // Row helpers
    // -----------------------------------------------------------------------------------------------------------------

    /// @dev Ê = exp(z − m)·2^192 for the row maximum m and an element z (both finite), and D' = floor((m − z)·2^64)
    /// (0 when the values are equal or one is >= 2^40, where Ê = 0).
    function _expOfDiff(uint32 mBits, uint32 zBits) private pure returns (uint256 e, uint256 dFix) {
        if (_sameValue(mBits, zBits)) return (ONE, 0);
        // Values differ and one is >= 2^40: m − z >= 2^16, exp(z − m) < 2^-90000.
        if ((mBits >> 23) & 0xff >= LARGE_EXP_FIELD || (zBits >> 23) & 0xff >= LARGE_EXP_FIELD) return (0, 0);
        // Both < 2^40: exact units < 2^232, and m >= z so the difference is >= 0.
        uint256 dHat = uint256(_toUnits(mBits, -192) - _toUnits(zBits, -192));
        return (expNegFixed(dHat), dHat >> 128);
    }

    /// @dev Whether every element is finite, and the bits of a maximum (the first one in row order).
    function _rowMax(uint32[] memory row) private pure returns (bool finite, uint32 mBits) {
        uint256 bestKey;
        for (uint256 k; k < row.length; ++k) {
            uint32 b = row[k];
            if (!LibFloat32.isFinite(b)) return (false, 0);
            // Total order key of a float32: negatives reversed below positives (−0 < +0, equal values anyway).
            uint256 key = b & 0x80000000 != 0 ? uint256(~b & 0xffffffff) : uint256(b) | 0x100000000;
            // Strictly greater: ties keep the first maximum (−0 before +0 are equal values: either is fine).
            if (k == 0 || key > bestKey) {
                bestKey = key;
                mBits = b;
            }
        }
        finite = true;
    }

    /// @dev The label as an index: a finite float32 integer in [0, c); −0 is 0.
    function _labelIndex(uint32 label, uint256 c) private pure returns (bool ok, uint256 y) {
        if (!LibFloat32.isFinite(label)) return (false, 0);
        (bool neg, uint256 m, int256 e) = LibFloat32.decode(label);
        if (m == 0) return (true, 0);
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

    /// @dev Same value: bit-equal, or both zero (±0).
    function _sameValue(uint32 a, uint32 b) private pure returns (bool) {
        return a == b || (a & 0x7fffffff == 0 && b & 0x7fffffff == 0);
    }

    /// @dev v·2^(−unitExp) truncated toward zero, for a finite float32 v; callers keep it below 2^255.
    function _toUnits(uint32 bits, int256 unitExp) private pure returns (int256) {
        (bool neg, uint256 m, int256 e) = LibFloat32.decode(bits);
        int256 sh = e - unitExp;
        uint256 mag = sh >= 0 ? m << uint256(sh) : m >> uint256(-sh);
        return neg ? -int256(mag) : int256(mag);
    }

    /// @dev Number of significant bits of x (0 for 0), by binary search.
    function _bitLength(uint256 x) private pure returns (uint256 n) {
        if (x >> 128 != 0) {
            x >>= 128;
            n += 128;
        }
        if (x >> 64 != 0) {
            x >>= 64;
            n += 64;
        }
        if (x >> 32 != 0) {
            x >>= 32;
            n += 32;
        }
        if (x >> 16 != 0) {
            x >>= 16;
            n += 16;
        }
        if (x >> 8 != 0) {
            x >>= 8;
            n += 8;
        }
        if (x >> 4 != 0) {
            x >>= 4;
            n += 4;
        }
        if (x >> 2 != 0) {
            x >>= 2;
            n += 2;
        }
        if (x >> 1 != 0) {
            x >>= 1;
            n += 1;
        }
        n += x;
    }
}
