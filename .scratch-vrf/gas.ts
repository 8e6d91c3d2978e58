import { network } from "hardhat";
import { readFileSync } from "node:fs";
const v = JSON.parse(readFileSync("vectors/vrf.json", "utf8"));
const { viem } = await network.create();
const vrf = await viem.deployContract("VrfHarness");
const pc = await viem.getPublicClient();
const ok = v.cases[0];
const est = async (fn: string, args: unknown[]) => pc.estimateGas({ to: vrf.address, data: (await import("viem")).encodeFunctionData({ abi: vrf.abi, functionName: fn as any, args: args as any }) });
console.log("check", await est("check", [ok.pk, ok.x, ok.pi]));
console.log("hashToG1Vrf", await est("hashToG1Vrf", [ok.x]));
console.log("output", await est("output", [ok.pi]));
console.log("context", await est("context", [ok.modelId, BigInt(ok.step), BigInt(ok.batchId), ok.nonce, ok.layerId]));
const h = await vrf.write.verifyTx([ok.pk, ok.x, ok.pi]);
const r = await pc.waitForTransactionReceipt({ hash: h });
console.log("verifyTx first", r.gasUsed - 21000n);
const h2 = await vrf.write.verifyTx([ok.pk, ok.x, ok.pi]);
const r2 = await pc.waitForTransactionReceipt({ hash: h2 });
console.log("verifyTx second (same y)", r2.gasUsed - 21000n);
const tr: any = await (pc as any).request({ method: "debug_traceTransaction", params: [h2, { disableStorage: true, disableMemory: true, disableStack: false }] });
const logs = tr.structLogs;
const byOp: Record<string, number> = {};
for (let i = 0; i < logs.length; i++) { const l = logs[i]; byOp[l.op] = (byOp[l.op] ?? 0) + l.gasCost; }
console.log("total", tr.gas, Object.entries(byOp).sort((a, b) => b[1] - a[1]).slice(0, 15));
for (const l of logs) if (l.op === "STATICCALL") { const st = l.stack; console.log("staticcall to", st[st.length - 2], "gasCost", l.gasCost); }
for (let i = 0; i < logs.length; i++) { const l = logs[i]; if (l.op === "STATICCALL") { const st = l.stack; const n = logs[i + 1]; console.log("to", st[st.length - 2], "used", l.gas - n.gas, "input len", st[st.length-4]); } }
console.log("start gas", logs[0].gas, "end", logs[logs.length-1].gas, "n", logs.length);
{ let last = 0; let lastGas = logs[0].gas; for (let i = 0; i < logs.length; i++) { const l = logs[i]; if (l.op === "STATICCALL" || i === logs.length - 1) { console.log(`segment ops ${i - last} gas ${lastGas - l.gas}`); last = i + 2; lastGas = logs[i + 1]?.gas; } } }
{ const seg: Record<string, number> = {}; let i = 0; for (; logs[i].op !== "STATICCALL"; i++) seg[logs[i].op] = (seg[logs[i].op] ?? 0) + logs[i].gasCost; console.log("seg1", Object.entries(seg).sort((a, b) => b[1] - a[1]).slice(0, 12)); }
