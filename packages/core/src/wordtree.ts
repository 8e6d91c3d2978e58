/**
 * The word tree of a revealed chunk (docs/SPEC.md §2.5): how the game opens ONE element of a chunk it has already
 * checked, without sending the chunk again.
 *
 * When the trainer reveals a chunk (`revealChunk`), the contract checks it against the chunk's leaf hash and then
 * replaces the game's current hash by the root of a keccak-256 tree over the chunk's 32 words: the chunk zero-padded
 * to 1,024 bytes, word i = bytes [32i, 32i + 32), leaves = the words themselves, inner node = keccak256(left ‖ right),
 * five levels. The challenger's element choice (`chooseElement`) then carries the element's word and its five siblings
 * (192 bytes) instead of the 1 KiB chunk. The root is computed by the contract from bytes it has just checked, so it binds exactly the
 * committed chunk; the depth is fixed, so a leaf can never be confused with an inner node.
 */
import { keccak_256 } from "@noble/hashes/sha3.js";
import { equalBytes } from "./bytes.js";
import { CHUNK_BYTES, CHUNK_ELEMS } from "./merkle.js";

/** Levels of the word tree (32 words of 32 bytes = one 1 KiB chunk). */
export const WORD_TREE_DEPTH = 5;
export const WORD_BYTES = 32;
/** Bytes of an element opening: the word and its siblings, bottom up. */
export const ELEMENT_OPENING_BYTES = WORD_BYTES * (1 + WORD_TREE_DEPTH);
const WORDS = 1 << WORD_TREE_DEPTH;

export class WordTreeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WordTreeError";
  }
}

function words(chunk: Uint8Array): Uint8Array[] {
  if (chunk.length < 1 || chunk.length > CHUNK_BYTES || chunk.length % 4 !== 0) {
    throw new WordTreeError(`a chunk is 4 to ${CHUNK_BYTES} bytes in whole elements, got ${chunk.length}`);
  }
  const padded = new Uint8Array(CHUNK_BYTES);
  padded.set(chunk);
  return Array.from({ length: WORDS }, (_, i) => padded.subarray(WORD_BYTES * i, WORD_BYTES * (i + 1)));
}

function parent(a: Uint8Array, b: Uint8Array): Uint8Array {
  const buf = new Uint8Array(64);
  buf.set(a);
  buf.set(b, 32);
  return keccak_256(buf);
}

/** All levels, leaves first. */
function levels(chunk: Uint8Array): Uint8Array[][] {
  const out = [words(chunk)];
  while (out[out.length - 1]!.length > 1) {
    const lv = out[out.length - 1]!;
    out.push(Array.from({ length: lv.length / 2 }, (_, i) => parent(lv[2 * i]!, lv[2 * i + 1]!)));
  }
  return out;
}

/** The word-tree root of a chunk (what `revealChunk` makes the game's current hash). */
export function chunkWordRoot(chunk: Uint8Array): Uint8Array {
  return levels(chunk)[WORD_TREE_DEPTH]![0]!;
}

/** The 192-byte opening of element `offset` (0..255) of `chunk`: its word, then the siblings bottom up. */
export function elementOpening(chunk: Uint8Array, offset: number): Uint8Array {
  if (!Number.isInteger(offset) || offset < 0 || offset >= CHUNK_ELEMS || 4 * offset >= chunk.length) {
    throw new WordTreeError(`element offset ${offset} is outside the chunk's ${chunk.length / 4} elements`);
  }
  const lv = levels(chunk);
  const out = new Uint8Array(ELEMENT_OPENING_BYTES);
  let i = offset >> 3;
  out.set(lv[0]![i]!, 0);
  for (let d = 0; d < WORD_TREE_DEPTH; d++, i >>= 1) out.set(lv[d]![i ^ 1]!, WORD_BYTES * (d + 1));
  return out;
}

/**
 * The float32 bits of element `offset` if `opening` opens it against `root`, else null (what `Refereed.step` checks).
 */
export function openElementWord(root: Uint8Array, offset: number, opening: Uint8Array): number | null {
  if (opening.length !== ELEMENT_OPENING_BYTES || !Number.isInteger(offset) || offset < 0 || offset >= CHUNK_ELEMS) return null;
  let h = opening.subarray(0, WORD_BYTES);
  let i = offset >> 3;
  for (let d = 0; d < WORD_TREE_DEPTH; d++, i >>= 1) {
    const s = opening.subarray(WORD_BYTES * (d + 1), WORD_BYTES * (d + 2));
    h = i & 1 ? parent(s, h) : parent(h, s);
  }
  if (!equalBytes(h, root)) return null;
  // float32 elements are little-endian in chunks (SPEC §1)
  return new DataView(opening.buffer, opening.byteOffset).getUint32(4 * (offset & 7), true);
}
