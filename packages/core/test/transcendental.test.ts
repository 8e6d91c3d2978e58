/**
 * Softmax and cross-entropy-loss rules (SPEC §6.4): the fixed-point exp/log against an independent high-precision
 * evaluation, the decisions against an independent high-precision evaluation of the exact rule, property tests
 * (fixed seeds) showing that honest binary64 and float32-only implementations are always accepted and values far off
 * always rejected, special values, and vectors/transcendental.json.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { bitsOf, decode, fromBits } from "../src/float32.js";
import {
  LN2_FIXED,
  ONE,
  checkSoftmax,
  checkXentLoss,
  expNegFixed,
  logFixed,
  softmaxRowF32,
  softmaxRowFloat32Only,
  transcendentalMargin,
  xentLossF32,
  xentLossFloat32Only,
} from "../src/transcendental.js";
import {
  VECTOR_MIN_ABS_MARGIN,
  VECTOR_MIN_MARGIN,
  farFromBound,
  lossBoundF64,
  makeTranscendentalVectors,
  softmaxBoundF64,
  xorshift,
  type TranscendentalVectors,
} from "../src/transcendental-vectors.js";

const fr = Math.fround;
const NAN = 0x7fc00000;
const INF = 0x7f800000;
const abs = (v: bigint) => (v < 0n ? -v : v);

// ----------------------------------------------------------------------------------------- independent reference
// Plain series at 2^-P without range reduction (a different algorithm from src/transcendental.ts).
const P = 640n;

/** exp(x)·2^P for x = a·2^-P >= 0 (a < 150·2^P): Σ x^i/i! term by term, truncation error < 2^-(P−200−10). */
function refExpPos(a: bigint): bigint {
  let term = 1n << P;
  let sum = term;
  for (let i = 1n; term !== 0n; i++) {
    term = (term * a) / (i << P);
    sum += term;
  }
  return sum;
}

/** exp(−D)·2^192 (real, as a scaled bigint at 2^-P) for D = dHat·2^-192. */
function refExpNeg(dHat: bigint): bigint {
  const e = refExpPos(dHat << (P - 192n)); // exp(D)·2^P
  return (1n << (2n * P)) / e; // exp(−D)·2^P
}

/** log(S) for S = sHat·2^-192 >= 1, at 2^-P: Newton on y ↦ y + S·exp(−y) − 1 from the binary64 estimate. */
function refLog(sHat: bigint): bigint {
  const s = sHat << (P - 192n);
  let y = BigInt(Math.floor(Math.log(Number(sHat) / 2 ** 192) * 2 ** 50)) << (P - 50n);
  if (y < 0n) y = 0n;
  for (let it = 0; it < 5; it++) {
    const ey = refExpPos(y); // exp(y)·2^P
    y = y + (s << P) / ey - (1n << P); // + S·exp(−y) − 1
  }
  return y;
}

/** Row values at 2^-P (exact: float32 values have at most 149 fraction bits). */
function toP(bits: number): bigint {
  const { m: mm, e } = decode(bits);
  return e + Number(P) >= 0 ? mm << BigInt(e + Number(P)) : mm >> BigInt(-e - Number(P));
}

/** exp(d_k) at 2^-P (0 below e^-150, which moves s, W and log s by < 2^-200) and D_k at 2^-P. */
function refRow(row: number[]): { E: bigint[]; D: bigint[]; S: bigint } {
  const mP = row.map(toP).reduce((a, b) => (b > a ? b : a));
  const D = row.map((z) => mP - toP(z));
  const E = D.map((d) => (d > 150n << P ? 0n : (1n << (2n * P)) / refExpPos(d)));
  return { E, D, S: E.reduce((a, b) => a + b, 0n) };
}

/**
 * The exact softmax rule (errors ~2^-600): |c − p_j| <= p_j·(2^-20 + 2^-23·(D_j + W + C)) + 2^-126, W = Σ p_k·D_k.
 * Times s: |c·s − e_j| <= e_j·2^-23·(8 + D_j + W + C) + 2^-126·s.
 */
