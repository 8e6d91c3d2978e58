/**
 * Graph template encoding (docs/SPEC.md §7): the template tree (kind 0x16) has one leaf per node, the node
 * descriptor. The job stores the template root; the game opens a node's descriptor against it when the node is revealed,
 * so ops, wiring and tensor lengths come from the job, never from the trainer.
 *
 * descriptor = u16be opcode || u32be numel || u32be rows || u32be cols || u8 nInputs || u32be inputs[nInputs]
 *              || u8 nAttrs || u32be attrs[nAttrs]
 */
import { concat, u32be, u8 } from "./bytes.js";
import { buildTree, Kind, type MerkleTree } from "./merkle.js";
import { keccak_256 } from "@noble/hashes/sha3.js";

export const Opcode = {
  param: 1,
  data_x: 2,
  data_y: 3,
  linear: 10,
  matmul_nt: 11,
  transpose: 12,
  row_sum: 13,
  relu: 20,
  relu_bwd: 21,
  dropout: 22,
  dropout_bwd: 23,
  softmax: 30,
  xent_loss: 31,
  xent_grad: 32,
  momentum: 40,
  sgd: 41,
} as const;
export type OpcodeName = keyof typeof Opcode;

export interface NodeDescriptor {
  readonly opcode: number;
  readonly numel: number;
  readonly rows: number;
  readonly cols: number;
  readonly inputs: readonly number[];
  /** u32 attributes; float attributes (lr, mu) are given as their float32 bits */
  readonly attrs: readonly number[];
}

export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TemplateError";
  }
}

/**
 * The game's handle on a revealed node's descriptor (docs/GAME.md §5): `bytes16(keccak256(descriptor))`. Refereed
 * keeps it when the node is revealed (the descriptor opened against the template root) and the one-step check takes
 * the descriptor by it, without a second template proof. Not a commitment of the trace.
 */
export function descriptorHash(descriptor: Uint8Array): Uint8Array {
  return keccak_256(descriptor).slice(0, 16);
}

export function encodeDescriptor(d: NodeDescriptor): Uint8Array {
  if (!Number.isInteger(d.opcode) || d.opcode < 0 || d.opcode > 0xffff) throw new TemplateError(`opcode ${d.opcode} out of range`);
  if (d.numel !== d.rows * d.cols) throw new TemplateError(`numel ${d.numel} != rows ${d.rows} × cols ${d.cols}`);
  if (d.numel < 1) throw new TemplateError("a node needs at least one element");
  if (d.inputs.length > 255 || d.attrs.length > 255) throw new TemplateError("at most 255 inputs and 255 attributes");
  const op = new Uint8Array(2);
  new DataView(op.buffer).setUint16(0, d.opcode, false);
  return concat(
    op,
    u32be(d.numel),
    u32be(d.rows),
    u32be(d.cols),
    u8(d.inputs.length),
    ...d.inputs.map(u32be),
    u8(d.attrs.length),
    ...d.attrs.map((a) => u32be(a >>> 0)),
  );
}

export function decodeDescriptor(b: Uint8Array): NodeDescriptor {
  const dv = new DataView(b.buffer, b.byteOffset, b.length);
  const need = (n: number) => {
    if (b.length < n) throw new TemplateError(`descriptor truncated: ${b.length} bytes, need at least ${n}`);
  };
  need(15);
  const opcode = dv.getUint16(0, false);
  const numel = dv.getUint32(2, false);
  const rows = dv.getUint32(6, false);
  const cols = dv.getUint32(10, false);
  const nIn = dv.getUint8(14);
  need(15 + 4 * nIn + 1);
  const inputs = Array.from({ length: nIn }, (_, i) => dv.getUint32(15 + 4 * i, false));
  const nAt = dv.getUint8(15 + 4 * nIn);
  const end = 16 + 4 * nIn + 4 * nAt;
  need(end);
  if (b.length !== end) throw new TemplateError(`descriptor has ${b.length - end} trailing bytes`);
  const attrs = Array.from({ length: nAt }, (_, i) => dv.getUint32(16 + 4 * nIn + 4 * i, false));
  return { opcode, numel, rows, cols, inputs, attrs };
}

export function templateTree(nodes: readonly NodeDescriptor[]): MerkleTree {
  return buildTree(Kind.Template, nodes.map(encodeDescriptor));
}
