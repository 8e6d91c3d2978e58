/**
 * Why the VRF is BLS (docs/SPEC.md §4): with a seed built from an Ed25519 signature over the context x, the
 * signer chooses the nonce, so one context has many valid "proofs" and as many dropout masks; a trainer can
 * grind until it gets the mask it likes. A BLS signature is unique: for one (key, context), exactly one proof
 * verifies, hence exactly one y and one mask.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ed25519 } from "@noble/curves/ed25519.js";
import { bytesToNumberLE, numberToBytesLE } from "@noble/curves/utils.js";
import { sha512 } from "@noble/hashes/sha2.js";
import { concat, sha256, toHex, utf8 } from "../src/bytes.js";
import { keepMask, maskString } from "../src/prg.js";
import { decodeG1, encodeG1, hashToG1, vrfContext, vrfEval, vrfInternals, vrfKeygen, vrfVerify } from "../src/vrf.js";

const rate = { num: 1, den: 2 };
const N = 64;
const x = vrfContext({ modelId: sha256(utf8("model")), step: 7, batchId: 7, nonce: sha256(utf8("chain nonce")), layerId: 0 });

/**
 * An Ed25519 signature of `msg` with a nonce of the signer's choosing: R = rB, S = r + H(R || A || M)·a mod L.
 * RFC 8032 derives r from the key and the message, but the verifier cannot tell: it only checks SB = R + kA.
 */
function signWithNonce(secretKey: Uint8Array, msg: Uint8Array, r: bigint): Uint8Array {
  const L = ed25519.Point.Fn.ORDER;
  const { scalar: a, pointBytes: A } = ed25519.utils.getExtendedPublicKey(secretKey);
  const rr = r % L;
  const R = ed25519.Point.BASE.multiply(rr).toBytes();
  const k = bytesToNumberLE(sha512(concat(R, A, msg))) % L;
  const S = (rr + k * a) % L;
  return concat(R, numberToBytesLE(S, 32));
}

/** The seed of the Ed25519 construction: y = sha256(signature). */
const edSeed = (sig: Uint8Array) => sha256(sig);

describe("Ed25519-signature seeds are not unique: the signer can choose the mask", () => {
  const sk = sha256(utf8("trainer ed25519 key"));
  const pk = ed25519.getPublicKey(sk);

  it("two different signatures of the same context both verify and give two different masks", () => {
    const honest = ed25519.sign(x, sk); // RFC 8032 deterministic nonce
    const forged = signWithNonce(sk, x, bytesToNumberLE(sha512(utf8("any other nonce"))));
    assert.notEqual(toHex(honest), toHex(forged));
    assert.ok(ed25519.verify(honest, x, pk), "the RFC 8032 signature verifies");
    assert.ok(ed25519.verify(forged, x, pk), "the chosen-nonce signature verifies too");
    // strict (non-ZIP-215) verification accepts it as well: both are canonical signatures
    assert.ok(ed25519.verify(forged, x, pk, { zip215: false }));
    const m1 = maskString(keepMask(edSeed(honest), rate, N));
    const m2 = maskString(keepMask(edSeed(forged), rate, N));
    assert.notEqual(m1, m2, "two valid proofs, two different dropout masks for one context");
  });

  it("the signer can grind: among chosen nonces it finds a valid signature whose mask keeps the first 6 elements", () => {
    const masks = new Set<string>();
    let found: Uint8Array | undefined;
    for (let i = 0; i < 512 && !found; i++) {
      const sig = signWithNonce(sk, x, bytesToNumberLE(sha512(utf8(`nonce ${i}`))));
      assert.ok(ed25519.verify(sig, x, pk));
      const m = maskString(keepMask(edSeed(sig), rate, N));
      masks.add(m);
      if (m.startsWith("111111")) found = sig;
    }
    assert.ok(masks.size > 1, "many different masks for one context");
    assert.ok(found, "a mask of the signer's liking (probability 1/64 per try) was found");
    assert.ok(ed25519.verify(found, x, pk));
    assert.ok(maskString(keepMask(edSeed(found), rate, N)).startsWith("111111"));
  });
});

describe("BLS VRF: exactly one proof verifies for a (key, context)", () => {
  const key = vrfKeygen(sha256(utf8("trainer bls key")));
  const other = vrfKeygen(sha256(utf8("another bls key")));
  const { G1 } = vrfInternals;

  it("the proof is a function of (sk, x): evaluating again gives the same pi, y and mask", () => {
    const a = vrfEval(key.sk, x);
    const b = vrfEval(key.sk, x);
    assert.equal(toHex(a.pi), toHex(b.pi));
    assert.equal(maskString(keepMask(a.y, rate, N)), maskString(keepMask(b.y, rate, N)));
  });

  it("pi' = pi + P fails for every non-identity P tried, so no second mask exists", () => {
    const { pi } = vrfEval(key.sk, x);
    assert.ok(vrfVerify(key.pk, x, pi).valid);
    const p = decodeG1(pi);
    const offsets = [
      G1.BASE,
      G1.BASE.negate(),
      hashToG1(x), // pi' = (sk + 1)·H1(x): the proof of another key
      p, // 2·pi
      p.negate().double(), // -pi
      ...Array.from({ length: 12 }, (_, i) => G1.BASE.multiply(BigInt(i + 2) * 0x1234567n)),
    ];
    for (const d of offsets) {
      const alt = p.add(d);
      if (alt.is0()) continue; // -pi + pi: infinity is refused anyway (tested elsewhere)
      const r = vrfVerify(key.pk, x, encodeG1(alt));
      assert.equal(r.valid, false, `pi + ${d.toHex().slice(0, 16)} must not verify`);
      if (!r.valid) assert.equal(r.reason, "pairing-mismatch");
    }
  });

  it("a signature of x under a different key is not a proof for this key", () => {
    const foreign = vrfEval(other.sk, x).pi;
    assert.ok(vrfVerify(other.pk, x, foreign).valid);
    assert.equal(vrfVerify(key.pk, x, foreign).valid, false);
  });

  it("contrast: where Ed25519 yields many masks for one context, BLS yields one", () => {
    const sk = sha256(utf8("trainer ed25519 key"));
    const edMasks = new Set<string>();
    for (let i = 0; i < 8; i++) edMasks.add(maskString(keepMask(edSeed(signWithNonce(sk, x, BigInt(i + 1) * 0x9e3779b97f4a7c15n)), rate, N)));
    const blsMasks = new Set<string>();
    for (let i = 0; i < 8; i++) blsMasks.add(maskString(keepMask(vrfEval(key.sk, x).y, rate, N)));
    assert.equal(edMasks.size, 8);
    assert.equal(blsMasks.size, 1);
  });
});
