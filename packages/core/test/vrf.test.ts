import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { bls12_381 } from "@noble/curves/bls12-381.js";
import { concat, equalBytes, fromHex, sha256, toHex, u32be, u64be, utf8 } from "../src/bytes.js";
import {
  Eip2537EncodingError,
  FIELD_MODULUS,
  GROUP_ORDER,
  InvalidSecretKeyError,
  InvalidVrfContextError,
  POP_DST,
  VRF_DST,
  VrfPairingMismatchError,
  decodeFp,
  decodeG1,
  decodeG2,
  encodeFp,
  encodeG1,
  encodeG2,
  hashToG1,
  popProve,
  popVerify,
  secretKeyFromSeed,
  secretKeyScalar,
  vrfContext,
  vrfEval,
  vrfInternals,
  vrfKeygen,
  vrfPublicKey,
  vrfVerify,
  vrfVerifyOrThrow,
  type VrfContext,
} from "../src/vrf.js";
import { makeVrfVectors } from "../src/vrf-vectors.js";

const { G1, G2 } = vrfInternals;
const seed = (s: string) => sha256(utf8(s));
const ctx: VrfContext = { modelId: seed("model"), step: 12, batchId: 3, nonce: seed("nonce"), layerId: 1 };
const key = vrfKeygen(seed("test key"));
const other = vrfKeygen(seed("other key"));
const x = vrfContext(ctx);

/** Writes a 48-byte value into the Fp at byte offset `off` of an encoding. */
function withField(enc: Uint8Array, off: number, v: bigint): Uint8Array {
  const out = enc.slice();
  out.set(encodeFpUnchecked(v), off);
  return out;
}
function encodeFpUnchecked(v: bigint): Uint8Array {
  const out = new Uint8Array(64);
  let t = v;
  for (let i = 63; i >= 16; i--) {
    out[i] = Number(t & 0xffn);
    t >>= 8n;
  }
  return out;
}
const fieldAt = (enc: Uint8Array, off: number) => vrfInternals.bytesToBigint(enc.subarray(off + 16, off + 64));

function expectReason(r: ReturnType<typeof vrfVerify>, reason: string, subject?: string): void {
  assert.equal(r.valid, false, "expected a refusal");
  if (r.valid) return;
  assert.equal(r.reason, reason);
  if (subject) assert.ok(r.error.subject.startsWith(subject), `subject ${r.error.subject} should start with ${subject}`);
}

describe("vrf: context", () => {
  it("is sha256 of the 99-byte SPEC preimage", () => {
    const pre = concat(utf8("REFEREED-V1-CTX"), ctx.modelId, u64be(12), u64be(3), ctx.nonce, u32be(1));
    assert.equal(pre.length, 99);
    assert.equal(toHex(x), toHex(sha256(pre)));
  });
  it("changes with every field", () => {
    const variants: VrfContext[] = [
      { ...ctx, modelId: seed("model 2") },
      { ...ctx, step: 13 },
      { ...ctx, batchId: 4 },
      { ...ctx, nonce: seed("nonce 2") },
      { ...ctx, layerId: 2 },
    ];
    const seen = new Set([toHex(x)]);
    for (const v of variants) seen.add(toHex(vrfContext(v)));
    assert.equal(seen.size, 6);
  });
  it("accepts the u64/u32 maxima and refuses out-of-range fields, naming them", () => {
    vrfContext({ ...ctx, step: 0xffffffffffffffffn, batchId: 0xffffffffffffffffn, layerId: 0xffffffff });
    assert.throws(() => vrfContext({ ...ctx, step: 1n << 64n }), (e) => e instanceof InvalidVrfContextError && e.field === "step");
    assert.throws(() => vrfContext({ ...ctx, batchId: -1 }), (e) => e instanceof InvalidVrfContextError && e.field === "batchId");
    assert.throws(() => vrfContext({ ...ctx, layerId: 2 ** 32 }), (e) => e instanceof InvalidVrfContextError && e.field === "layerId");
    assert.throws(() => vrfContext({ ...ctx, modelId: new Uint8Array(31) }), (e) => e instanceof InvalidVrfContextError && e.field === "modelId");
    assert.throws(() => vrfContext({ ...ctx, nonce: new Uint8Array(33) }), (e) => e instanceof InvalidVrfContextError && e.field === "nonce");
    assert.throws(() => vrfContext({ ...ctx, step: 2 ** 53 }), /step/);
  });
});

