/**
 * Softmax and cross-entropy-loss rules (SPEC §6.4): the fixed-point exp/log against an independent high-precision
 * evaluation, the decisions against an independent high-precision evaluation of the exact rule, honest values
 * accepted and wrong ones rejected over many random rows (fixed seeds), special values, and vectors/transcendental.json.
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
  transcendentalMargin,
  xentLossF32,
} from "../src/transcendental.js";
import { makeTranscendentalVectors, xorshift, type TranscendentalVectors } from "../src/transcendental-vectors.js";

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

/** The exact rule evaluated with the reference functions (errors ~2^-400): true iff it accepts. */
function refSoftmaxAccepts(row: number[], j: number, claimed: number): boolean {
  const vals = row.map(fromBits);
  const m = Math.max(...vals);
  const toP = (bits: number) => {
    const { m: mm, e } = decode(bits);
    return e + Number(P) >= 0 ? mm << BigInt(e + Number(P)) : mm >> BigInt(-e - Number(P));
  };
  const mP = toP(bitsOf(m));
  const E = row.map((z) => {
    const d = mP - toP(z);
    if (d > 150n << P) return 0n;
    return (1n << (2n * P)) / refExpPos(d);
  });
  const S = E.reduce((a, b) => a + b, 0n);
  // |c·S − E_j| <= 2^-20·E_j + 2^-126·S, c = mc·2^ec, all at 2^-P (times 2^149 to keep c integral)
  const { m: mc, e: ec } = decode(claimed);
  const lhs = abs(mc * S * (1n << BigInt(ec + 149)) - E[j]! * (1n << 149n));
  const rhs = (E[j]! << 129n) + (S << 23n);
  return lhs <= rhs;
}

