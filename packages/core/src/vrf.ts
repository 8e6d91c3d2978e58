/**
 * BLS12-381 min-sig as a VRF (docs/SPEC.md §4), the off-chain twin of contracts/lib/LibBlsVrf.sol.
 *
 *   PK  = sk·G2                      (256-byte EIP-2537 G2 encoding)
 *   x   = H("REFEREED-V1-CTX" || modelId || u64be(step) || u64be(batchId) || nonce || u32be(layerId))
 *   pi  = sk·H1(x)                   (128-byte EIP-2537 G1 encoding, H1 = RFC 9380 hash_to_curve, VRF DST)
 *   y   = H(pi)
 *   pop = sk·H1'(PK encoding)        (POP DST)
 *
 * Verification: strict EIP-2537 decoding of PK and pi (16 zero bytes per Fp, value < p, not infinity, on the
 * curve, in the prime-order subgroup), then e(pi, −G2)·e(H1(x), PK) == 1.
 *
 * BLS signatures are unique: for a fixed (PK, x) exactly one pi verifies, so a trainer cannot grind the mask.
 */
import { bls12_381 } from "@noble/curves/bls12-381.js";
import type { WeierstrassPoint } from "@noble/curves/abstract/weierstrass.js";
import type { Fp2 } from "@noble/curves/abstract/tower.js";
import { extract as hkdfExtract, expand as hkdfExpand } from "@noble/hashes/hkdf.js";
import { sha256 as nobleSha256 } from "@noble/hashes/sha2.js";
import { randomBytes } from "node:crypto";
import { concat, sha256, u32be, u64be, utf8 } from "./bytes.js";

// ───────────────────────────── constants ─────────────────────────────

/** RFC 9380 DST of H1, the hash of a VRF context x onto G1. */
export const VRF_DST = "REFEREED-V1-VRF_BLS12381G1_XMD:SHA-256_SSWU_RO_";
/** RFC 9380 DST of H1', the hash of a public key (256-byte encoding) onto G1 for the proof of possession. */
export const POP_DST = "REFEREED-V1-POP_BLS12381G1_XMD:SHA-256_SSWU_RO_";
/** Prefix of the context preimage (15 bytes). */
export const CONTEXT_TAG = "REFEREED-V1-CTX";

/** Byte lengths of the EIP-2537 encodings. */
export const FP_BYTES = 64;
export const G1_BYTES = 128;
export const G2_BYTES = 256;
/** Secret keys are 32-byte big-endian scalars in [1, r). */
export const SECRET_KEY_BYTES = 32;

const Fp = bls12_381.fields.Fp;
const Fp2 = bls12_381.fields.Fp2;
const G1 = bls12_381.G1.Point;
const G2 = bls12_381.G2.Point;
/** Base field modulus p. */
export const FIELD_MODULUS: bigint = Fp.ORDER;
/** Order r of G1, G2 and of the scalar field. */
export const GROUP_ORDER: bigint = bls12_381.fields.Fr.ORDER;

type G1Point = WeierstrassPoint<bigint>;
type G2Point = WeierstrassPoint<Fp2>;

// ───────────────────────────── errors ─────────────────────────────

/** Why a VRF input was refused. Stable strings: they appear in vectors/vrf.json and in the CLI output. */
export type VrfFailureReason =
  | "bad-length" // the encoding does not have the required byte length
  | "nonzero-padding" // one of the 16 leading bytes of a 64-byte field element is not zero
  | "field-not-reduced" // a field element is >= p
  | "infinity" // the point at infinity (all-zero encoding)
  | "not-on-curve" // the coordinates do not satisfy the curve equation
  | "not-in-subgroup" // on the curve but not in the prime-order subgroup
  | "pairing-mismatch"; // well-formed, but e(pi, −G2)·e(H1(x), PK) != 1

/** Base class of every VRF error: `subject` names the input ("pi", "pk", "pop", "sk", …). */
export class VrfError extends Error {
  constructor(
    readonly subject: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "VrfError";
  }
}

