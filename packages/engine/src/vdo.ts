/**
 * Fast keep masks and VDO journal hashes, bit-identical to `@refereed/core` (prg.ts keepMask, dropout.ts
 * vdoFields); test/vdo.test.ts checks both against core.
 *
 * - fastKeepMask: the SPEC §5.1 PRG with one native SHA-256 per 8 words and no allocation per block.
 * - journalHashes: maskHash = SHA256(mask bytes), qHash = SHA256(q' as int32le) with
 *   q = roundHalfAway(x·65536), q' = keep ? roundHalfAway(q·den/(den−num)) : 0 (SPEC §5.3). Exact in binary64
 *   when den < 2^20 (then |q|·den < 2^51, so every integer below is exact); other rates use core's BigInt path.
 */
import { hash } from "node:crypto";
import { bitsOf, maskThreshold, NonFiniteError, sha256, vdoFields, QuantizationRangeError, type DropoutRate } from "@refereed/core";

/** Keep mask of the first n elements for seed y (1 = keep), into `out` when given. */
export function fastKeepMask(y: Uint8Array, rate: DropoutRate, n: number, out: Uint8Array = new Uint8Array(n)): Uint8Array {
  if (y.length !== 32) throw new TypeError(`PRG seed y must be 32 bytes, got ${y.length}`);
  if (out.length !== n) throw new RangeError(`mask buffer has ${out.length} elements, need ${n}`);
  const t = maskThreshold(rate);
  const msg = new Uint8Array(40);
  msg.set(y, 0);
  for (let c = 0, e = 0; e < n; c++) {
    // u64le(c): c < 2^53, written as two u32 halves
    let lo = c % 4294967296;
    let hi = Math.floor(c / 4294967296);
    for (let i = 0; i < 4; i++, lo >>>= 8, hi >>>= 8) {
      msg[32 + i] = lo & 0xff;
      msg[36 + i] = hi & 0xff;
    }
    const s = hash("sha256", msg, "binary");
    for (let w = 0; w < 8 && e < n; w++, e++) {
      const u = (s.charCodeAt(4 * w) | (s.charCodeAt(4 * w + 1) << 8) | (s.charCodeAt(4 * w + 2) << 16) | (s.charCodeAt(4 * w + 3) << 24)) >>> 0;
      out[e] = u >= t ? 1 : 0;
    }
  }
  return out;
}

const I32_MAX = 2147483647;

/** round-half-away-from-zero of a/b for integers 0 <= a < 2^52, 0 < b < 2^32 (exact). */
function divRoundHalfAway(a: number, b: number): number {
  let q = Math.floor(a / b);
  let r = a - q * b;
  if (r < 0) {
    q--;
    r += b;
  } else if (r >= b) {
    q++;
    r -= b;
  }
  return 2 * r >= b ? q + 1 : q;
}

export interface JournalHashes {
  readonly maskHash: Uint8Array;
  readonly qHash: Uint8Array;
}

/** maskHash and qHash of one dropout application (x is the dropout node's input). */
export function journalHashes(x: Float32Array, mask: Uint8Array, rate: DropoutRate, scratch?: Int32Array): JournalHashes {
  const n = x.length;
  if (mask.length !== n) throw new RangeError(`mask has ${mask.length} elements, input has ${n}`);
  if (rate.den >= 2 ** 20) {
    const f = vdoFields(x, mask, rate);
    return { maskHash: f.maskHash, qHash: f.qHash };
  }
  const qp = scratch && scratch.length === n ? scratch : new Int32Array(n);
  const den = rate.den;
  const keepDen = rate.den - rate.num;
  for (let i = 0; i < n; i++) {
    const v = x[i]! * 65536; // exact in binary64
    if (!Number.isFinite(v)) throw new NonFiniteError(bitsOf(x[i]!)); // as core's decode
    // |v| + 0.5 is exact whenever it matters (|v| >= 2^-30); below that both roundings give 0
    const a = Math.floor(Math.abs(v) + 0.5);
    if (a > I32_MAX + (v < 0 ? 1 : 0)) throw new QuantizationRangeError(i, BigInt(v < 0 ? -a : a));
    const q = v < 0 ? -a : a;
    if (!mask[i]) {
      qp[i] = 0;
      continue;
    }
    const m = divRoundHalfAway(a * den, keepDen);
    if (m > I32_MAX + (q < 0 ? 1 : 0)) throw new QuantizationRangeError(i, BigInt(q < 0 ? -m : m));
    qp[i] = q < 0 ? -m : m;
  }
  return {
    maskHash: sha256(mask),
    qHash: sha256(new Uint8Array(qp.buffer, qp.byteOffset, 4 * n)),
  };
}