function refLossAccepts(row: number[], y: number, claimed: number): boolean {
  const vals = row.map(fromBits);
  const m = Math.max(...vals);
  const toP = (bits: number) => {
    const { m: mm, e } = decode(bits);
    return e + Number(P) >= 0 ? mm << BigInt(e + Number(P)) : mm >> BigInt(-e - Number(P));
  };
  const mP = toP(bitsOf(m));
  let S = 0n;
  for (const z of row) {
    const d = mP - toP(z);
    if (d <= 150n << P) S += (1n << (2n * P)) / refExpPos(d);
  }
  const ell = refLog(S >> (P - 192n)) + (mP - toP(row[y]!)); // Ŝ at 2^-192 is plenty: log is 1-Lipschitz on S >= 1
  const c = toP(claimed);
  return abs(c - ell) <= (ell >> 20n) + (1n << (P - 126n));
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

/** Softmax computed in float32 arithmetic only: every operation rounded with Math.fround. */
function softmaxF32Only(row: Float32Array): number[] {
  let m = -Infinity;
  for (const z of row) if (z > m) m = z;
  const e = Array.from(row, (z) => fr(Math.exp(fr(z - m))));
  let s = 0;
  for (const x of e) s = fr(s + x);
  return e.map((x) => fr(x / s));
}

function lossF32Only(row: Float32Array, y: number): number {
  let m = -Infinity;
  for (const z of row) if (z > m) m = z;
  let s = 0;
  for (const z of row) s = fr(s + fr(Math.exp(fr(z - m))));
  return fr(fr(Math.log(s)) - fr(row[y]! - m));
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

describe("softmax rule (SPEC §6.4)", () => {
  const rows = randomRows(7, 400);

  it("accepts the honest binary64 reference for every element of 400 random rows", () => {
    for (const { label, row } of rows) {
      const bits = bitsRow(row);
      const p = softmaxRowF32(row);
      for (let j = 0; j < row.length; j++) {
        const v = checkSoftmax(bits, j, bitsOf(p[j]!));
        assert.ok(v.ok, `${label} j=${j}: ${JSON.stringify(v)}`);
      }
    }
  });

  it("rejects p·(1 ± 2^-19) and p·(1 ± 2^-10) wherever p >= 2^-100 (the relative term dominates)", () => {
    let checked = 0;
    for (const { label, row } of rows) {
      const bits = bitsRow(row);
      const p = softmaxRowF32(row);
      for (let j = 0; j < row.length; j++) {
        if (p[j]! < 2 ** -100) continue;
        for (const f of [1 + 2 ** -19, 1 - 2 ** -19, 1 + 2 ** -10, 1 - 2 ** -10]) {
          const c = fr(p[j]! * f);
          const v = checkSoftmax(bits, j, bitsOf(c));
          assert.ok(!v.ok && v.reason === "out-of-bound", `${label} j=${j} factor ${f}: accepted ${c} for ${p[j]}`);
          checked++;
        }
      }
    }
    assert.ok(checked > 2000, `only ${checked} cases`);
  });

  it("decides as the exact rule (independent 2^-640 evaluation) on claimed values around both edges", () => {
    const r = xorshift(33);
    let n = 0;
    let accepted = 0;
    for (const { row } of rows.slice(0, 120)) {
      const bits = bitsRow(row);
      const p = softmaxRowF32(row);
      const j = Math.floor(r() * row.length);
      const pj = p[j]!;
      for (const side of [1, -1]) {
        const edge = pj + side * (pj * 2 ** -20 + 2 ** -126);
        for (const off of [-3, -1, 1, 3]) {
          const c = fr(edge * (1 + off * 2 ** -24) + off * 2 ** -135);
          const cb = bitsOf(c);
          if (Math.abs(transcendentalMargin("softmax", bits, j, cb)) < 2 ** -40) continue;
          const ok = refSoftmaxAccepts(bits, j, cb);
          assert.equal(checkSoftmax(bits, j, cb).ok, ok, `row ${row} j=${j} c=${c}`);
          n++;
          if (ok) accepted++;
        }
      }
    }
    assert.ok(n > 600 && accepted > 150 && n - accepted > 150, `${n} comparisons, ${accepted} accepted`);
  });

  it("accepts a float32-only implementation (every step in Math.fround) for C <= 16 and logits in ±4", () => {
    const r = xorshift(44);
    for (let t = 0; t < 300; t++) {
      const C = 2 + Math.floor(r() * 15);
      const row = Float32Array.from({ length: C }, () => fr((r() * 2 - 1) * 4));
      const bits = bitsRow(row);
      const p = softmaxF32Only(row);
      for (let j = 0; j < C; j++) assert.ok(checkSoftmax(bits, j, bitsOf(p[j]!)).ok, `row ${row} j=${j}`);
    }
  });

  it("characterisation (reported to the lead): float32-only softmax is rejected for some rows with logits in ±20", () => {
    // fround(z − m) rounds d_j with relative error up to 2^-24, i.e. exp(d_j) with relative error |d_j|·2^-24,
    // which exceeds the 2^-20 allowance once |d_j| > 16 (while p_j > 2^-106 keeps the absolute term negligible).
    const r = xorshift(45);
    let rejected = 0;
    for (let t = 0; t < 200; t++) {
      const row = Float32Array.from({ length: 10 }, () => fr((r() * 2 - 1) * 20));
      const p = softmaxF32Only(row);
      for (let j = 0; j < 10; j++) if (!checkSoftmax(bitsRow(row), j, bitsOf(p[j]!)).ok) rejected++;
    }
    assert.ok(rejected > 0);
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

  it("accepts the honest binary64 reference for every label of 400 random rows", () => {
    for (const { label, row } of rows) {
      const bits = bitsRow(row);
      for (let y = 0; y < row.length; y++) {
        const v = checkXentLoss(bits, bitsOf(y), bitsOf(xentLossF32(row, y)));
        assert.ok(v.ok, `${label} y=${y}: ${JSON.stringify(v)}`);
      }
    }
  });

  it("rejects ℓ·(1 ± 2^-19) and ℓ·(1 ± 2^-10) wherever ℓ >= 2^-100", () => {
    let checked = 0;
    for (const { label, row } of rows) {
      const bits = bitsRow(row);
      for (let y = 0; y < row.length; y++) {
        const l = xentLossF32(row, y);
        if (l < 2 ** -100) continue;
        for (const f of [1 + 2 ** -19, 1 - 2 ** -19, 1 + 2 ** -10, 1 - 2 ** -10]) {
          const v = checkXentLoss(bits, bitsOf(y), bitsOf(fr(l * f)));
          assert.ok(!v.ok && v.reason === "out-of-bound", `${label} y=${y} factor ${f}`);
          checked++;
        }
      }
    }
    assert.ok(checked > 2000, `only ${checked} cases`);
  });

  it("decides as the exact rule (independent 2^-640 evaluation) on claimed values around both edges", () => {
    const r = xorshift(34);
    let n = 0;
    let accepted = 0;
    for (const { row } of rows.slice(0, 120)) {
      const bits = bitsRow(row);
      const y = Math.floor(r() * row.length);
      const l = xentLossF32(row, y);
      for (const side of [1, -1]) {
        const edge = l + side * (l * 2 ** -20 + 2 ** -126);
        for (const off of [-3, -1, 1, 3]) {
          const c = fr(edge * (1 + off * 2 ** -24) + off * 2 ** -135);
          const cb = bitsOf(c);
          if (Math.abs(transcendentalMargin("loss", bits, bitsOf(y), cb)) < 2 ** -40) continue;
          const ok = refLossAccepts(bits, y, cb);
          assert.equal(checkXentLoss(bits, bitsOf(y), cb).ok, ok, `row ${row} y=${y} c=${c}`);
          n++;
          if (ok) accepted++;
        }
      }
    }
    assert.ok(n > 600 && accepted > 150 && n - accepted > 150, `${n} comparisons, ${accepted} accepted`);
  });

  it("accepts a float32-only implementation when the label is not a row maximum (C <= 16, logits in ±8)", () => {
    const r = xorshift(46);
    let n = 0;
    for (let t = 0; t < 300; t++) {
      const C = 2 + Math.floor(r() * 15);
      const row = Float32Array.from({ length: C }, () => fr((r() * 2 - 1) * 8));
      const m = Math.max(...row);
      for (let y = 0; y < C; y++) {
        if (row[y] === m) continue;
        assert.ok(checkXentLoss(bitsRow(row), bitsOf(y), bitsOf(lossF32Only(row, y))).ok, `row ${row} y=${y}`);
        n++;
      }
    }
    assert.ok(n > 2000);
  });

  it("characterisation (reported to the lead): float32-only loss of a confident correct prediction is rejected", () => {
    // ℓ = log1p(e^-12) ≈ 6.1e-6, but fround(log(fround(s))) has an absolute error ~2^-25: relative error ~2^-7.
    const row = Float32Array.from([12, 0]);
    const l32 = lossF32Only(row, 0);
    assert.ok(!checkXentLoss(bitsRow(row), bitsOf(0), bitsOf(l32)).ok, `float32-only ${l32} vs ${xentLossF32(row, 0)}`);
    assert.ok(checkXentLoss(bitsRow(row), bitsOf(0), bitsOf(xentLossF32(row, 0))).ok);
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

  it("huge logit gaps: ℓ ≈ D_y to 2^-20, and a tiny ℓ to 2^-20 relative", () => {
    const huge = [1e38, -1e38].map(fr);
    const l = xentLossF32(Float32Array.from(huge), 1); // 2e38
    assert.ok(checkXentLoss(huge.map(bitsOf), bitsOf(1), bitsOf(l)).ok);
    assert.ok(!checkXentLoss(huge.map(bitsOf), bitsOf(1), bitsOf(fr(l * (1 + 2 ** -19)))).ok);
    assert.ok(checkXentLoss(huge.map(bitsOf), bitsOf(0), 0).ok); // ℓ = log1p(e^-2e38)
    const conf = [12, -12].map(bitsOf);
    const lc = xentLossF32(Float32Array.from([12, -12]), 0);
    assert.ok(checkXentLoss(conf, bitsOf(0), bitsOf(lc)).ok);
    assert.ok(!checkXentLoss(conf, bitsOf(0), bitsOf(fr(lc * (1 + 2 ** -19)))).ok);
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

  it("every case: verdict recomputed, and bound-decided cases lie farther than 2^-40 from the bound", () => {
    for (const c of file.softmax) {
      const v = checkSoftmax(c.row, c.j, c.claimed);
      assert.equal(v.ok, c.accept, c.name);
      if (v.ok || v.reason === "out-of-bound") assert.ok(Math.abs(transcendentalMargin("softmax", c.row, c.j, c.claimed)) > 2 ** -40, c.name);
    }
    for (const c of file.loss) {
      const v = checkXentLoss(c.row, c.label, c.claimed);
      assert.equal(v.ok, c.accept, c.name);
      if (v.ok || v.reason === "out-of-bound") assert.ok(Math.abs(transcendentalMargin("loss", c.row, c.label, c.claimed)) > 2 ** -40, c.name);
    }
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