describe("vrf: keys", () => {
  it("secretKeyFromSeed is deterministic, in [1, r), and seed-sensitive", () => {
    const a = secretKeyFromSeed(seed("k"));
    assert.ok(equalBytes(a, secretKeyFromSeed(seed("k"))));
    assert.ok(!equalBytes(a, secretKeyFromSeed(seed("k2"))));
    const s = secretKeyScalar(a);
    assert.ok(s > 0n && s < GROUP_ORDER);
  });
  it("refuses short seeds and out-of-range secret keys", () => {
    assert.throws(() => secretKeyFromSeed(new Uint8Array(31)), InvalidSecretKeyError);
    assert.throws(() => secretKeyScalar(new Uint8Array(32)), /zero/);
    assert.throws(() => secretKeyScalar(fromHex(GROUP_ORDER.toString(16).padStart(64, "0"))), /group order/);
    assert.throws(() => secretKeyScalar(new Uint8Array(31)), /32 bytes/);
  });
  it("pk = sk·G2 agrees with noble's shortSignatures public key", () => {
    assert.equal(toHex(key.pk), toHex(encodeG2(bls12_381.shortSignatures.getPublicKey(key.sk))));
    assert.equal(toHex(vrfPublicKey(key.sk)), toHex(key.pk));
  });
  it("random keygen gives distinct valid keys", () => {
    const a = vrfKeygen();
    const b = vrfKeygen();
    assert.ok(!equalBytes(a.sk, b.sk));
    assert.ok(popVerify(a.pk, a.pop).valid);
  });
});