function refSoftmaxAccepts(row: number[], j: number, claimed: number): boolean {
  const { E, D, S } = refRow(row);
  const W = E.reduce((a, e, k) => a + e * D[k]!, 0n) / S; // W at 2^-P
  const K = ((8n + BigInt(row.length)) << P) + D[j]! + W; // at 2^-P
  const { m: mc, e: ec } = decode(claimed);
  // everything times 2^(149 + 23 + P) to keep c and the 2^-23, 2^-126 factors integral
  const lhs = abs(mc * S * (1n << BigInt(ec + 149)) - E[j]! * (1n << 149n)) << (P + 23n);
  const rhs = E[j]! * K * (1n << 149n) + (S << (P + 23n + 149n - 126n));
  return lhs <= rhs;
}

/** The exact loss rule: |c − ℓ| <= 2^-20·ℓ + (C + 3)·2^-24 + 2^-126 with ℓ = log s + D_y. */
function refLossAccepts(row: number[], y: number, claimed: number): boolean {
  const { D, S } = refRow(row);
  const ell = refLog(S >> (P - 192n)) + D[y]!; // Ŝ at 2^-192 is plenty: log is 1-Lipschitz on S >= 1
  const c = toP(claimed);
  return abs(c - ell) <= (ell >> 20n) + (BigInt(row.length + 3) << (P - 24n)) + (1n << (P - 126n));
}

// ----------------------------------------------------------------------------------------- random rows

interface Row {
  readonly label: string;
  readonly row: Float32Array;
}

/** Random rows: C in 2..16, several magnitudes, dominant logits, all-equal rows, tiny differences. */
function randomRows(seed: number, count: number): Row[] {
  const r = xorshift(seed);
  const out: Row[] = [];
  const scales = [1e-3, 0.5, 2, 5, 10, 30, 80, 1e4];
  for (let t = 0; t < count; t++) {
    const C = 2 + Math.floor(r() * 15);
    const kind = t % 5;
    let row: Float32Array;
    if (kind === 0) {
      const scale = scales[Math.floor(r() * scales.length)]!;
      row = Float32Array.from({ length: C }, () => fr((r() * 2 - 1) * scale));
    } else if (kind === 1) {
      row = Float32Array.from({ length: C }, () => fr(r() * 4 - 2));
      row[Math.floor(r() * C)] = fr(10 + r() * 60); // one dominant logit
    } else if (kind === 2) {
      row = new Float32Array(C).fill(fr((r() - 0.5) * 100)); // all equal
    } else if (kind === 3) {
      const base = fr((r() - 0.5) * 10);
      row = Float32Array.from({ length: C }, () => fr(base * (1 + (Math.floor(r() * 9) - 4) * 2 ** -23))); // tiny differences
    } else {
      row = Float32Array.from({ length: C }, () => fr((r() * 2 - 1) * 80)); // large logits ±80
    }
    out.push({ label: `row ${t} (kind ${kind}, C=${C})`, row });
  }
  return out;
}

const bitsRow = (row: Float32Array) => Array.from(row, bitsOf);

/** Rows for the property tests: C in 2..16, logits uniform in ±40 or ±80, or a few near the maximum and the rest far. */
function propertyRows(seed: number, count: number): Row[] {
  const r = xorshift(seed);
  const out: Row[] = [];
  for (let t = 0; t < count; t++) {
    const C = 2 + Math.floor(r() * 15);
    const scale = t % 2 === 0 ? 40 : 80;
    let row: Float32Array;
    if (t % 3 === 2) {
      // clustered: half the logits within ±1 of a random centre, the rest anywhere in ±scale (large D_k and W)
      const centre = (r() * 2 - 1) * scale * 0.5;
      row = Float32Array.from({ length: C }, (_, k) => fr(k % 2 === 0 ? centre + r() * 2 - 1 : (r() * 2 - 1) * scale));
    } else {
      row = Float32Array.from({ length: C }, () => fr((r() * 2 - 1) * scale));
    }
    out.push({ label: `row ${t} (±${scale}, C=${C}) [${Array.from(row).join(", ")}]`, row });
  }
  return out;
}

