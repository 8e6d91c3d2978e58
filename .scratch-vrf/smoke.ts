import { bls12_381 } from "@noble/curves/bls12-381.js";
import * as v from "../packages/core/src/vrf.js";
import { toHex } from "../packages/core/src/bytes.js";
const kp = v.vrfKeygen(new Uint8Array(32).fill(7));
const x = v.vrfContext({ modelId: new Uint8Array(32).fill(1), step: 3, batchId: 4, nonce: new Uint8Array(32).fill(2), layerId: 5 });
let t = performance.now();
const o = v.vrfEval(kp.sk, x);
console.log("eval ms", performance.now() - t);
t = performance.now();
console.log(v.vrfVerify(kp.pk, x, o.pi).valid, "verify ms", performance.now() - t);
console.log(v.popVerify(kp.pk, kp.pop).valid);
// cross-check with noble's shortSignatures
const ss = bls12_381.shortSignatures;
const hm = ss.hash(x, v.VRF_DST);
const sig = ss.sign(hm, kp.sk);
console.log("noble sig eq", toHex(v.encodeG1(sig)) === toHex(o.pi), ss.verify(sig, hm, ss.getPublicKey(kp.sk)));
console.log(toHex(v.encodeG2(ss.getPublicKey(kp.sk))) === toHex(kp.pk));
const bad = o.pi.slice(); bad[127] ^= 1;
console.log(v.vrfVerify(kp.pk, x, bad));
