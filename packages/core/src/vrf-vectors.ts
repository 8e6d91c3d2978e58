/**
 * Deterministic generator of vectors/vrf.json (format in vectors/README.md). Fixed seeds only: running it
 * twice gives the same file. Every case carries `reason` (the failure reason of vrfVerify, or "ok") so both
 * test suites can check not only *that* a case fails but *why*.
 */
import { concat, sha256, toHex, utf8 } from "./bytes.js";
import {
  FIELD_MODULUS,
  POP_DST,
  VRF_DST,
  type VrfContext,
  type VrfFailureReason,
  encodeG1,
  encodeG2,
  decodeG1,
  hashToG1,
  popProve,
  vrfContext,
  vrfEval,
  vrfInternals,
  vrfKeygen,
  vrfVerify,
  popVerify,
  secretKeyScalar,
} from "./vrf.js";

const { G1, G2, Fp, Fp2 } = vrfInternals;

export interface VrfVectorCase {
  name: string;
  pk: string;
  modelId: string;
  /** u64 as a decimal string (exceeds 2^53 in some cases) */
  step: string;
  /** u64 as a decimal string */
  batchId: string;
  nonce: string;
  layerId: number;
  /** the context the verifier computes from the fields above */
  x: string;
  pi: string;
  /** sha256(pi) for valid cases, "0x" for invalid ones */
  y: string;
  valid: boolean;
  reason: VrfFailureReason | "ok";
}

export interface VrfPopCase {
  name: string;
  pk: string;
  pop: string;
  valid: boolean;
  reason: VrfFailureReason | "ok";
}

export interface VrfVectors {
  dst: string;
  popDst: string;
  cases: VrfVectorCase[];
  pops: VrfPopCase[];
}

const tagged = (s: string): Uint8Array => sha256(utf8(`refereed vrf vectors: ${s}`));

/** A deterministic point on y^2 = x^3 + 4 over Fp that is NOT in G1 (found by walking x from a fixed start). */
function g1PointOutsideSubgroup(): Uint8Array {
  for (let x = 1n; ; x++) {
    const rhs = Fp.add(Fp.mul(Fp.sqr(x), x), 4n);
    let y: bigint;
    try {
      y = Fp.sqrt(rhs);
    } catch {
      continue;
    }
    const p = G1.fromAffine({ x, y });
    if (!p.isTorsionFree()) return encodeG1(p);
  }
}

/** A deterministic point on the twist y^2 = x^3 + 4(1+i) over Fp2 that is NOT in G2. */
function g2PointOutsideSubgroup(): Uint8Array {
  const b = Fp2.create({ c0: 4n, c1: 4n });
  for (let c0 = 1n; ; c0++) {
    const x = Fp2.create({ c0, c1: 1n });
    const rhs = Fp2.add(Fp2.mul(Fp2.sqr(x), x), b);
    let y;
    try {
      y = Fp2.sqrt(rhs);
    } catch {
      continue;
    }
    const p = G2.fromAffine({ x, y });
    if (!p.isTorsionFree()) return encodeG2(p);
  }
}

/** Writes the 48-byte big-endian value v into the 64-byte field element at byte offset `off` (padding kept). */
function withField(enc: Uint8Array, off: number, v: bigint): Uint8Array {
  const out = enc.slice();
  let t = v;
  for (let i = off + 63; i >= off + 16; i--) {
    out[i] = Number(t & 0xffn);
    t >>= 8n;
  }
  if (t !== 0n) throw new RangeError("value does not fit in 48 bytes");
  return out;
}

function fieldAt(enc: Uint8Array, off: number): bigint {
  return vrfInternals.bytesToBigint(enc.subarray(off + 16, off + 64));
}

function ctxFields(c: VrfContext) {
  return {
    modelId: toHex(c.modelId),
    step: BigInt(c.step).toString(),
    batchId: BigInt(c.batchId).toString(),
    nonce: toHex(c.nonce),
    layerId: c.layerId,
  };
}

