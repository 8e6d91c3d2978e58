import { writeFileSync } from "node:fs";
import { makeVrfVectors } from "../packages/core/src/vrf-vectors.js";
const t = performance.now();
const v = makeVrfVectors();
writeFileSync("vectors/vrf.json", JSON.stringify(v, null, 2) + "\n");
console.log(v.cases.length, v.pops.length, (performance.now() - t).toFixed(0), "ms");
for (const c of v.cases) console.log(c.valid, c.reason, c.name);
for (const c of v.pops) console.log(c.valid, c.reason, c.name);