// ----------------------------------------------------------------------------------------- tests

describe("fixed-point exp and log (SPEC §6.4 error bound)", () => {
  it("LN2_FIXED is round(ln2·2^192), checked against 100 published decimal digits of ln 2", () => {
    const digits = "6931471805599453094172321214581765680755001343602552541206800094933936219696947156058633269964186875";
    const ln2x = BigInt(digits); // ln2·10^100
    const scaled = (ln2x << 193n) / 10n ** 100n; // ln2·2^193 (digits give 2^-330 accuracy)
    assert.equal(LN2_FIXED, (scaled + 1n) >> 1n);
    assert.equal(LN2_FIXED.toString(16), "b17217f7d1cf79abc9e3b39803f2f6af40f343267298b62e");
  });

  it("expNegFixed: |Ê − e| <= 2^-118·e + 1 unit over 400 arguments in [0, 140] and at the range-reduction seams", () => {
    const r = xorshift(101);
    const args: bigint[] = [0n, 1n, LN2_FIXED - 1n, LN2_FIXED, LN2_FIXED + 1n, 64n * LN2_FIXED, 65n * LN2_FIXED - 1n, 199n * LN2_FIXED, 200n * LN2_FIXED - 1n];
    for (let i = 0; i < 400; i++) {
      const x = r() * 140 * (i % 3 === 0 ? r() : 1);
      args.push((BigInt(Math.floor(x * 2 ** 52)) << 140n) + BigInt(Math.floor(r() * 2 ** 30)));
    }
    for (const d of args) {
      const got = expNegFixed(d);
      const ref = refExpNeg(d); // exp(−D)·2^P, P = 640
      const err = abs((got << (P - 192n)) - ref);
      const allowed = (ref >> 118n) + (1n << (P - 192n));
      assert.ok(err <= allowed, `D = ${Number(d) / 2 ** 192}: error ${err} > ${allowed}`);
    }
    assert.equal(expNegFixed(0n), ONE);
    assert.equal(expNegFixed(200n * LN2_FIXED), 0n);
  });

  it("logFixed: |λ̂ − log S| <= 2^-119·log S + k/2 + 2 units, for S from 1 + 2^-192 to 2^24", () => {
    const r = xorshift(202);
    const args: bigint[] = [ONE, ONE + 1n, ONE + (1n << 100n), 2n * ONE - 1n, 2n * ONE, 3n * ONE, (1n << 216n) - 1n];
    for (let i = 0; i < 300; i++) {
      const k = Math.floor(r() * 24);
      const tiny = i % 4 === 0 ? BigInt(Math.floor(r() * 180)) : 0n;
      const frac = (BigInt(Math.floor(r() * 2 ** 52)) << 140n) >> tiny;
      args.push((ONE + frac) << BigInt(k));
    }
    for (const s of args) {
      const got = logFixed(s);
      const ref = refLog(s); // log(S)·2^P
      const k = BigInt(s.toString(2).length - 193);
      const err = abs((got << (P - 192n)) - ref);
      const allowed = (ref >> 119n) + ((k / 2n + 2n) << (P - 192n));
      assert.ok(err <= allowed, `S = ${Number(s) / 2 ** 192}: error ${err} > ${allowed}`);
    }
  });
});

/** p_j and the bound in binary64 (no float32 rounding), for choosing test values: never a verdict. */
function softmaxF64(row: Float32Array): { p: number[]; W: number; m: number } {
  let m = -Infinity;
  for (const z of row) if (z > m) m = z;
  const e = Array.from(row, (z) => Math.exp(z - m));
  const s = e.reduce((a, b) => a + b, 0);
  const p = e.map((x) => x / s);
  return { p, W: p.reduce((a, pk, k) => a + pk * (m - row[k]!), 0), m };
}

