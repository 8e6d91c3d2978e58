/** Runs the real `refereed` binary (node_modules/.bin/refereed, as `npx refereed` does) as a child process, with pipes. */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

export const root = fileURLToPath(new URL("../../../", import.meta.url));
export const bin = `${root}node_modules/.bin/refereed`;

export interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `refereed …args` in the repository root; `env` is added to this process's environment. */
export function runCli(args: readonly string[], env: Record<string, string> = {}): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: root, env: { ...process.env, ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}
