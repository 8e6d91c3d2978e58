/**
 * The trainer's VRF evaluation, accelerated. `@refereed/core`'s `vrfEval` (noble, BigInt arithmetic) is the
 * reference and takes ~5–7 ms per evaluation here; a trainer evaluates one per dropout layer per step, which is
 * most of the protocol's overhead over plain training (bench/results/engine.json). mcl-wasm (herumi's mcl compiled
 * to WebAssembly, shipped inside the npm package: nothing is downloaded) computes the same RFC 9380 hash-to-G1 with
 * our DST and a constant-time scalar multiplication (`mclBnG1_mulCT`) in well under a millisecond.
 *
 * Soundness does not depend on mcl: the proof is an ordinary BLS signature that the contract and the auditors
 * verify. Correctness does (a wrong proof would get an honest trainer slashed), so every evaluator is checked
 * against the reference on creation (`FastVrfMismatchError`), and the tests compare both on the shared vectors
 * and on random inputs. See docs/adr/0006-accelerated-vrf-evaluation.md.
 */
import mcl from "mcl-wasm";
import { VRF_DST, equalBytes, fromHex, secretKeyScalar, sha256, vrfEval, type VrfOutput } from "@refereed/core";

/** Evaluates the VRF of one secret key. */
export interface VrfEvaluator {
  readonly backend: "mcl-wasm" | "noble";
  eval(x: Uint8Array): VrfOutput;
  /** frees the evaluator's WebAssembly memory (no-op for noble) */
  dispose(): void;
}

export class FastVrfMismatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FastVrfMismatchError";
  }
}

/** The reference evaluator (noble). */
export function nobleVrfEvaluator(sk: Uint8Array): VrfEvaluator {
  secretKeyScalar(sk); // validates the key now, as the fast one does
  return { backend: "noble", eval: (x) => vrfEval(sk, x), dispose: () => {} };
}

interface McWasm {
  HEAP8: Int8Array;
  HEAP32: Int32Array;
  _malloc(n: number): number;
  _free(p: number): void;
  _mclBnG1_hashAndMapToWithDst(out: number, msg: number, msgLen: number, dst: number, dstLen: number): number;
  _mclBnG1_mulCT(out: number, p: number, s: number): void;
}

/** The word array behind an mcl value (public in the JavaScript, not in the typings). */
const words = (v: unknown): Uint32Array => (v as { a_: Uint32Array }).a_;

let ready: Promise<McWasm> | null = null;

/** Loads mcl for BLS12-381 once per thread (RFC 9380 map, Ethereum serialization). */
function loadMcl(): Promise<McWasm> {
  ready ??= (async () => {
    await mcl.init(mcl.BLS12_381);
    mcl.setMapToMode(mcl.IRTF);
    mcl.setETHserialization(true);
    return (mcl as unknown as { mod: McWasm }).mod;
  })();
  return ready;
}

const DST = new TextEncoder().encode(VRF_DST);
/** A fixed input the evaluator is checked on at creation. */
const SELF_CHECK_X = sha256(new TextEncoder().encode("REFEREED-V1 fast VRF self-check"));
const MAX_X = 256;

class MclVrfEvaluator implements VrfEvaluator {
  readonly backend = "mcl-wasm";
  private readonly g1Words = words(new mcl.G1()).length;
  private readonly frWords: number;
  private readonly point: number;
  private readonly product: number;
  private readonly scalar: number;
  private readonly msg: number;
  private readonly dst: number;
  private readonly out = new mcl.G1();
  private disposed = false;

  constructor(
    private readonly m: McWasm,
    sk: Uint8Array,
  ) {
    const s = secretKeyScalar(sk);
    const fr = new mcl.Fr();
    fr.setStr(s.toString(16), 16);
    this.frWords = words(fr).length;
    this.point = m._malloc(this.g1Words * 4);
    this.product = m._malloc(this.g1Words * 4);
    this.scalar = m._malloc(this.frWords * 4);
    this.msg = m._malloc(MAX_X);
    this.dst = m._malloc(DST.length);
    m.HEAP32.set(words(fr), this.scalar >> 2);
    m.HEAP8.set(DST, this.dst);
  }

  eval(x: Uint8Array): VrfOutput {
    if (this.disposed) throw new Error("VRF evaluator used after dispose()");
    if (x.length > MAX_X) throw new RangeError(`VRF input of ${x.length} bytes (at most ${MAX_X})`);
    const m = this.m;
    m.HEAP8.set(x, this.msg);
    if (m._mclBnG1_hashAndMapToWithDst(this.point, this.msg, x.length, this.dst, DST.length) !== 0) {
      throw new FastVrfMismatchError("mcl hash-to-G1 failed");
    }
    m._mclBnG1_mulCT(this.product, this.point, this.scalar);
    words(this.out).set(m.HEAP32.subarray(this.product >> 2, (this.product >> 2) + this.g1Words));
    this.out.normalize();
    const pi = encodeAffine(this.out.getStr(16));
    return { pi, y: sha256(pi) };
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const p of [this.point, this.product, this.scalar, this.msg, this.dst]) this.m._free(p);
  }
}

/** "1 <x hex> <y hex>" (mcl's affine string) → the 128-byte EIP-2537 encoding; "0" is infinity (all zeros). */
function encodeAffine(s: string): Uint8Array {
  const out = new Uint8Array(128);
  const parts = s.split(" ");
  if (parts[0] === "0") return out;
  if (parts.length !== 3 || parts[0] !== "1") throw new FastVrfMismatchError(`unexpected mcl point string ${JSON.stringify(s.slice(0, 20))}`);
  put(parts[1]!, out, 16);
  put(parts[2]!, out, 80);
  return out;
}

function put(hex: string, out: Uint8Array, off: number): void {
  const h = hex.padStart(96, "0");
  if (h.length !== 96) throw new FastVrfMismatchError("mcl coordinate wider than 48 bytes");
  out.set(fromHex(h, 48, "mcl coordinate"), off);
}

/**
 * The fast evaluator of `sk`, checked against the reference on a fixed input (throws `FastVrfMismatchError` if
 * they differ). Throws the reference's `InvalidSecretKeyError` for a bad key.
 */
export async function fastVrfEvaluator(sk: Uint8Array): Promise<VrfEvaluator> {
  const e = new MclVrfEvaluator(await loadMcl(), sk);
  const want = vrfEval(sk, SELF_CHECK_X).pi;
  const got = e.eval(SELF_CHECK_X).pi;
  if (!equalBytes(want, got)) {
    e.dispose();
    throw new FastVrfMismatchError("mcl-wasm and the reference VRF disagree on the self-check input");
  }
  return e;
}