/** An EIP-2537 encoding was refused. */
export class Eip2537EncodingError extends VrfError {
  constructor(
    subject: string,
    readonly reason: Exclude<VrfFailureReason, "pairing-mismatch">,
    detail: string,
  ) {
    super(subject, `${subject}: ${reason}: ${detail}`);
    this.name = "Eip2537EncodingError";
  }
}

/** The pairing equation does not hold for well-formed inputs. */
export class VrfPairingMismatchError extends VrfError {
  readonly reason = "pairing-mismatch" as const;
  constructor(subject: string, detail: string) {
    super(subject, `${subject}: pairing-mismatch: ${detail}`);
    this.name = "VrfPairingMismatchError";
  }
}

/** A secret key or key-generation seed is malformed. */
export class InvalidSecretKeyError extends VrfError {
  constructor(detail: string) {
    super("sk", `invalid secret key: ${detail}`);
    this.name = "InvalidSecretKeyError";
  }
}

/** A context field is out of its range. */
export class InvalidVrfContextError extends VrfError {
  constructor(
    readonly field: keyof VrfContext,
    detail: string,
  ) {
    super(field, `invalid VRF context field ${field}: ${detail}`);
    this.name = "InvalidVrfContextError";
  }
}

// ───────────────────────────── EIP-2537 encodings ─────────────────────────────

function bytesToBigint(b: Uint8Array): bigint {
  let v = 0n;
  for (const byte of b) v = (v << 8n) | BigInt(byte);
  return v;
}

/** 64-byte EIP-2537 field element: 16 zero bytes then the 48-byte big-endian value. */
export function encodeFp(v: bigint): Uint8Array {
  if (v < 0n || v >= FIELD_MODULUS) throw new RangeError(`field element out of range [0, p): ${v}`);
  const out = new Uint8Array(FP_BYTES);
  let t = v;
  for (let i = FP_BYTES - 1; i >= 16 && t > 0n; i--) {
    out[i] = Number(t & 0xffn);
    t >>= 8n;
  }
  return out;
}

/** Strict decoding of one 64-byte field element (padding zero, value < p). */
export function decodeFp(b: Uint8Array, subject = "field element"): bigint {
  if (b.length !== FP_BYTES) throw new Eip2537EncodingError(subject, "bad-length", `expected ${FP_BYTES} bytes, got ${b.length}`);
  for (let i = 0; i < 16; i++) {
    if (b[i] !== 0) throw new Eip2537EncodingError(subject, "nonzero-padding", `padding byte ${i} is 0x${b[i]!.toString(16).padStart(2, "0")}`);
  }
  const v = bytesToBigint(b.subarray(16));
  if (v >= FIELD_MODULUS) throw new Eip2537EncodingError(subject, "field-not-reduced", `value 0x${v.toString(16)} >= p`);
  return v;
}

function isZero(b: Uint8Array): boolean {
  for (const byte of b) if (byte !== 0) return false;
  return true;
}

/** 128-byte EIP-2537 encoding of a G1 point (`x || y`, infinity = all zeros). */
export function encodeG1(p: G1Point): Uint8Array {
  if (p.is0()) return new Uint8Array(G1_BYTES);
  const { x, y } = p.toAffine();
  return concat(encodeFp(x), encodeFp(y));
}

/** 256-byte EIP-2537 encoding of a G2 point (`x.c0 || x.c1 || y.c0 || y.c1`, infinity = all zeros). */
export function encodeG2(p: G2Point): Uint8Array {
  if (p.is0()) return new Uint8Array(G2_BYTES);
  const { x, y } = p.toAffine();
  return concat(encodeFp(x.c0), encodeFp(x.c1), encodeFp(y.c0), encodeFp(y.c1));
}

export interface DecodeOptions {
  /** Accept the all-zero encoding (infinity). Default false: the SPEC refuses infinity for pk, pi and pop. */
  readonly allowInfinity?: boolean;
  /** Skip the prime-order subgroup check (used only to build test vectors of off-subgroup points). */
  readonly skipSubgroupCheck?: boolean;
}

