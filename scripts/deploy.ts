/**
 * `npm run deploy -- [--network localhost|sepolia|hoodi] [--rpc <url>] [--keystore <file>]`: the same as
 * `npx refereed deploy …` (RPC URL and key from the environment for public networks; see docs/DEPLOY.md).
 */
import { run } from "../packages/cli/src/main.js";

process.exitCode = await run(["deploy", ...process.argv.slice(2)]);
