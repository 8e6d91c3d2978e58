/**
 * Batch verification of many VRF proofs under one key (the auditor's side; the contract verifies one at a
 * time). With secret random 64-bit coefficients r_i chosen after the proofs are fixed,
 *
 *   e(Σ r_i·pi_i, −G2) · e(Σ r_i·H1(x_i), PK) == 1
 *
 * holds for all i with probability 1 if every proof is valid, and with probability at most 2^-64 otherwise
 * (small-exponent batch test; every pi_i is decoded strictly, so it lies in the prime-order subgroup). One
 * pairing check replaces n; the per-proof cost is H1 and two short scalar multiplications. When the batch
 * fails, each proof is checked on its own to name the first bad one.
 */
import { randomBytes } from "node:crypto";
import { bls12_381 } from "@noble/curves/bls12-381.js";
import { decodeG1, decodeG2, hashToG1, VRF_DST, vrfVerify, type VrfFailureReason } from "@refereed/core";

const NEG_G2 = bls12_381.G2.Point.BASE.negate();

export interface VrfClaim {
  readonly x: Uint8Array;
  readonly pi: Uint8Array;
}

export type VrfBatchResult = { readonly valid: true } | { readonly valid: false; readonly index: number; readonly reason: VrfFailureReason };

/** Verifies every claim under `pk`; returns the first invalid one (in input order) if any. */
export function vrfVerifyBatch(pk: Uint8Array, claims: readonly VrfClaim[], rng: (n: number) => Uint8Array = (n) => new Uint8Array(randomBytes(n))): VrfBatchResult {
  if (claims.length === 0) return { valid: true };
  const individually = (): VrfBatchResult => {
    for (let i = 0; i < claims.length; i++) {
      const r = vrfVerify(pk, claims[i]!.x, claims[i]!.pi);
      if (!r.valid) return { valid: false, index: i, reason: r.reason };
    }
    return { valid: true };
  };
  let P;
  try {
    P = decodeG2(pk, "pk");
  } catch {
    return individually();
  }
  let A = bls12_381.G1.Point.ZERO;
  let B = bls12_381.G1.Point.ZERO;
  for (const c of claims) {
    let S;
    try {
      S = decodeG1(c.pi, "pi");
    } catch {
      return individually();
    }
    const rb = rng(8);
    let r = 0n;
    for (const byte of rb) r = (r << 8n) | BigInt(byte);
    r |= 1n; // nonzero
    A = A.add(S.multiplyUnsafe(r));
    B = B.add(hashToG1(c.x, VRF_DST).multiplyUnsafe(r));
  }
  if (A.is0() && B.is0()) return individually();
  const gt = bls12_381.pairingBatch([
    { g1: A, g2: NEG_G2 },
    { g1: B, g2: P },
  ]);
  return bls12_381.fields.Fp12.eql(gt, bls12_381.fields.Fp12.ONE) ? { valid: true } : individually();
}