/** Strict decoding of a 128-byte G1 point: canonical field elements, infinity refused, on curve, in G1. */
export function decodeG1(b: Uint8Array, subject = "G1 point", opts: DecodeOptions = {}): G1Point {
  if (b.length !== G1_BYTES) throw new Eip2537EncodingError(subject, "bad-length", `expected ${G1_BYTES} bytes, got ${b.length}`);
  const x = decodeFp(b.subarray(0, 64), `${subject}.x`);
  const y = decodeFp(b.subarray(64, 128), `${subject}.y`);
  if (isZero(b)) {
    if (opts.allowInfinity) return G1.ZERO;
    throw new Eip2537EncodingError(subject, "infinity", "the point at infinity is not allowed");
  }
  // y^2 = x^3 + 4
  if (!Fp.eql(Fp.sqr(y), Fp.add(Fp.mul(Fp.sqr(x), x), 4n))) {
    throw new Eip2537EncodingError(subject, "not-on-curve", "y^2 != x^3 + 4");
  }
  const p = G1.fromAffine({ x, y });
  if (!opts.skipSubgroupCheck && !p.isTorsionFree()) {
    throw new Eip2537EncodingError(subject, "not-in-subgroup", "point is not in the prime-order subgroup G1");
  }
  return p;
}

/** B' = 4(1 + i), the constant of the G2 twist y^2 = x^3 + 4(1 + i). */
const G2_B: Fp2 = Fp2.create({ c0: 4n, c1: 4n });

/** Strict decoding of a 256-byte G2 point: canonical field elements, infinity refused, on the twist, in G2. */
export function decodeG2(b: Uint8Array, subject = "G2 point", opts: DecodeOptions = {}): G2Point {
  if (b.length !== G2_BYTES) throw new Eip2537EncodingError(subject, "bad-length", `expected ${G2_BYTES} bytes, got ${b.length}`);
  const xc0 = decodeFp(b.subarray(0, 64), `${subject}.x.c0`);
  const xc1 = decodeFp(b.subarray(64, 128), `${subject}.x.c1`);
  const yc0 = decodeFp(b.subarray(128, 192), `${subject}.y.c0`);
  const yc1 = decodeFp(b.subarray(192, 256), `${subject}.y.c1`);
  if (isZero(b)) {
    if (opts.allowInfinity) return G2.ZERO;
    throw new Eip2537EncodingError(subject, "infinity", "the point at infinity is not allowed");
  }
  const x = Fp2.create({ c0: xc0, c1: xc1 });
  const y = Fp2.create({ c0: yc0, c1: yc1 });
  if (!Fp2.eql(Fp2.sqr(y), Fp2.add(Fp2.mul(Fp2.sqr(x), x), G2_B))) {
    throw new Eip2537EncodingError(subject, "not-on-curve", "y^2 != x^3 + 4(1+i)");
  }
  const p = G2.fromAffine({ x, y });
  if (!opts.skipSubgroupCheck && !p.isTorsionFree()) {
    throw new Eip2537EncodingError(subject, "not-in-subgroup", "point is not in the prime-order subgroup G2");
  }
  return p;
}

// ───────────────────────────── hash to curve ─────────────────────────────

/** H1: RFC 9380 hash_to_curve onto G1 (suite BLS12381G1_XMD:SHA-256_SSWU_RO_) with the given DST. */
export function hashToG1(msg: Uint8Array, dst: string = VRF_DST): G1Point {
  return bls12_381.G1.hashToCurve(msg, { DST: dst });
}

// ───────────────────────────── keys ─────────────────────────────

export interface VrfKeyPair {
  /** 32-byte big-endian scalar in [1, r). */
  readonly sk: Uint8Array;
  /** 256-byte EIP-2537 G2 encoding of sk·G2. */
  readonly pk: Uint8Array;
  /** 128-byte proof of possession: sk·H1'(pk) under POP_DST. */
  readonly pop: Uint8Array;
}

const KEYGEN_SALT = utf8("BLS-SIG-KEYGEN-SALT-");

/**
 * KeyGen of draft-irtf-cfrg-bls-signature-05 §2.3 (HKDF-SHA-256, L = 48), the one EIP-2333 uses:
 * deterministic from an input key material of at least 32 bytes.
 */
