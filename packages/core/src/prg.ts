/**
 * SHA-256 hash-expander PRG and dropout keep masks (docs/SPEC.md §5), VDO-compatible:
 * block_c = SHA256(y || u64le(c)); element e uses u32le word (e mod 8) of block floor(e/8);
 * keep iff u >= floor(num * 2^32 / den).
 */
import { concat, sha256, u64le } from "./bytes.js";

export interface DropoutRate {
  /** numerator of the drop probability p = num/den */
  readonly num: number;
  /** denominator, 0 <= num < den < 2^32 */
  readonly den: number;
}

export class InvalidDropoutRateError extends Error {
  constructor(readonly num: unknown, readonly den: unknown, reason: string) {
    super(`invalid dropout rate ${String(num)}/${String(den)}: ${reason}`);
    this.name = "InvalidDropoutRateError";
  }
}

export function checkRate(rate: DropoutRate): void {
  const { num, den } = rate;
  if (!Number.isInteger(num) || !Number.isInteger(den)) throw new InvalidDropoutRateError(num, den, "num and den must be integers");
  if (num < 0) throw new InvalidDropoutRateError(num, den, "num must be >= 0");
  if (den <= num) throw new InvalidDropoutRateError(num, den, "need num < den (p < 1)");
  if (den >= 2 ** 32) throw new InvalidDropoutRateError(num, den, "den must be < 2^32");
}

/** floor(num * 2^32 / den): a PRG word below it means "drop". */
export function maskThreshold(rate: DropoutRate): number {
  checkRate(rate);
  return Number((BigInt(rate.num) << 32n) / BigInt(rate.den));
}

/** The PRG block c for seed y (32 bytes). */
export function prgBlock(y: Uint8Array, c: number): Uint8Array {
  if (y.length !== 32) throw new TypeError(`PRG seed y must be 32 bytes, got ${y.length}`);
  return sha256(concat(y, u64le(c)));
}

/** The u32 PRG word of element e. */
export function prgWord(y: Uint8Array, e: number): number {
  const block = prgBlock(y, Math.floor(e / 8));
  return new DataView(block.buffer, block.byteOffset, 32).getUint32((e % 8) * 4, true);
}

/** The keep bit of one element (true = kept). */
export function maskBit(y: Uint8Array, rate: DropoutRate, e: number): boolean {
  return prgWord(y, e) >= maskThreshold(rate);
}

/** First n PRG words (one SHA-256 per 8 words). */
export function prgWords(y: Uint8Array, n: number): Uint32Array {
  if (y.length !== 32) throw new TypeError(`PRG seed y must be 32 bytes, got ${y.length}`);
  const out = new Uint32Array(n);
  const msg = new Uint8Array(40);
  msg.set(y, 0);
  const dv = new DataView(msg.buffer);
  for (let c = 0, e = 0; e < n; c++) {
    dv.setBigUint64(32, BigInt(c), true);
    const block = sha256(msg);
    const bv = new DataView(block.buffer, block.byteOffset, 32);
    for (let w = 0; w < 8 && e < n; w++, e++) out[e] = bv.getUint32(w * 4, true);
  }
  return out;
}

/** Keep mask of the first n elements: 1 = keep, 0 = drop. */
export function keepMask(y: Uint8Array, rate: DropoutRate, n: number): Uint8Array {
  const t = maskThreshold(rate);
  const words = prgWords(y, n);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = words[i]! >= t ? 1 : 0;
  return out;
}

/** The mask as a string of '1' (keep) and '0' (drop). */
export function maskString(mask: Uint8Array): string {
  let s = "";
  for (const b of mask) s += b ? "1" : "0";
  return s;
}
