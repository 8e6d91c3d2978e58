import { createRequire } from "node:module";
import type { HardhatUserConfig } from "hardhat/config";
import hardhatToolboxViem from "@nomicfoundation/hardhat-toolbox-viem";

const require = createRequire(import.meta.url);

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
    version: "0.8.28",
    path: require.resolve("solc/soljson.js"),
    settings: { optimizer: { enabled: true, runs: 200 }, evmVersion: "prague" },
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