export function secretKeyFromSeed(ikm: Uint8Array, keyInfo: Uint8Array = new Uint8Array(0)): Uint8Array {
  if (ikm.length < 32) throw new InvalidSecretKeyError(`key-generation seed must be at least 32 bytes, got ${ikm.length}`);
  const L = 48;
  let salt = KEYGEN_SALT;
  for (;;) {
    salt = sha256(salt);
    const prk = hkdfExtract(nobleSha256, concat(ikm, Uint8Array.of(0)), salt);
    const okm = hkdfExpand(nobleSha256, prk, concat(keyInfo, Uint8Array.of(0, L)), L);
    const sk = bytesToBigint(okm) % GROUP_ORDER;
    if (sk !== 0n) return scalarToBytes(sk);
  }
}

function scalarToBytes(s: bigint): Uint8Array {
  const out = new Uint8Array(SECRET_KEY_BYTES);
  let t = s;
  for (let i = SECRET_KEY_BYTES - 1; i >= 0; i--) {
    out[i] = Number(t & 0xffn);
    t >>= 8n;
  }
  return out;
}

/** Parses a 32-byte big-endian secret key and checks 1 <= sk < r. */
export function secretKeyScalar(sk: Uint8Array): bigint {
  if (sk.length !== SECRET_KEY_BYTES) throw new InvalidSecretKeyError(`expected ${SECRET_KEY_BYTES} bytes, got ${sk.length}`);
  const s = bytesToBigint(sk);
  if (s === 0n) throw new InvalidSecretKeyError("sk is zero");
  if (s >= GROUP_ORDER) throw new InvalidSecretKeyError("sk >= r (group order)");
  return s;
}

/** PK = sk·G2, 256-byte EIP-2537 encoding. */
export function vrfPublicKey(sk: Uint8Array): Uint8Array {
  return encodeG2(G2.BASE.multiply(secretKeyScalar(sk)));
}

/** Proof of possession: sk·H1'(PK encoding) under POP_DST, 128-byte G1 encoding. */
export function popProve(sk: Uint8Array): Uint8Array {
  const s = secretKeyScalar(sk);
  const pk = encodeG2(G2.BASE.multiply(s));
  return encodeG1(hashToG1(pk, POP_DST).multiply(s));
}

/** Key pair from a seed (>= 32 bytes of input key material), or from 32 fresh random bytes. */
export function vrfKeygen(seed?: Uint8Array): VrfKeyPair {
  const sk = secretKeyFromSeed(seed ?? new Uint8Array(randomBytes(32)));
  return { sk, pk: vrfPublicKey(sk), pop: popProve(sk) };
}

// ───────────────────────────── context, eval, verify ─────────────────────────────

export interface VrfContext {
  /** The job's spec hash, 32 bytes. */
  readonly modelId: Uint8Array;
  /** u64 */
  readonly step: number | bigint;
  /** u64 */
  readonly batchId: number | bigint;
  /** The job nonce from the chain, 32 bytes. */
  readonly nonce: Uint8Array;
  /** u32 */
  readonly layerId: number;
}

const U64_MAX = 0xffffffffffffffffn;

function checkU64(field: "step" | "batchId", v: number | bigint): void {
  if (typeof v === "number" && !Number.isSafeInteger(v)) throw new InvalidVrfContextError(field, `not a safe integer: ${v}`);
  const b = BigInt(v);
  if (b < 0n || b > U64_MAX) throw new InvalidVrfContextError(field, `out of u64 range: ${v}`);
}

/** x = H("REFEREED-V1-CTX" || modelId(32) || u64be(step) || u64be(batchId) || nonce(32) || u32be(layerId)). */
export function vrfContext(ctx: VrfContext): Uint8Array {
  if (ctx.modelId.length !== 32) throw new InvalidVrfContextError("modelId", `expected 32 bytes, got ${ctx.modelId.length}`);
  if (ctx.nonce.length !== 32) throw new InvalidVrfContextError("nonce", `expected 32 bytes, got ${ctx.nonce.length}`);
  checkU64("step", ctx.step);
  checkU64("batchId", ctx.batchId);
  if (!Number.isInteger(ctx.layerId) || ctx.layerId < 0 || ctx.layerId > 0xffffffff) {
    throw new InvalidVrfContextError("layerId", `out of u32 range: ${ctx.layerId}`);
  }
  return sha256(concat(utf8(CONTEXT_TAG), ctx.modelId, u64be(ctx.step), u64be(ctx.batchId), ctx.nonce, u32be(ctx.layerId)));
}