/** Builds the content of vectors/vrf.json. */
export function makeVrfVectors(): VrfVectors {
  const keys = [0, 1, 2].map((i) => vrfKeygen(tagged(`key ${i}`)));
  const [k0, k1, k2] = keys as [(typeof keys)[0], (typeof keys)[0], (typeof keys)[0]];

  const contexts: VrfContext[] = [
    { modelId: tagged("model A"), step: 0, batchId: 0, nonce: tagged("nonce A"), layerId: 0 },
    { modelId: tagged("model A"), step: 1, batchId: 17, nonce: tagged("nonce A"), layerId: 1 },
    { modelId: tagged("model B"), step: 123456789, batchId: 42, nonce: tagged("nonce B"), layerId: 3 },
    { modelId: tagged("model C"), step: 0xffffffffffffffffn, batchId: 0xfffffffffffffffen, nonce: tagged("nonce C"), layerId: 0xffffffff },
  ];
  const [c0, c1, c2, c3] = contexts as [VrfContext, VrfContext, VrfContext, VrfContext];

  const cases: VrfVectorCase[] = [];
  const add = (name: string, pk: Uint8Array, ctx: VrfContext, pi: Uint8Array): void => {
    const x = vrfContext(ctx);
    const r = vrfVerify(pk, x, pi);
    cases.push({
      name,
      pk: toHex(pk),
      ...ctxFields(ctx),
      x: toHex(x),
      pi: toHex(pi),
      y: r.valid ? toHex(r.y) : "0x",
      valid: r.valid,
      reason: r.valid ? "ok" : r.reason,
    });
  };
  const proof = (k: { sk: Uint8Array }, ctx: VrfContext): Uint8Array => vrfEval(k.sk, vrfContext(ctx)).pi;

  // valid: several keys and contexts, including the u64/u32 maxima
  add("valid key0 ctx0", k0.pk, c0, proof(k0, c0));
  add("valid key0 ctx1", k0.pk, c1, proof(k0, c1));
  add("valid key1 ctx0", k1.pk, c0, proof(k1, c0));
  add("valid key1 ctx2", k1.pk, c2, proof(k1, c2));
  add("valid key2 ctx3 (u64/u32 maxima)", k2.pk, c3, proof(k2, c3));
  add("valid key2 ctx1", k2.pk, c1, proof(k2, c1));

  const good = proof(k0, c1);
  const goodPoint = decodeG1(good, "pi");

  // wrong key / wrong context: well-formed, the pairing equation fails
  add("wrong key: proof of key1 checked against key0", k0.pk, c1, proof(k1, c1));
  add("wrong context: step differs", k0.pk, { ...c1, step: 2 }, good);
  add("wrong context: batchId differs", k0.pk, { ...c1, batchId: 18 }, good);
  add("wrong context: nonce differs", k0.pk, { ...c1, nonce: tagged("nonce Z") }, good);
  add("wrong context: layerId differs", k0.pk, { ...c1, layerId: 2 }, good);
  add("wrong context: modelId differs", k0.pk, { ...c1, modelId: tagged("model Z") }, good);

  // tampered proofs that are still valid G1 points
  add("tampered: pi + G1 generator", k0.pk, c1, encodeG1(goodPoint.add(G1.BASE)));
  add("tampered: -pi", k0.pk, c1, encodeG1(goodPoint.negate()));
  add("tampered: 2 pi", k0.pk, c1, encodeG1(goodPoint.double()));
  add("tampered: pi of the PoP hash (other DST)", k0.pk, c1, encodeG1(hashToG1(vrfContext(c1), POP_DST).multiply(secretKeyScalar(k0.sk))));

  // infinity
  add("infinity: pi all zeros", k0.pk, c1, new Uint8Array(128));
  add("infinity: pk all zeros", new Uint8Array(256), c1, good);

  // non-canonical encodings
  {
    const padPi = good.slice();
    padPi[0] = 1;
    add("non-canonical: pi.x padding byte 0 nonzero", k0.pk, c1, padPi);
    const padPiY = good.slice();
    padPiY[64 + 15] = 0x80;
    add("non-canonical: pi.y padding byte 15 nonzero", k0.pk, c1, padPiY);
    add("non-canonical: pi.x + p (not reduced)", k0.pk, c1, withField(good, 0, fieldAt(good, 0) + FIELD_MODULUS));
    add("non-canonical: pi.y + p (not reduced)", k0.pk, c1, withField(good, 64, fieldAt(good, 64) + FIELD_MODULUS));
    add("non-canonical: pi.x = p exactly", k0.pk, c1, withField(good, 0, FIELD_MODULUS));
    const padPk = k0.pk.slice();
    padPk[128 + 3] = 0x01;
    add("non-canonical: pk.y.c0 padding byte nonzero", padPk, c1, good);
    add("non-canonical: pk.x.c1 + p (not reduced)", withField(k0.pk, 64, fieldAt(k0.pk, 64) + FIELD_MODULUS), c1, good);
  }

  // off-curve and off-subgroup points
  add("off-curve: pi.y + 1", k0.pk, c1, withField(good, 64, (fieldAt(good, 64) + 1n) % FIELD_MODULUS));
  add("off-curve: pi last byte flipped", k0.pk, c1, (() => {
    const b = good.slice();
    b[127] = b[127]! ^ 0x01;
    return b;
  })());
  add("off-curve: pk.y.c1 + 1", withField(k0.pk, 192, (fieldAt(k0.pk, 192) + 1n) % FIELD_MODULUS), c1, good);
  add("not in subgroup: pi on E(Fp) outside G1", k0.pk, c1, g1PointOutsideSubgroup());
  add("not in subgroup: pk on the twist outside G2", g2PointOutsideSubgroup(), c1, good);

  // malformed lengths
  add("bad length: pi 127 bytes", k0.pk, c1, good.subarray(0, 127));
  add("bad length: pi 129 bytes", k0.pk, c1, concat(good, Uint8Array.of(0)));
  add("bad length: pk 255 bytes", k0.pk.subarray(0, 255), c1, good);

  // proofs of possession
  const pops: VrfPopCase[] = [];
  const addPop = (name: string, pk: Uint8Array, pop: Uint8Array): void => {
    const r = popVerify(pk, pop);
    pops.push({ name, pk: toHex(pk), pop: toHex(pop), valid: r.valid, reason: r.valid ? "ok" : r.reason });
  };
  addPop("valid key0", k0.pk, k0.pop);
  addPop("valid key1", k1.pk, k1.pop);
  addPop("valid key2", k2.pk, k2.pop);
  addPop("wrong key: pop of key1 for key0", k0.pk, k1.pop);
  addPop("wrong DST: VRF-DST signature over pk", k0.pk, encodeG1(hashToG1(k0.pk, VRF_DST).multiply(secretKeyScalar(k0.sk))));
  addPop("tampered: pop + G1 generator", k0.pk, encodeG1(decodeG1(k0.pop, "pop").add(G1.BASE)));
  addPop("infinity: pop all zeros", k0.pk, new Uint8Array(128));
  addPop("infinity: pk all zeros", new Uint8Array(256), k0.pop);
  addPop("off-curve: pop.y + 1", k0.pk, withField(k0.pop, 64, (fieldAt(k0.pop, 64) + 1n) % FIELD_MODULUS));
  addPop("non-canonical: pop.x + p", k0.pk, withField(k0.pop, 0, fieldAt(k0.pop, 0) + FIELD_MODULUS));
  // a pop made by key0 over key1's pk (the rogue-key shape): not a pop of key1
  addPop("rogue: key0 signs key1's pk", k1.pk, encodeG1(hashToG1(k1.pk, POP_DST).multiply(secretKeyScalar(k0.sk))));

  // Self-check: the pop helper and the generator agree (the file must not encode a bug of this function).
  if (!popVerify(k0.pk, popProve(k0.sk)).valid) throw new Error("vrf-vectors: popProve/popVerify disagree");

  return { dst: VRF_DST, popDst: POP_DST, cases, pops };
}
