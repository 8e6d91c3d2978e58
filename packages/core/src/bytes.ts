/** Byte helpers shared by every encoder. Integers in hashed structures are big-endian (docs/SPEC.md). */
import { hash } from "node:crypto";

export type Bytes = Uint8Array;
export type Hex = `0x${string}`;

/** SHA-256, using Node's native implementation (SHA-NI where the CPU has it). */
export function sha256(data: Uint8Array): Uint8Array {
  const out = hash("sha256", data, "buffer") as Buffer;
  return new Uint8Array(out.buffer, out.byteOffset, 32);
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  let len = 0;
  for (const p of parts) len += p.length;
  const out = new Uint8Array(len);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function u8(v: number): Uint8Array {
  if (!Number.isInteger(v) || v < 0 || v > 0xff) throw new RangeError(`u8 out of range: ${v}`);
  return Uint8Array.of(v);
}

export function u32be(v: number): Uint8Array {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RangeError(`u32 out of range: ${v}`);
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, v, false);
  return out;
}

export function u64be(v: number | bigint): Uint8Array {
  const b = BigInt(v);
  if (b < 0n || b > 0xffffffffffffffffn) throw new RangeError(`u64 out of range: ${v}`);
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, b, false);
  return out;
}

export function u64le(v: number | bigint): Uint8Array {
  const b = BigInt(v);
  if (b < 0n || b > 0xffffffffffffffffn) throw new RangeError(`u64 out of range: ${v}`);
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, b, true);
  return out;
}

export function toHex(b: Uint8Array): Hex {
  return `0x${Buffer.from(b.buffer, b.byteOffset, b.length).toString("hex")}`;
}

/** Parses 0x-prefixed (or bare) hex; `expectedLength` in bytes, when given, is enforced. */
export function fromHex(h: string, expectedLength?: number, what = "hex value"): Uint8Array {
  const s = h.startsWith("0x") || h.startsWith("0X") ? h.slice(2) : h;
  if (s.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(s)) throw new TypeError(`${what}: not a hex string: ${h.slice(0, 20)}`);
  if (expectedLength !== undefined && s.length !== expectedLength * 2) {
    throw new TypeError(`${what}: expected ${expectedLength} bytes, got ${s.length / 2}`);
  }
  return new Uint8Array(Buffer.from(s, "hex"));
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}

export const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
