import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { toHex } from "../src/bytes.js";
import { decodeDescriptor, encodeDescriptor, Opcode, templateTree, TemplateError } from "../src/template.js";
import { Kind, verifyProof } from "../src/merkle.js";

describe("graph template descriptors (SPEC §7)", () => {
  const lin = { opcode: Opcode.linear, numel: 64 * 128, rows: 64, cols: 128, inputs: [8, 0, 1], attrs: [784] }; // attrs: K
  const drop = { opcode: Opcode.dropout, numel: 64 * 128, rows: 64, cols: 128, inputs: [10], attrs: [1, 1, 5] };

  it("encodes the exact byte layout and round-trips", () => {
    const b = encodeDescriptor(drop);
    assert.equal(toHex(b), "0x0016" + "00002000" + "00000040" + "00000080" + "01" + "0000000a" + "03" + "00000001" + "00000001" + "00000005");
    assert.deepEqual(decodeDescriptor(b), drop);
    assert.deepEqual(decodeDescriptor(encodeDescriptor(lin)), lin);
  });

  it("refuses inconsistent shapes, truncation and trailing bytes", () => {
    assert.throws(() => encodeDescriptor({ ...lin, numel: 5 }), TemplateError);
    const b = encodeDescriptor(lin);
    assert.throws(() => decodeDescriptor(b.slice(0, b.length - 1)), /truncated/);
    const longer = new Uint8Array(b.length + 1);
    longer.set(b);
    assert.throws(() => decodeDescriptor(longer), /trailing/);
  });

  it("builds a template tree whose leaves open at their node id", () => {
    const t = templateTree([lin, drop]);
    assert.equal(t.kind, Kind.Template);
    assert.ok(verifyProof(Kind.Template, 2, t.root, 1, encodeDescriptor(drop), t.proof(1).siblings));
    assert.ok(!verifyProof(Kind.Template, 2, t.root, 0, encodeDescriptor(drop), t.proof(1).siblings));
  });
});