export interface VrfOutput {
  /** 128-byte EIP-2537 G1 encoding of sk·H1(x). */
  readonly pi: Uint8Array;
  /** y = sha256(pi), the PRG seed. */
  readonly y: Uint8Array;
}

/** pi = sk·H1(x), y = sha256(pi). Deterministic. */
export function vrfEval(sk: Uint8Array, x: Uint8Array): VrfOutput {
  const s = secretKeyScalar(sk);
  const pi = encodeG1(hashToG1(x, VRF_DST).multiply(s));
  return { pi, y: sha256(pi) };
}

/** y = sha256(pi), the VRF output. */
export function vrfOutput(pi: Uint8Array): Uint8Array {
  return sha256(pi);
}

export type VrfVerifyResult =
  | { readonly valid: true; readonly y: Uint8Array }
  | { readonly valid: false; readonly reason: VrfFailureReason; readonly error: VrfError };

const NEG_G2 = G2.BASE.negate();

/** e(sig, −G2)·e(hm, PK) == 1, one multi-pairing with a single final exponentiation. */
function pairingCheck(sig: G1Point, hm: G1Point, pk: G2Point): boolean {
  const gt = bls12_381.pairingBatch([
    { g1: sig, g2: NEG_G2 },
    { g1: hm, g2: pk },
  ]);
  return bls12_381.fields.Fp12.eql(gt, bls12_381.fields.Fp12.ONE);
}

function failure(e: unknown): { valid: false; reason: VrfFailureReason; error: VrfError } {
  if (e instanceof Eip2537EncodingError || e instanceof VrfPairingMismatchError) return { valid: false, reason: e.reason, error: e };
  throw e;
}

/**
 * Verifies a VRF proof. `x` must be the context computed by the verifier (never taken from the prover).
 * Returns y on success, or the reason of the failure (never throws on a bad pk/pi; throws on a bad x length).
 */
export function vrfVerify(pk: Uint8Array, x: Uint8Array, pi: Uint8Array): VrfVerifyResult {
  if (x.length !== 32) throw new TypeError(`VRF context x must be 32 bytes, got ${x.length}`);
  try {
    const P = decodeG2(pk, "pk");
    const S = decodeG1(pi, "pi");
    if (!pairingCheck(S, hashToG1(x, VRF_DST), P)) throw new VrfPairingMismatchError("pi", "pi is not the VRF proof of x under pk");
    return { valid: true, y: sha256(pi) };
  } catch (e) {
    return failure(e);
  }
}

/** Like vrfVerify, but returns y or throws the VrfError. */
export function vrfVerifyOrThrow(pk: Uint8Array, x: Uint8Array, pi: Uint8Array): Uint8Array {
  const r = vrfVerify(pk, x, pi);
  if (!r.valid) throw r.error;
  return r.y;
}

export type PopVerifyResult =
  | { readonly valid: true }
  | { readonly valid: false; readonly reason: VrfFailureReason; readonly error: VrfError };

/** Verifies a proof of possession: e(pop, −G2)·e(H1'(pk), PK) == 1 with POP_DST. */
export function popVerify(pk: Uint8Array, pop: Uint8Array): PopVerifyResult {
  try {
    const P = decodeG2(pk, "pk");
    const S = decodeG1(pop, "pop");
    if (!pairingCheck(S, hashToG1(pk, POP_DST), P)) throw new VrfPairingMismatchError("pop", "pop is not a proof of possession of pk");
    return { valid: true };
  } catch (e) {
    return failure(e);
  }
}

/** Internal building blocks for tests and vector generation (points, not encodings). */
export const vrfInternals = {
  G1,
  G2,
  Fp,
  Fp2,
  pairingCheck,
  scalarToBytes,
  bytesToBigint,
} as const;