describe("softmax rule (SPEC §6.4)", () => {
  const rows = randomRows(7, 400);
  const props = propertyRows(11, 600);

  it("accepts the honest binary64 reference for every element of 400 random rows (logits from 1e-3 to 1e4)", () => {
    for (const { label, row } of rows) {
      const bits = bitsRow(row);
      const p = softmaxRowF32(row);
      for (let j = 0; j < row.length; j++) {
        const v = checkSoftmax(bits, j, bitsOf(p[j]!));
        assert.ok(v.ok, `${label} j=${j}: ${JSON.stringify(v)}`);
      }
    }
  });

  it("property: the binary64 reference and a float32-only implementation are always accepted (600 rows, C in 2..16, logits in ±40 and ±80)", () => {
    let n = 0;
    let needsNewTerms = 0; // float32-only values outside the former rule 2^-20·p + 2^-126
    for (const { label, row } of props) {
      const bits = bitsRow(row);
      const p64 = softmaxRowF32(row);
      const p32 = softmaxRowFloat32Only(row);
      const { p } = softmaxF64(row);
      for (let j = 0; j < row.length; j++) {
        for (const [impl, c] of [["binary64", p64[j]!], ["float32-only", p32[j]!]] as const) {
          const v = checkSoftmax(bits, j, bitsOf(c));
          assert.ok(v.ok, `${impl} ${label} j=${j} claimed ${c}: ${JSON.stringify(v)}`);
          n++;
        }
        if (Math.abs(p32[j]! - p[j]!) > 1.001 * (2 ** -20 * p[j]! + 2 ** -126)) needsNewTerms++;
      }
    }
    assert.ok(n > 10_000, `${n} checks`);
    // the rows exercise the |d_j|, W and C terms: many float32-only values would fail the old 2^-20 rule
    assert.ok(needsNewTerms > 100, `only ${needsNewTerms} float32-only values need the |d_j|, W, C terms`);
  });

  it("property: rejects p·(1 ± 2^-10) and p·(1 ± 2^-14) wherever p >= 2^-100, on both row sets", () => {
    let checked = 0;
    for (const { label, row } of [...rows, ...props]) {
      const bits = bitsRow(row);
      const p = softmaxRowF32(row);
      for (let j = 0; j < row.length; j++) {
        if (p[j]! < 2 ** -100) continue;
        for (const f of [1 + 2 ** -10, 1 - 2 ** -10, 1 + 2 ** -14, 1 - 2 ** -14]) {
          const c = fr(p[j]! * f);
          const v = checkSoftmax(bits, j, bitsOf(c));
          assert.ok(!v.ok && v.reason === "out-of-bound", `${label} j=${j} factor ${f}: accepted ${c} for ${p[j]}`);
          checked++;
        }
      }
    }
    assert.ok(checked > 10_000, `only ${checked} cases`);
  });

  it("property: rejects p_k claimed as p_j wherever the two differ by more than 1% of p_j and by more than 2^-100", () => {
    let checked = 0;
    for (const { label, row } of props) {
      const bits = bitsRow(row);
      const p = softmaxRowF32(row);
      for (let j = 0; j < row.length; j++) {
        for (let k = 0; k < row.length; k++) {
          const diff = Math.abs(p[k]! - p[j]!);
          if (diff <= 0.01 * p[j]! || diff <= 2 ** -100) continue;
          const v = checkSoftmax(bits, j, bitsOf(p[k]!));
          assert.ok(!v.ok && v.reason === "out-of-bound", `${label}: accepted p[${k}] = ${p[k]} as p[${j}] = ${p[j]}`);
          checked++;
        }
      }
    }
    assert.ok(checked > 10_000, `only ${checked} cases`);
  });

  it("the W term counts: values between the bound without W and the bound with it are accepted, beyond it rejected", () => {
    let inside = 0;
    let outside = 0;
    const r = xorshift(47);
    // wide rows with many comparable logits have the largest W (up to log C)
    const wide = Array.from({ length: 1000 }, (_, t) => {
      const row = Float32Array.from({ length: 12 + Math.floor(r() * 5) }, () => fr((r() * 2 - 1) * (3 + (t % 3))));
      return { label: `wide row ${t} [${Array.from(row).join(", ")}]`, row };
    });
    for (const { label, row } of wide) {
      const { p, W, m } = softmaxF64(row);
      if (W < 1) continue;
      const bits = bitsRow(row);
      for (let j = 0; j < row.length; j++) {
        if (p[j]! < 2 ** -90) continue;
        const rel0 = 2 ** -20 + 2 ** -23 * (m - row[j]! + row.length);
        const b0 = p[j]! * rel0 + 2 ** -126;
        const b1 = p[j]! * (rel0 + 2 ** -23 * W) + 2 ** -126;
        const cIn = fr(p[j]! + (b0 + b1) / 2);
        if (cIn - p[j]! > b0 * (1 + 2 ** -30) && cIn - p[j]! < b1 * (1 - 2 ** -30)) {
          assert.ok(checkSoftmax(bits, j, bitsOf(cIn)).ok, `${label} j=${j}: ${cIn} within the W term rejected`);
          inside++;
        }
        const cOut = fr(p[j]! - b1 - (b1 - b0) / 2);
        if (p[j]! - cOut > b1 * (1 + 2 ** -30)) {
          assert.equal(checkSoftmax(bits, j, bitsOf(cOut)).ok, false, `${label} j=${j}: ${cOut} beyond the bound accepted`);
          outside++;
        }
      }
    }
    assert.ok(inside > 150 && outside > 150, `${inside} inside, ${outside} outside`);
  });

  it("decides as the exact rule (independent 2^-640 evaluation) on claimed values around both edges", () => {
    const r = xorshift(33);
    let n = 0;
    let accepted = 0;
    for (const { row } of [...rows.slice(0, 80), ...props.slice(0, 80)]) {
      const bits = bitsRow(row);
      const p = softmaxRowF32(row);
      const j = Math.floor(r() * row.length);
      const pj = p[j]!;
      const b = softmaxBoundF64(row, j);
      for (const side of [1, -1]) {
        const edge = pj + side * b;
        for (const off of [-3, -1, 1, 3]) {
          const c = fr(edge * (1 + off * 2 ** -24) + off * 2 ** -135);
          const cb = bitsOf(c);
          if (!farFromBound("softmax", bits, j, cb)) continue;
          const ok = refSoftmaxAccepts(bits, j, cb);
          assert.equal(checkSoftmax(bits, j, cb).ok, ok, `row ${row} j=${j} c=${c}`);
          n++;
          if (ok) accepted++;
        }
      }
    }
    assert.ok(n > 600 && accepted > 150 && n - accepted > 150, `${n} comparisons, ${accepted} accepted`);
  });

  it("rejects NaN/Inf in the row or as the claimed value, C = 0 and a bad index", () => {
    const row = [0.5, -1, 2].map(bitsOf);
    const p = softmaxRowF32(Float32Array.from([0.5, -1, 2]));
    assert.ok(checkSoftmax(row, 0, bitsOf(p[0]!)).ok);
    for (const bad of [NAN, INF, 0xff800000, 0x7f800001, 0xffc00000]) {
      assert.deepEqual(checkSoftmax([row[0]!, bad, row[2]!], 0, bitsOf(p[0]!)).ok, false);
      const v = checkSoftmax(row, 0, bad);
      assert.ok(!v.ok && v.reason === "non-finite", JSON.stringify(v));
    }
    assert.equal(checkSoftmax([], 0, bitsOf(1)).ok, false);
    for (const j of [3, -1, 1.5]) {
      const v = checkSoftmax(row, j, bitsOf(p[0]!));
      assert.ok(!v.ok && v.reason === "bad-input", `j = ${j}`);
    }
  });

  it("uses the absolute term 2^-126 for vanishing probabilities, and p = 1 for C = 1", () => {
    const gap = [bitsOf(100), bitsOf(-100)]; // p_1 = e^-200
    assert.ok(checkSoftmax(gap, 1, 0).ok);
    assert.ok(checkSoftmax(gap, 1, bitsOf(-(2 ** -127))).ok);
    assert.ok(checkSoftmax(gap, 1, bitsOf(2 ** -126 * 0.999)).ok);
    assert.ok(!checkSoftmax(gap, 1, bitsOf(2 ** -126 * 1.001)).ok);
    assert.ok(checkSoftmax([bitsOf(-3)], 0, bitsOf(1)).ok);
    assert.ok(!checkSoftmax([bitsOf(-3)], 0, bitsOf(1 - 2 ** -19)).ok);
    assert.ok(!checkSoftmax([bitsOf(-3)], 0, bitsOf(2)).ok);
  });

  it("handles huge and subnormal logits exactly (no overflow, equal values ±0)", () => {
    const huge = [3e38, -3e38, 1e30].map(fr);
    const p = softmaxRowF32(Float32Array.from(huge));
    for (let j = 0; j < 3; j++) assert.ok(checkSoftmax(huge.map(bitsOf), j, bitsOf(p[j]!)).ok, `j=${j}`);
    const sub = [0x00000001, 0x80000000, 0x00000000, 0x80000001];
    const ps = softmaxRowF32(new Float32Array(new Uint32Array(sub).buffer));
    for (let j = 0; j < 4; j++) assert.ok(checkSoftmax(sub, j, bitsOf(ps[j]!)).ok, `j=${j}`);
    assert.ok(!checkSoftmax(sub, 0, bitsOf(0.25 * (1 + 2 ** -18))).ok);
  });
});

