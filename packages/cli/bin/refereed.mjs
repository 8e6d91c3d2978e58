#!/usr/bin/env node
// Runs the TypeScript CLI through tsx (no build step): `npx refereed …` from the repository root.
import { register } from "tsx/esm/api";

register();
const { run } = await import("../src/main.ts");
process.exitCode = await run(process.argv.slice(2));
