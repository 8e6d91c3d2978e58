/**
 * Where dropout seeds come from. The protocol's seed is a VRF output (docs/SPEC.md §4): for dropout layer
 * `layerId` of step s, x = vrfContext(modelId, step, batchId, nonce, layerId), pi = VRF proof, y = SHA256(pi).
 * The engine only needs {x, pi, y}; this interface hides how they are made.
 *
 * - BlsSeedProvider: the real one (BLS12-381 min-sig, `@refereed/core/vrf`): ~7 ms per evaluation with the
 *   reference (noble) evaluator, well under 1 ms with the mcl-wasm one (`BlsSeedProvider.fast`, vrf-fast.ts).
 * - HashSeedProvider: NOT a VRF (anyone who knows the key can grind nothing, but nobody can verify it on-chain);
 *   same byte layout, microseconds per seed. For unit tests and the engine's speed benchmarks of everything
 *   else. Never use it for a job on chain.
 */
import { concat, sha256, utf8 } from "@refereed/core";
import { vrfContext, type VrfContext } from "@refereed/core/vrf";
import { fastVrfEvaluator, nobleVrfEvaluator, type VrfEvaluator } from "./vrf-fast.js";

export interface DropoutSeed {
  /** VRF context, 32 bytes */
  readonly x: Uint8Array;
  /** VRF proof, 128 bytes (EIP-2537 G1 encoding for BLS) */
  readonly pi: Uint8Array;
  /** PRG seed y = SHA256(pi), 32 bytes */
  readonly y: Uint8Array;
}

export interface SeedProvider {
  /** a short name recorded in traces ("bls12-381" or "hash-insecure") */
  readonly scheme: string;
  seed(ctx: VrfContext): DropoutSeed;
}

export class BlsSeedProvider implements SeedProvider {
  readonly scheme = "bls12-381";
  private readonly evaluator: VrfEvaluator;
  /** With the reference evaluator unless another one (of the same key) is given. */
  constructor(sk: Uint8Array, evaluator?: VrfEvaluator) {
    this.evaluator = evaluator ?? nobleVrfEvaluator(sk);
  }
  /** With the mcl-wasm evaluator (checked against the reference when created). */
  static async fast(sk: Uint8Array): Promise<BlsSeedProvider> {
    return new BlsSeedProvider(sk, await fastVrfEvaluator(sk));
  }
  get backend(): VrfEvaluator["backend"] {
    return this.evaluator.backend;
  }
  seed(ctx: VrfContext): DropoutSeed {
    const x = vrfContext(ctx);
    const { pi, y } = this.evaluator.eval(x);
    return { x, pi, y };
  }
}

const HASH_TAG = utf8("REFEREED-V1-INSECURE-SEED");

export class HashSeedProvider implements SeedProvider {
  readonly scheme = "hash-insecure";
  constructor(private readonly key: Uint8Array) {}
  seed(ctx: VrfContext): DropoutSeed {
    const x = vrfContext(ctx);
    const pi = new Uint8Array(128);
    for (let i = 0; i < 4; i++) pi.set(sha256(concat(HASH_TAG, this.key, x, Uint8Array.of(i))), 32 * i);
    return { x, pi, y: sha256(pi) };
  }
}
