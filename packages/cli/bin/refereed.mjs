#!/usr/bin/env node
// Runs the TypeScript CLI through tsx (no build step): `npx refereed …` from the repository root.
import { register } from "tsx/esm/api";

// node:sqlite (the bots' store) is flagged experimental on Node 22: keep every other warning, drop that one.
process.removeAllListeners("warning");
process.on("warning", (w) => {
  if (w.name !== "ExperimentalWarning") process.stderr.write(`${w.name}: ${w.message}\n`);
});

register();
const { run } = await import("../src/main.ts");
process.exitCode = await run(process.argv.slice(2));
