/**
 * The batch schedule: which training examples step s uses, derived from the job nonce and the step only
 * (verifiable data order; the trainer cannot choose or reorder examples).
 *
 *   stepsPerEpoch = floor(N / B); epoch = floor(s / stepsPerEpoch); batchId = s mod stepsPerEpoch
 *   example(s, j) = π_epoch(batchId·B + j),  j < B
 *
 * π_epoch is a permutation of [0, N): a 4-round balanced Feistel network on 2h-bit integers
 * (h = ceil(bitlen(N−1)/2), at least 1) with cycle walking (re-apply until the value is < N). Round r maps
 * (L, R) to (R, L xor F_r(R)) with
 *   F_r(R) = u32be(SHA256("REFEREED-V1-BATCH" || nonce(32) || u64be(epoch) || u8(r) || u32be(R))[0..4]) mod 2^h.
 * One example id costs 4·(expected N'/N ≤ 4) hashes, so a contract can check one DATA element cheaply; the
 * engine tabulates the whole permutation once per epoch.
 */
import { sha256, utf8 } from "@refereed/core";
import { ConfigError } from "./errors.js";

const TAG = utf8("REFEREED-V1-BATCH");
const ROUNDS = 4;

export interface ScheduleParams {
  /** 32-byte job nonce */
  readonly nonce: Uint8Array;
  /** training examples N */
  readonly n: number;
  /** batch size B */
  readonly batch: number;
}

function check(p: ScheduleParams): void {
  if (p.nonce.length !== 32) throw new ConfigError("nonce", `must be 32 bytes, got ${p.nonce.length}`);
  if (!Number.isInteger(p.n) || p.n < 1 || p.n > 2 ** 31) throw new ConfigError("n", `dataset size ${p.n} outside [1, 2^31]`);
  if (!Number.isInteger(p.batch) || p.batch < 1 || p.batch > p.n) throw new ConfigError("batch", `batch ${p.batch} outside [1, ${p.n}]`);
}

export function stepsPerEpoch(p: ScheduleParams): number {
  check(p);
  return Math.floor(p.n / p.batch);
}

/** Where step s falls: its epoch and its batch id (the batch index inside the epoch, used in the VRF context). */
export function stepPosition(p: ScheduleParams, step: number): { epoch: number; batchId: number } {
  const spe = stepsPerEpoch(p);
  if (!Number.isSafeInteger(step) || step < 0) throw new ConfigError("step", `must be a non-negative safe integer, got ${step}`);
  return { epoch: Math.floor(step / spe), batchId: step % spe };
}

function halfBits(n: number): number {
  let bits = 1;
  while (2 ** bits < n) bits++;
  return Math.max(1, Math.ceil(bits / 2));
}

/** A Feistel permutation of [0, N) for one epoch. */
export class EpochPermutation {
  private readonly h: number;
  private readonly mask: number;
  private readonly msg: Uint8Array;
  private readonly dv: DataView;

  constructor(
    readonly params: ScheduleParams,
    readonly epoch: number,
  ) {
    check(params);
    this.h = halfBits(params.n);
    this.mask = 2 ** this.h - 1;
    this.msg = new Uint8Array(TAG.length + 32 + 8 + 1 + 4);
    this.msg.set(TAG, 0);
    this.msg.set(params.nonce, TAG.length);
    this.dv = new DataView(this.msg.buffer);
    this.dv.setBigUint64(TAG.length + 32, BigInt(epoch), false);
  }

  private round(r: number, R: number): number {
    this.dv.setUint8(TAG.length + 40, r);
    this.dv.setUint32(TAG.length + 41, R, false);
    const d = sha256(this.msg);
    return ((d[0]! << 24) | (d[1]! << 16) | (d[2]! << 8) | d[3]!) >>> 0 & this.mask;
  }

  private feistel(v: number): number {
    let L = Math.floor(v / 2 ** this.h);
    let R = v & this.mask;
    for (let r = 0; r < ROUNDS; r++) {
      const next = (L ^ this.round(r, R)) >>> 0;
      L = R;
      R = next;
    }
    return L * 2 ** this.h + R;
  }

  /** π(i) for i in [0, N). */
  at(i: number): number {
    if (!Number.isInteger(i) || i < 0 || i >= this.params.n) throw new ConfigError("position", `${i} outside [0, ${this.params.n})`);
    let v = this.feistel(i);
    while (v >= this.params.n) v = this.feistel(v);
    return v;
  }

  /** The whole permutation. */
  table(): Uint32Array {
    const out = new Uint32Array(this.params.n);
    for (let i = 0; i < out.length; i++) out[i] = this.at(i);
    return out;
  }
}

/** Example ids of step s (one lookup per example; use BatchSchedule for a whole run). */
export function batchExamples(p: ScheduleParams, step: number): Uint32Array {
  const { epoch, batchId } = stepPosition(p, step);
  const perm = new EpochPermutation(p, epoch);
  const out = new Uint32Array(p.batch);
  for (let j = 0; j < p.batch; j++) out[j] = perm.at(batchId * p.batch + j);
  return out;
}

/** Caches one epoch's permutation table at a time. */
export class BatchSchedule {
  private epoch = -1;
  private perm: Uint32Array = new Uint32Array(0);
  readonly stepsPerEpoch: number;

  constructor(readonly params: ScheduleParams) {
    this.stepsPerEpoch = stepsPerEpoch(params);
  }

  examples(step: number): Uint32Array {
    const { epoch, batchId } = stepPosition(this.params, step);
    if (epoch !== this.epoch) {
      this.perm = new EpochPermutation(this.params, epoch).table();
      this.epoch = epoch;
    }
    return this.perm.subarray(batchId * this.params.batch, (batchId + 1) * this.params.batch);
  }
}
