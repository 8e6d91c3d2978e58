/** Small helpers. */
import { fromHex } from "@refereed/core";

/** A 32-byte seed from 0x-hex. */
export function fromHexSeed(h: string): Uint8Array {
  return fromHex(h, 32, "seed");
}
