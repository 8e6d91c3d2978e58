/**
 * Dropout semantics (docs/SPEC.md §5.3): float32 inverted dropout from the PRG keep mask, the acceptance rule
 * for one element, and VDO's quantized journal fields.
 */
import { sha256 } from "./bytes.js";
import { bitsOf, decode, isZeroBits } from "./float32.js";
import { checkRate, keepMask, maskBit, type DropoutRate } from "./prg.js";
import { checkElementwise, type Verdict } from "./tolerance.js";

/** Inverted-dropout scale den/(den-num) as a binary64 (the reference engine multiplies in binary64, then rounds). */
export function dropoutScale(rate: DropoutRate): number {
  checkRate(rate);
  return rate.den / (rate.den - rate.num);
}

/** Reference forward: out_e = keep_e ? fround(x_e · s) : +0. */
export function dropoutForward(x: Float32Array, mask: Uint8Array, rate: DropoutRate, out = new Float32Array(x.length)): Float32Array {
  if (mask.length !== x.length) throw new RangeError(`mask has ${mask.length} elements, input has ${x.length}`);
  const s = dropoutScale(rate);
  for (let i = 0; i < x.length; i++) out[i] = mask[i] ? x[i]! * s : 0;
  return out;
}

/** The one-step rule for a dropout output element given the seed y (bits in, verdict out). */
export function checkDropoutElement(y: Uint8Array, rate: DropoutRate, e: number, xBits: number, outBits: number): Verdict {
  if (!maskBit(y, rate, e)) {
    return isZeroBits(outBits) ? { ok: true } : { ok: false, reason: "out-of-bound", detail: `element ${e} is dropped but not zero` };
  }
  return checkElementwise({ op: "dropoutKeep", inputs: [xBits], num: rate.num, den: rate.den }, outBits);
}

const absB = (v: bigint) => (v < 0n ? -v : v);

/** round-half-away-from-zero of a/b for b > 0 (exact). */
function roundHalfAway(a: bigint, b: bigint): bigint {
  const q = (2n * absB(a) + b) / (2n * b);
  return a < 0n ? -q : q;
}

export class QuantizationRangeError extends RangeError {
  constructor(readonly element: number, readonly value: bigint) {
    super(`VDO quantized value of element ${element} (${value}) does not fit int32`);
    this.name = "QuantizationRangeError";
  }
}

/** q_e = roundHalfAway(x_e · 65536), exactly. */
export function quantize(xBits: number): bigint {
  const { m, e } = decode(xBits);
  const sh = e + 16;
  return sh >= 0 ? m << BigInt(sh) : roundHalfAway(m, 1n << BigInt(-sh));
}

export interface VdoFields {
  readonly q: Int32Array;
  readonly qPrime: Int32Array;
  readonly maskHash: Uint8Array;
  readonly qHash: Uint8Array;
  readonly n: number;
}

const I32_MIN = -(2n ** 31n);
const I32_MAX = 2n ** 31n - 1n;

/** VDO's quantized view of one dropout application. */
export function vdoFields(x: Float32Array, mask: Uint8Array, rate: DropoutRate): VdoFields {
  checkRate(rate);
  const n = x.length;
  const q = new Int32Array(n);
  const qPrime = new Int32Array(n);
  const den = BigInt(rate.den);
  const keepDen = BigInt(rate.den - rate.num);
  for (let i = 0; i < n; i++) {
    const qi = quantize(bitsOf(x[i]!));
    if (qi < I32_MIN || qi > I32_MAX) throw new QuantizationRangeError(i, qi);
    q[i] = Number(qi);
    const qp = mask[i] ? roundHalfAway(qi * den, keepDen) : 0n;
    if (qp < I32_MIN || qp > I32_MAX) throw new QuantizationRangeError(i, qp);
    qPrime[i] = Number(qp);
  }
  const maskBytes = Uint8Array.from(mask, (b) => (b ? 1 : 0));
  return {
    q,
    qPrime,
    maskHash: sha256(maskBytes),
    qHash: sha256(new Uint8Array(qPrime.buffer, qPrime.byteOffset, qPrime.byteLength)),
    n,
  };
}

/** Convenience: full dropout of a tensor from the seed y. */
export function applyDropout(x: Float32Array, y: Uint8Array, rate: DropoutRate) {
  const mask = keepMask(y, rate, x.length);
  return { mask, out: dropoutForward(x, mask, rate), vdo: vdoFields(x, mask, rate) };
}