describe("vrf: eval and verify", () => {
  it("round trip: verify returns y = sha256(pi)", () => {
    const { pi, y } = vrfEval(key.sk, x);
    assert.equal(pi.length, 128);
    assert.equal(toHex(y), toHex(sha256(pi)));
    const r = vrfVerify(key.pk, x, pi);
    assert.ok(r.valid);
    assert.equal(toHex(r.y), toHex(y));
    assert.equal(toHex(vrfVerifyOrThrow(key.pk, x, pi)), toHex(y));
  });
  it("pi is noble's min-sig BLS signature of x under the VRF DST", () => {
    const sig = bls12_381.shortSignatures.sign(bls12_381.shortSignatures.hash(x, VRF_DST), key.sk);
    assert.equal(toHex(encodeG1(sig)), toHex(vrfEval(key.sk, x).pi));
  });
  it("is deterministic: same sk and x give the same pi", () => {
    assert.equal(toHex(vrfEval(key.sk, x).pi), toHex(vrfEval(key.sk, x).pi));
    assert.notEqual(toHex(vrfEval(key.sk, x).pi), toHex(vrfEval(other.sk, x).pi));
  });
  it("wrong key: pairing mismatch", () => {
    expectReason(vrfVerify(other.pk, x, vrfEval(key.sk, x).pi), "pairing-mismatch", "pi");
    assert.throws(() => vrfVerifyOrThrow(other.pk, x, vrfEval(key.sk, x).pi), VrfPairingMismatchError);
  });
  it("wrong context: pairing mismatch", () => {
    const x2 = vrfContext({ ...ctx, step: 13 });
    expectReason(vrfVerify(key.pk, x2, vrfEval(key.sk, x).pi), "pairing-mismatch");
  });
  it("tampered proofs that are still G1 points: pairing mismatch", () => {
    const p = decodeG1(vrfEval(key.sk, x).pi);
    for (const t of [p.add(G1.BASE), p.negate(), p.double(), G1.BASE]) expectReason(vrfVerify(key.pk, x, encodeG1(t)), "pairing-mismatch");
  });
  it("a proof under the PoP DST is not a VRF proof", () => {
    const wrongDst = hashToG1(x, POP_DST).multiply(secretKeyScalar(key.sk));
    expectReason(vrfVerify(key.pk, x, encodeG1(wrongDst)), "pairing-mismatch");
  });
  it("infinity is refused for pi and pk", () => {
    expectReason(vrfVerify(key.pk, x, new Uint8Array(128)), "infinity", "pi");
    expectReason(vrfVerify(new Uint8Array(256), x, vrfEval(key.sk, x).pi), "infinity", "pk");
  });
  it("non-canonical encodings are refused: nonzero padding, Fp >= p", () => {
    const pi = vrfEval(key.sk, x).pi;
    for (const i of [0, 7, 15, 64, 79]) {
      const b = pi.slice();
      b[i] = 1;
      expectReason(vrfVerify(key.pk, x, b), "nonzero-padding", "pi");
    }
    expectReason(vrfVerify(key.pk, x, withField(pi, 0, fieldAt(pi, 0) + FIELD_MODULUS)), "field-not-reduced", "pi.x");
    expectReason(vrfVerify(key.pk, x, withField(pi, 64, fieldAt(pi, 64) + FIELD_MODULUS)), "field-not-reduced", "pi.y");
    expectReason(vrfVerify(key.pk, x, withField(pi, 0, FIELD_MODULUS)), "field-not-reduced");
    expectReason(vrfVerify(withField(key.pk, 192, fieldAt(key.pk, 192) + FIELD_MODULUS), x, pi), "field-not-reduced", "pk.y.c1");
    const pk = key.pk.slice();
    pk[130] = 0xff;
    expectReason(vrfVerify(pk, x, pi), "nonzero-padding", "pk.y.c0");
  });
  it("off-curve points are refused", () => {
    const pi = vrfEval(key.sk, x).pi;
    expectReason(vrfVerify(key.pk, x, withField(pi, 64, (fieldAt(pi, 64) + 1n) % FIELD_MODULUS)), "not-on-curve", "pi");
    expectReason(vrfVerify(withField(key.pk, 0, (fieldAt(key.pk, 0) + 1n) % FIELD_MODULUS), x, pi), "not-on-curve", "pk");
  });
  it("points outside the prime-order subgroup are refused", () => {
    const v = makeVrfVectors();
    const g1 = v.cases.find((c) => c.name.startsWith("not in subgroup: pi"))!;
    const g2 = v.cases.find((c) => c.name.startsWith("not in subgroup: pk"))!;
    // they are on their curves (decoding without the subgroup check succeeds)...
    decodeG1(fromHex(g1.pi), "pi", { skipSubgroupCheck: true });
    decodeG2(fromHex(g2.pk), "pk", { skipSubgroupCheck: true });
    // ...but not in the subgroup
    expectReason(vrfVerify(fromHex(g1.pk), fromHex(g1.x), fromHex(g1.pi)), "not-in-subgroup", "pi");
    expectReason(vrfVerify(fromHex(g2.pk), fromHex(g2.x), fromHex(g2.pi)), "not-in-subgroup", "pk");
  });
  it("bad lengths are refused", () => {
    const pi = vrfEval(key.sk, x).pi;
    expectReason(vrfVerify(key.pk, x, pi.subarray(0, 127)), "bad-length", "pi");
    expectReason(vrfVerify(key.pk, x, concat(pi, new Uint8Array(1))), "bad-length", "pi");
    expectReason(vrfVerify(key.pk.subarray(1), x, pi), "bad-length", "pk");
    assert.throws(() => vrfVerify(key.pk, x.subarray(1), pi), /32 bytes/);
  });
});

