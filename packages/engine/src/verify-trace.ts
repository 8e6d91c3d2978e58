/**
 * Command line: verifies a trace directory in a fresh process and prints a JSON summary.
 *   node --import tsx packages/engine/src/verify-trace.ts <dir> [step node element]
 * With step/node/element it also serves and checks that element's proof against the rollup root.
 * Exit code 0 when everything verifies, 1 with {"error": …} otherwise.
 */
import { fromHex } from "@refereed/core";
import { TraceReader, verifyElementProof } from "./trace.js";

const [dir, step, node, element] = process.argv.slice(2);
try {
  if (!dir) throw new Error("usage: verify-trace <dir> [step node element]");
  const reader = TraceReader.open(dir);
  reader.verifyAll();
  const out: Record<string, unknown> = {
    ok: true,
    iterations: reader.manifest.iterations.length,
    rollups: reader.manifest.rollups.map((r) => r.root),
  };
  if (step !== undefined) {
    const p = reader.proveElement(Number(step), Number(node), Number(element));
    out.elementBits = verifyElementProof(p, fromHex(reader.rollupOf(Number(step)).root, 32));
  }
  console.log(JSON.stringify(out));
} catch (err) {
  console.log(JSON.stringify({ ok: false, error: (err as Error).message }));
  process.exitCode = 1;
}
