import { vrfInternals, encodeG1, encodeG2, FIELD_MODULUS } from "../packages/core/src/vrf.js";
import { toHex } from "../packages/core/src/bytes.js";
const words = (b: Uint8Array) => { const h = toHex(b).slice(2); const out = []; for (let i = 0; i < h.length; i += 64) out.push("0x" + h.slice(i, i + 64)); return out; };
console.log("G1", words(encodeG1(vrfInternals.G1.BASE)));
console.log("G2", words(encodeG2(vrfInternals.G2.BASE)));
console.log("NEG_G2", words(encodeG2(vrfInternals.G2.BASE.negate())));
console.log("p", FIELD_MODULUS.toString(16));
