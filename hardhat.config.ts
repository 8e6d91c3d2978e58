import { createRequire } from "node:module";
import type { HardhatUserConfig } from "hardhat/config";
import hardhatToolboxViem from "@nomicfoundation/hardhat-toolbox-viem";

const require = createRequire(import.meta.url);
const SOLC = "0.8.28";
const SOLJSON = require.resolve("solc/soljson.js");
const LEGACY = { optimizer: { enabled: true, runs: 200 }, evmVersion: "prague" };

/** Env-driven remote networks; nothing secret lives in the repository. */
function remote(name: string) {
  const url = process.env[`${name}_RPC_URL`];
  const key = process.env[`${name}_PRIVATE_KEY`] ?? process.env.REFEREED_PRIVATE_KEY;
  if (!url) return {};
  return {
    [name.toLowerCase()]: {
      type: "http" as const,
      chainType: "l1" as const,
      url,
      accounts: key ? [key] : [],
    },
  };
}

const config: HardhatUserConfig = {
  plugins: [hardhatToolboxViem],
  solidity: {
    // solc from npm (soljson) so the build never downloads a compiler.
    compilers: [{ version: SOLC, path: SOLJSON, settings: LEGACY }],
    // Refereed, and the Solidity tests that deploy it (so they test the same code), through the IR pipeline: smaller code (it is near EIP-170's 24,576 bytes)
    // and cheaper game transactions. The verifier stays on the legacy pipeline, whose code its hand-packed dot
    // product was tuned on (via IR it costs ~75k more per 256 terms). ADR 0007, measured with `npm run bench:gas`.
    overrides: Object.fromEntries(
      ["contracts/Refereed.sol", ...["Refereed", "RefereedFixture", "RefereedInvariant"].map((t) => `contracts/test/${t}.t.sol`)].map((f) => [f, { version: SOLC, path: SOLJSON, settings: { ...LEGACY, viaIR: true } }]),
    ),
  },
  paths: { sources: "contracts" },
  networks: {
    hardhatMainnet: { type: "edr-simulated", chainType: "l1", hardfork: "osaka" },
    localhost: { type: "http", chainType: "l1", url: "http://127.0.0.1:8545" },
    ...remote("SEPOLIA"),
    ...remote("HOODI"),
  },
};

export default config;