describe("cross-entropy loss rule (SPEC §6.4)", () => {
  const rows = randomRows(8, 400);
  const props = propertyRows(12, 600);

  it("accepts the honest binary64 reference for every label of 400 random rows (logits from 1e-3 to 1e4)", () => {
    for (const { label, row } of rows) {
      const bits = bitsRow(row);
      for (let y = 0; y < row.length; y++) {
        const v = checkXentLoss(bits, bitsOf(y), bitsOf(xentLossF32(row, y)));
        assert.ok(v.ok, `${label} y=${y}: ${JSON.stringify(v)}`);
      }
    }
  });

  it("property: the binary64 reference and a float32-only implementation are always accepted, every label including the row maximum (600 rows, C in 2..16, logits in ±40 and ±80)", () => {
    let n = 0;
    let needsNewTerm = 0; // float32-only values outside the former rule 2^-20·ℓ + 2^-126
    for (const { label, row } of props) {
      const bits = bitsRow(row);
      for (let y = 0; y < row.length; y++) {
        const l64 = xentLossF32(row, y);
        const l32 = xentLossFloat32Only(row, y);
        for (const [impl, c] of [["binary64", l64], ["float32-only", l32]] as const) {
          const v = checkXentLoss(bits, bitsOf(y), bitsOf(c));
          assert.ok(v.ok, `${impl} ${label} y=${y} claimed ${c}: ${JSON.stringify(v)}`);
          n++;
        }
        if (Math.abs(l32 - l64) > 1.001 * (2 ** -20 * l64 + 2 ** -126)) needsNewTerm++;
      }
    }
    assert.ok(n > 10_000, `${n} checks`);
    assert.ok(needsNewTerm > 100, `only ${needsNewTerm} float32-only losses need the (C + 3)·2^-24 term`);
  });

  it("property: rejects ℓ ± 2^-10·max(ℓ, 1), on both row sets", () => {
    let checked = 0;
    for (const { label, row } of [...rows, ...props]) {
      const bits = bitsRow(row);
      for (let y = 0; y < row.length; y++) {
        const l = xentLossF32(row, y);
        for (const side of [1, -1]) {
          const c = fr(l + side * 2 ** -10 * Math.max(l, 1));
          const v = checkXentLoss(bits, bitsOf(y), bitsOf(c));
          assert.ok(!v.ok && v.reason === "out-of-bound", `${label} y=${y}: accepted ${c} for ${l}`);
          checked++;
        }
      }
    }
    assert.ok(checked > 10_000, `only ${checked} cases`);
  });

  it("property: rejects the loss of another label wherever it differs by more than 1% of ℓ and by more than 2^-16", () => {
    let checked = 0;
    for (const { label, row } of props) {
      const bits = bitsRow(row);
      const ls = Array.from(row, (_, y) => xentLossF32(row, y));
      for (let y = 0; y < row.length; y++) {
        for (let k = 0; k < row.length; k++) {
          const diff = Math.abs(ls[k]! - ls[y]!);
          if (diff <= 0.01 * ls[y]! || diff <= 2 ** -16) continue;
          const v = checkXentLoss(bits, bitsOf(y), bitsOf(ls[k]!));
          assert.ok(!v.ok && v.reason === "out-of-bound", `${label}: accepted ℓ[${k}] = ${ls[k]} as ℓ[${y}] = ${ls[y]}`);
          checked++;
        }
      }
    }
    assert.ok(checked > 10_000, `only ${checked} cases`);
  });

  it("decides as the exact rule (independent 2^-640 evaluation) on claimed values around both edges", () => {
    const r = xorshift(34);
    let n = 0;
    let accepted = 0;
    for (const { row } of [...rows.slice(0, 80), ...props.slice(0, 80)]) {
      const bits = bitsRow(row);
      const y = Math.floor(r() * row.length);
      const l = xentLossF32(row, y);
      const b = lossBoundF64(row, y);
      for (const side of [1, -1]) {
        const edge = l + side * b;
        for (const off of [-3, -1, 1, 3]) {
          const c = fr(edge * (1 + off * 2 ** -24) + off * 2 ** -135);
          const cb = bitsOf(c);
          if (!farFromBound("loss", bits, bitsOf(y), cb)) continue;
          const ok = refLossAccepts(bits, y, cb);
          assert.equal(checkXentLoss(bits, bitsOf(y), cb).ok, ok, `row ${row} y=${y} c=${c}`);
          n++;
          if (ok) accepted++;
        }
      }
    }
    assert.ok(n > 600 && accepted > 150 && n - accepted > 150, `${n} comparisons, ${accepted} accepted`);
  });

  it("labels: −0 is 0; non-integers, out of range, negative, NaN/Inf are violations", () => {
    const row = [0.5, -1, 2].map(bitsOf);
    const f = Float32Array.from([0.5, -1, 2]);
    assert.ok(checkXentLoss(row, 0x80000000, bitsOf(xentLossF32(f, 0))).ok);
    assert.ok(checkXentLoss(row, bitsOf(2), bitsOf(xentLossF32(f, 2))).ok);
    for (const bad of [bitsOf(3), bitsOf(1.5), bitsOf(-1), 1, bitsOf(2 ** 40), NAN, INF]) {
      const v = checkXentLoss(row, bad, bitsOf(xentLossF32(f, 0)));
      assert.ok(!v.ok && v.reason === "bad-input", `label bits 0x${bad.toString(16)}: ${JSON.stringify(v)}`);
    }
    assert.equal(checkXentLoss([row[0]!, NAN, row[2]!], bitsOf(0), bitsOf(xentLossF32(f, 0))).ok, false);
    assert.equal(checkXentLoss(row, bitsOf(0), INF).ok, false);
    assert.equal(checkXentLoss([], bitsOf(0), 0).ok, false);
  });

  it("huge logit gaps: ℓ ≈ D_y to 2^-20; a tiny ℓ within the absolute term (C + 3)·2^-24", () => {
    const huge = [1e38, -1e38].map(fr);
    const l = xentLossF32(Float32Array.from(huge), 1); // 2e38
    assert.ok(checkXentLoss(huge.map(bitsOf), bitsOf(1), bitsOf(l)).ok);
    assert.ok(!checkXentLoss(huge.map(bitsOf), bitsOf(1), bitsOf(fr(l * (1 + 2 ** -19)))).ok);
    assert.ok(checkXentLoss(huge.map(bitsOf), bitsOf(0), 0).ok); // ℓ = log1p(e^-2e38)
    // ℓ = log1p(e^-24) ≈ 3.8e-11, C = 2: bound ≈ 5·2^-24 ≈ 2^-21.7
    const conf = [12, -12].map(bitsOf);
    const lc = xentLossF32(Float32Array.from([12, -12]), 0);
    for (const c of [lc, 0, fr(lc + 2 ** -22), fr(lc - 2 ** -22)]) assert.ok(checkXentLoss(conf, bitsOf(0), bitsOf(c)).ok, `${c}`);
    for (const c of [fr(lc + 2 ** -21), fr(lc - 2 ** -21)]) assert.ok(!checkXentLoss(conf, bitsOf(0), bitsOf(c)).ok, `${c}`);
    // the float32-only loss of a confident correct prediction (fround(log(fround(1 + e^-12))), off by ~2^-25) passes
    const l32 = xentLossFloat32Only(Float32Array.from([12, 0]), 0);
    assert.ok(Math.abs(l32 - xentLossF32(Float32Array.from([12, 0]), 0)) > 2 ** -20 * 6e-6, "the example is not a hard one");
    assert.ok(checkXentLoss([12, 0].map(bitsOf), bitsOf(0), bitsOf(l32)).ok);
  });
});