describe("vrf: EIP-2537 codec", () => {
  it("Fp round trip and the 16-byte zero padding", () => {
    for (const v of [0n, 1n, FIELD_MODULUS - 1n, 0x1234n << 300n]) {
      const e = encodeFp(v);
      assert.equal(e.length, 64);
      assert.ok(e.subarray(0, 16).every((b) => b === 0));
      assert.equal(decodeFp(e), v);
    }
    assert.throws(() => encodeFp(FIELD_MODULUS), RangeError);
    assert.throws(() => decodeFp(encodeFpUnchecked(FIELD_MODULUS)), (e) => e instanceof Eip2537EncodingError && e.reason === "field-not-reduced");
  });
  it("G1 and G2 round trips; infinity only when allowed", () => {
    const p = G1.BASE.multiply(12345n);
    assert.ok(decodeG1(encodeG1(p)).equals(p));
    const q = G2.BASE.multiply(6789n);
    assert.ok(decodeG2(encodeG2(q)).equals(q));
    assert.ok(decodeG1(new Uint8Array(128), "p", { allowInfinity: true }).is0());
    assert.ok(decodeG2(new Uint8Array(256), "q", { allowInfinity: true }).is0());
    assert.throws(() => decodeG1(new Uint8Array(128)), (e) => e instanceof Eip2537EncodingError && e.reason === "infinity");
    assert.throws(() => decodeG2(new Uint8Array(256)), (e) => e instanceof Eip2537EncodingError && e.reason === "infinity");
  });
  it("the G1 encoding is x || y with each coordinate padded (EIP-2537 layout)", () => {
    const e = encodeG1(G1.BASE);
    const { x: gx, y: gy } = G1.BASE.toAffine();
    assert.equal(fieldAt(e, 0), gx);
    assert.equal(fieldAt(e, 64), gy);
    const f = encodeG2(G2.BASE);
    const { x: hx, y: hy } = G2.BASE.toAffine();
    assert.deepEqual([fieldAt(f, 0), fieldAt(f, 64), fieldAt(f, 128), fieldAt(f, 192)], [hx.c0, hx.c1, hy.c0, hy.c1]);
  });
});

describe("vrf: proof of possession", () => {
  it("valid for its own key", () => {
    assert.ok(popVerify(key.pk, key.pop).valid);
    assert.equal(toHex(popProve(key.sk)), toHex(key.pop));
  });
  it("refused for another key, the VRF DST, infinity and a tampered point", () => {
    const r1 = popVerify(other.pk, key.pop);
    assert.ok(!r1.valid && r1.reason === "pairing-mismatch");
    const wrongDst = encodeG1(hashToG1(key.pk, VRF_DST).multiply(secretKeyScalar(key.sk)));
    const r2 = popVerify(key.pk, wrongDst);
    assert.ok(!r2.valid && r2.reason === "pairing-mismatch");
    const r3 = popVerify(key.pk, new Uint8Array(128));
    assert.ok(!r3.valid && r3.reason === "infinity");
    const r4 = popVerify(key.pk, encodeG1(decodeG1(key.pop).add(G1.BASE)));
    assert.ok(!r4.valid && r4.reason === "pairing-mismatch");
  });
  it("a VRF proof of x is not a PoP and vice versa (domain separation)", () => {
    // the PoP message is the 256-byte pk, so only a collision of H1 and H1' could confuse them; check both ways
    const r = popVerify(key.pk, vrfEval(key.sk, sha256(key.pk)).pi);
    assert.ok(!r.valid);
    expectReason(vrfVerify(key.pk, sha256(key.pk), key.pop), "pairing-mismatch");
  });
});

describe("vrf: vectors", () => {
  it("makeVrfVectors is deterministic and self-consistent", () => {
    const a = makeVrfVectors();
    const b = makeVrfVectors();
    assert.deepEqual(a, b);
    assert.ok(a.cases.length >= 20);
    assert.equal(a.dst, VRF_DST);
    assert.equal(a.popDst, POP_DST);
    for (const c of a.cases) {
      const r = vrfVerify(fromHex(c.pk), fromHex(c.x), fromHex(c.pi));
      assert.equal(r.valid, c.valid, c.name);
      if (r.valid) assert.equal(toHex(r.y), c.y);
    }
  });
});
