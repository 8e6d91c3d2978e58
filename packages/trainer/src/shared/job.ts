/**
 * The requester's side of a job: the `JobParams` of `createJob` for an engine job spec plus the economic terms
 * (for the CLI's `job create`, the demo and the tests). The spec fixes everything the one-step checks open against
 * (`onchainJobFields`); the requester adds the rollup size, the window, the clocks, the bonds and the tolerance profile.
 */
import { onchainJobFields, type JobSpec } from "@refereed/engine";
import type { Hex } from "viem";
import type { JobParams } from "./chain.js";

export interface JobTerms {
  /** iterations per rollup */
  readonly rollupSteps: number | bigint;
  /** seconds after a submission during which games may open */
  readonly challengeWindow: number | bigint;
  readonly trainerClock: number | bigint;
  readonly challengerClock: number | bigint;
  /** seconds the trainer has for each rollup before anyone may abandon the job (docs/GAME.md §2.1) */
  readonly submissionTimeout: number | bigint;
  /** wei */
  readonly trainerBond: bigint;
  readonly challengerBond: bigint;
  /** default 0 */
  readonly toleranceProfile?: number;
}

export function jobParamsForSpec(spec: JobSpec, terms: JobTerms): JobParams {
  const f = onchainJobFields(spec);
  return {
    specHash: f.specHash as Hex,
    templateRoot: f.templateRoot as Hex,
    initialState: f.initialState as Hex,
    datasetRoot: f.datasetRoot as Hex,
    datasetSize: BigInt(f.datasetSize),
    nodeCount: f.nodeCount,
    dropoutLayers: f.dropoutLayers,
    toleranceProfile: terms.toleranceProfile ?? 0,
    stepsTotal: BigInt(f.stepsTotal),
    rollupSteps: BigInt(terms.rollupSteps),
    challengeWindow: BigInt(terms.challengeWindow),
    trainerClock: BigInt(terms.trainerClock),
    challengerClock: BigInt(terms.challengerClock),
    submissionTimeout: BigInt(terms.submissionTimeout),
    trainerBond: terms.trainerBond,
    challengerBond: terms.challengerBond,
  };
}