describe("vectors/transcendental.json", () => {
  const file = JSON.parse(readFileSync(new URL("../../../vectors/transcendental.json", import.meta.url), "utf8")) as TranscendentalVectors;

  it("is what makeTranscendentalVectors() generates (deterministic, up to date) and has the promised coverage", () => {
    const v = makeTranscendentalVectors();
    assert.deepEqual(file.softmax, v.softmax);
    assert.deepEqual(file.loss, v.loss);
    assert.ok(file.softmax.length >= 40 && file.loss.length >= 30);
    for (const set of [file.softmax, file.loss]) {
      assert.ok(set.filter((c) => c.accept).length >= 15 && set.filter((c) => !c.accept).length >= 15);
    }
  });

  it("every case: verdict recomputed, and bound-decided cases lie farther than 2^-40·bound and 2^-100 from the bound", () => {
    const far = (m: { relative: number; absolute: number }) =>
      Math.abs(m.relative) > VECTOR_MIN_MARGIN && Math.abs(m.absolute) > VECTOR_MIN_ABS_MARGIN;
    for (const c of file.softmax) {
      const v = checkSoftmax(c.row, c.j, c.claimed);
      assert.equal(v.ok, c.accept, c.name);
      if (v.ok || v.reason === "out-of-bound") assert.ok(far(transcendentalMargin("softmax", c.row, c.j, c.claimed)), c.name);
    }
    for (const c of file.loss) {
      const v = checkXentLoss(c.row, c.label, c.claimed);
      assert.equal(v.ok, c.accept, c.name);
      if (v.ok || v.reason === "out-of-bound") assert.ok(far(transcendentalMargin("loss", c.row, c.label, c.claimed)), c.name);
    }
    assert.equal(VECTOR_MIN_MARGIN, 2 ** -40);
    assert.equal(VECTOR_MIN_ABS_MARGIN, 2 ** -100);
  });

  it("bound-decided cases agree with the independent 2^-640 evaluation of the exact rule", () => {
    for (const c of file.softmax) {
      const v = checkSoftmax(c.row, c.j, c.claimed);
      if (v.ok || v.reason === "out-of-bound") assert.equal(refSoftmaxAccepts(c.row, c.j, c.claimed), c.accept, c.name);
    }
    for (const c of file.loss) {
      const v = checkXentLoss(c.row, c.label, c.claimed);
      if (v.ok || v.reason === "out-of-bound") assert.equal(refLossAccepts(c.row, fromBits(c.label) || 0, c.claimed), c.accept, c.name);
    }
  });
});
