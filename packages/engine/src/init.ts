/**
 * Deterministic parameter initialization from a 32-byte seed (no platform RNG).
 *
 * PRG: SHA-256 in counter mode, block_c = SHA256("REFEREED-V1-INIT" || seed || u32be(paramId) || u64be(c)),
 * eight u32 words per block read little-endian; element e of parameter p uses word e of its stream.
 * Value: "he" init is fround(limit · (2·(u + 0.5)/2^32 − 1)), limit = fround(sqrt(6/fanIn)) computed with
 * detSqrt (binary64, deterministic); "zeros" is +0.
 */
import { sha256, utf8 } from "@refereed/core";
import { detSqrt } from "./detmath.js";
import { ConfigError } from "./errors.js";
import type { GraphTemplate, ParamSpec } from "./graph.js";
import { numel } from "./graph.js";

const INIT_TAG = utf8("REFEREED-V1-INIT");

/** The first n words of the init stream of parameter `paramId`. */
export function initWords(seed: Uint8Array, paramId: number, n: number): Uint32Array {
  if (seed.length !== 32) throw new ConfigError("initSeed", `must be 32 bytes, got ${seed.length}`);
  const msg = new Uint8Array(INIT_TAG.length + 32 + 4 + 8);
  msg.set(INIT_TAG, 0);
  msg.set(seed, INIT_TAG.length);
  const dv = new DataView(msg.buffer);
  dv.setUint32(INIT_TAG.length + 32, paramId, false);
  const out = new Uint32Array(n);
  for (let c = 0, e = 0; e < n; c++) {
    dv.setBigUint64(INIT_TAG.length + 36, BigInt(c), false);
    const block = sha256(msg);
    const bv = new DataView(block.buffer, block.byteOffset, 32);
    for (let w = 0; w < 8 && e < n; w++, e++) out[e] = bv.getUint32(4 * w, true);
  }
  return out;
}

export function initParam(seed: Uint8Array, p: ParamSpec): Float32Array {
  const n = numel(p.shape);
  const out = new Float32Array(n);
  if (p.init === "zeros") return out;
  const limit = Math.fround(detSqrt(6 / p.fanIn));
  const words = initWords(seed, p.id, n);
  for (let i = 0; i < n; i++) out[i] = limit * ((2 * (words[i]! + 0.5)) / 4294967296 - 1);
  return out;
}

/** The initial state (every parameter of the template) from a seed. */
export function initState(t: GraphTemplate, seed: Uint8Array): Float32Array[] {
  return t.params.map((p) => initParam(seed, p));
}
