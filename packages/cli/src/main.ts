/**
 * `refereed` command line. Exit codes: 0 success, 1 verification failure, 2 usage error.
 *
 *   refereed mask --seed <64 hex> --p <num>/<den> --count <n> [--json]
 *   refereed vrf keygen [--seed <hex>] [--json]
 *   refereed vrf eval --sk <hex> <context flags> [--json]
 *   refereed vrf verify --pk <hex> --pi <hex> <context flags> [--json]
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { fromHex, toHex } from "@refereed/core/bytes";
import { InvalidDropoutRateError, checkRate, keepMask, maskString, type DropoutRate } from "@refereed/core/prg";
import {
  G1_BYTES,
  G2_BYTES,
  InvalidSecretKeyError,
  SECRET_KEY_BYTES,
  vrfContext,
  vrfEval,
  vrfKeygen,
  vrfVerify,
  secretKeyScalar,
  type VrfContext,
} from "@refereed/core/vrf";

export const EXIT_OK = 0;
export const EXIT_VERIFICATION_FAILED = 1;
export const EXIT_USAGE = 2;

export { UsageError } from "./errors.js";
import { cmdBot, cmdChain, cmdDemo, cmdDeploy, cmdGame, cmdJob, cmdStatus } from "./protocol.js";
import { UsageError } from "./errors.js";

export interface Io {
  out(line: string): void;
  err(line: string): void;
}

const processIo: Io = {
  out: (l) => process.stdout.write(`${l}\n`),
  err: (l) => process.stderr.write(`${l}\n`),
};

// ───────────────────────────── help texts ─────────────────────────────

const HELP_MAIN = `usage: refereed <command> [options]

commands:
  mask        print the dropout keep mask of a PRG seed y
  vrf keygen  generate a BLS12-381 VRF key (sk, pk, proof of possession)
  vrf eval    evaluate the VRF on a context: x, pi, y
  vrf verify  verify a VRF proof: prints y, or the failure reason (exit 1)
  chain       start a local JSON-RPC chain on 127.0.0.1
  deploy      deploy the protocol contracts (deployments/<network>.json)
  job spec    write a job spec for the MNIST MLP with dropout
  job create  create a job on-chain from a spec, escrowing the reward
  game resolve / game timeout   settle a decided game; decide one whose side to move ran out of time
  status      jobs, rollups, games, clocks and credits as tables
  trainer run     run the trainer daemon (--config trainer.json)
  challenger run  run the challenger daemon (--config challenger.json)
  demo        the end-to-end demo (local chain, honest job, every attack)

Run 'refereed <command> --help' for the options of a command.`;

const CONTEXT_HELP = `context (docs/SPEC.md §4):
  --model-id <hex>   job spec hash, 32 bytes
  --step <n>         training step, u64
  --batch-id <n>     batch id, u64
  --nonce <hex>      job nonce from the chain, 32 bytes
  --layer-id <n>     dropout layer id, u32`;

const HELP_MASK = `usage: refereed mask --seed <64 hex> --p <num>/<den> --count <n> [--json]

Prints the keep mask of the first n elements (1 = keep, 0 = drop) for PRG seed y (docs/SPEC.md §5):
element e is kept iff its PRG word is >= floor(num * 2^32 / den).

  --seed <hex>     the VRF output y, 32 bytes (64 hex characters, optional 0x)
  --p <num>/<den>  drop probability as an exact fraction, 0 <= num < den < 2^32
  --count <n>      number of elements, 0 <= n <= 100000000
  --json           print {"keep":"0110…"}`;

const HELP_VRF = `usage: refereed vrf <keygen|eval|verify> [options]

  keygen  generate a key: sk (32 bytes), pk (256-byte G2), pop (128-byte G1 proof of possession)
  eval    pi = sk·H1(x), y = sha256(pi) for the context x
  verify  check pi against pk and the context; exit 1 with the reason if it fails`;

const HELP_KEYGEN = `usage: refereed vrf keygen [--seed <hex>] [--json]

  --seed <hex>  input key material, at least 32 bytes (deterministic key); random when omitted
  --json        print {"sk":…,"pk":…,"pop":…}`;

const HELP_EVAL = `usage: refereed vrf eval --sk <hex> --model-id <hex> --step <n> --batch-id <n> --nonce <hex> --layer-id <n> [--json]

  --sk <hex>  secret key, 32 bytes
${CONTEXT_HELP}
  --json      print {"x":…,"pi":…,"y":…}`;

const HELP_VERIFY = `usage: refereed vrf verify --pk <hex> --pi <hex> --model-id <hex> --step <n> --batch-id <n> --nonce <hex> --layer-id <n> [--json]

Prints y on success. On failure prints the reason and exits with code 1.

  --pk <hex>  public key, 256-byte EIP-2537 G2 encoding
  --pi <hex>  proof, 128-byte EIP-2537 G1 encoding
${CONTEXT_HELP}
  --json      print {"valid":true,"y":…} or {"valid":false,"reason":…,"message":…}`;

// ───────────────────────────── argument parsing ─────────────────────────────

type Options = NonNullable<ParseArgsConfig["options"]>;

function parse(args: string[], options: Options, help: string): Record<string, string | boolean | undefined> {
  try {
    const { values } = parseArgs({ args, options: { ...options, help: { type: "boolean", short: "h" } }, strict: true, allowPositionals: false });
    return values as Record<string, string | boolean | undefined>;
  } catch (e) {
    if (e instanceof TypeError && "code" in e && typeof e.code === "string" && e.code.startsWith("ERR_PARSE_ARGS")) {
      const m = /'(-[^']*)'/.exec(e.message);
      throw new UsageError(m?.[1], e.message.replace(/\. To specify a positional.*$/s, ""), help);
    }
    throw e;
  }
}

function required(values: Record<string, string | boolean | undefined>, name: string, help: string): string {
  const v = values[name];
  if (typeof v !== "string" || v === "") throw new UsageError(`--${name}`, `--${name} is required`, help);
  return v;
}

function stripHex(s: string): string {
  return s.startsWith("0x") || s.startsWith("0X") ? s.slice(2) : s;
}

/** Hex of exactly `bytes` bytes. */
function hexArg(name: string, value: string, bytes: number): Uint8Array {
  const s = stripHex(value);
  if (!/^[0-9a-fA-F]*$/.test(s)) throw new UsageError(`--${name}`, `--${name} must be hexadecimal, got '${value.slice(0, 24)}'`);
  if (s.length !== bytes * 2) throw new UsageError(`--${name}`, `--${name} must be ${bytes * 2} hex characters (${bytes} bytes), got ${s.length}`);
  return fromHex(s);
}

/** Hex of at least `minBytes` bytes, even length. */
function hexArgMin(name: string, value: string, minBytes: number): Uint8Array {
  const s = stripHex(value);
  if (!/^[0-9a-fA-F]*$/.test(s)) throw new UsageError(`--${name}`, `--${name} must be hexadecimal, got '${value.slice(0, 24)}'`);
  if (s.length % 2 !== 0) throw new UsageError(`--${name}`, `--${name} must have an even number of hex characters, got ${s.length}`);
  if (s.length < minBytes * 2) throw new UsageError(`--${name}`, `--${name} must be at least ${minBytes * 2} hex characters (${minBytes} bytes), got ${s.length}`);
  return fromHex(s);
}

function uintArg(name: string, value: string, max: bigint): bigint {
  if (!/^[0-9]+$/.test(value)) throw new UsageError(`--${name}`, `--${name} must be a non-negative decimal integer, got '${value}'`);
  const v = BigInt(value);
  if (v > max) throw new UsageError(`--${name}`, `--${name} must be <= ${max}, got ${value}`);
  return v;
}

function rateArg(value: string): DropoutRate {
  const m = /^([0-9]+)\/([0-9]+)$/.exec(value);
  if (!m) throw new UsageError("--p", `--p must be a fraction num/den of decimal integers (e.g. 1/2), got '${value}'`);
  const rate = { num: Number(m[1]), den: Number(m[2]) };
  try {
    checkRate(rate);
  } catch (e) {
    if (e instanceof InvalidDropoutRateError) throw new UsageError("--p", `--p ${e.message}`);
    throw e;
  }
  return rate;
}

const U64_MAX = 0xffffffffffffffffn;
const U32_MAX = 0xffffffffn;
const MAX_COUNT = 100_000_000n;

const CONTEXT_OPTIONS: Options = {
  "model-id": { type: "string" },
  step: { type: "string" },
  "batch-id": { type: "string" },
  nonce: { type: "string" },
  "layer-id": { type: "string" },
};

function contextArgs(values: Record<string, string | boolean | undefined>, help: string): VrfContext {
  return {
    modelId: hexArg("model-id", required(values, "model-id", help), 32),
    step: uintArg("step", required(values, "step", help), U64_MAX),
    batchId: uintArg("batch-id", required(values, "batch-id", help), U64_MAX),
    nonce: hexArg("nonce", required(values, "nonce", help), 32),
    layerId: Number(uintArg("layer-id", required(values, "layer-id", help), U32_MAX)),
  };
}

function print(io: Io, json: boolean, fields: Record<string, unknown>): void {
  if (json) io.out(JSON.stringify(fields));
  else for (const [k, v] of Object.entries(fields)) io.out(`${k} ${String(v)}`);
}

// ───────────────────────────── commands ─────────────────────────────

function cmdMask(args: string[], io: Io): number {
  const v = parse(args, { seed: { type: "string" }, p: { type: "string" }, count: { type: "string" }, json: { type: "boolean" } }, HELP_MASK);
  if (v.help) return io.out(HELP_MASK), EXIT_OK;
  const y = hexArg("seed", required(v, "seed", HELP_MASK), 32);
  const rate = rateArg(required(v, "p", HELP_MASK));
  const count = Number(uintArg("count", required(v, "count", HELP_MASK), MAX_COUNT));
  const keep = maskString(keepMask(y, rate, count));
  if (v.json) io.out(JSON.stringify({ keep }));
  else io.out(keep);
  return EXIT_OK;
}

function cmdKeygen(args: string[], io: Io): number {
  const v = parse(args, { seed: { type: "string" }, json: { type: "boolean" } }, HELP_KEYGEN);
  if (v.help) return io.out(HELP_KEYGEN), EXIT_OK;
  const seed = typeof v.seed === "string" ? hexArgMin("seed", v.seed, 32) : undefined;
  const k = vrfKeygen(seed);
  print(io, v.json === true, { sk: toHex(k.sk), pk: toHex(k.pk), pop: toHex(k.pop) });
  return EXIT_OK;
}

function cmdEval(args: string[], io: Io): number {
  const v = parse(args, { sk: { type: "string" }, ...CONTEXT_OPTIONS, json: { type: "boolean" } }, HELP_EVAL);
  if (v.help) return io.out(HELP_EVAL), EXIT_OK;
  const sk = hexArg("sk", required(v, "sk", HELP_EVAL), SECRET_KEY_BYTES);
  try {
    secretKeyScalar(sk);
  } catch (e) {
    if (e instanceof InvalidSecretKeyError) throw new UsageError("--sk", `--sk ${e.message}`);
    throw e;
  }
  const x = vrfContext(contextArgs(v, HELP_EVAL));
  const { pi, y } = vrfEval(sk, x);
  print(io, v.json === true, { x: toHex(x), pi: toHex(pi), y: toHex(y) });
  return EXIT_OK;
}

function cmdVerify(args: string[], io: Io): number {
  const v = parse(args, { pk: { type: "string" }, pi: { type: "string" }, ...CONTEXT_OPTIONS, json: { type: "boolean" } }, HELP_VERIFY);
  if (v.help) return io.out(HELP_VERIFY), EXIT_OK;
  const pk = hexArg("pk", required(v, "pk", HELP_VERIFY), G2_BYTES);
  const pi = hexArg("pi", required(v, "pi", HELP_VERIFY), G1_BYTES);
  const x = vrfContext(contextArgs(v, HELP_VERIFY));
  const r = vrfVerify(pk, x, pi);
  if (r.valid) {
    print(io, v.json === true, v.json ? { valid: true, x: toHex(x), y: toHex(r.y) } : { y: toHex(r.y) });
    return EXIT_OK;
  }
  if (v.json) io.out(JSON.stringify({ valid: false, x: toHex(x), reason: r.reason, message: r.error.message }));
  io.err(`error: verification failed: ${r.error.message}`);
  return EXIT_VERIFICATION_FAILED;
}

function cmdVrf(args: string[], io: Io): number {
  const [sub, ...rest] = args;
  switch (sub) {
    case "keygen":
      return cmdKeygen(rest, io);
    case "eval":
      return cmdEval(rest, io);
    case "verify":
      return cmdVerify(rest, io);
    case "--help":
    case "-h":
    case "help":
      io.out(HELP_VRF);
      return EXIT_OK;
    case undefined:
      throw new UsageError(undefined, "missing vrf subcommand (keygen, eval or verify)", HELP_VRF);
    default:
      throw new UsageError(undefined, `unknown vrf subcommand '${sub}' (expected keygen, eval or verify)`, HELP_VRF);
  }
}

/** Runs the CLI on `argv` (without node and the script path); returns the exit code. */
export async function run(argv: string[], io: Io = processIo): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case "mask":
        return cmdMask(rest, io);
      case "chain":
        return await cmdChain(rest, io);
      case "deploy":
        return await cmdDeploy(rest, io);
      case "job":
        return await cmdJob(rest, io);
      case "status":
        return await cmdStatus(rest, io);
      case "game":
        return await cmdGame(rest, io);
      case "trainer":
      case "challenger":
        return await cmdBot(cmd, rest, io);
      case "demo":
        return await cmdDemo(rest, io);
      case "vrf":
        return cmdVrf(rest, io);
      case "--help":
      case "-h":
      case "help":
        io.out(HELP_MAIN);
        return EXIT_OK;
      case undefined:
        throw new UsageError(undefined, "missing command", HELP_MAIN);
      default:
        throw new UsageError(undefined, `unknown command '${cmd}'`, HELP_MAIN);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`error: ${e.message}`);
      if (e.help) io.err(`\n${e.help.split("\n")[0]}\n(run with --help for details)`);
      return EXIT_USAGE;
    }
    // anything else (RPC unreachable, a revert, a bad key file): one clear line, non-zero exit, no stack trace
    const err = e as Error & { shortMessage?: string; details?: string };
    io.err(`error: ${err.shortMessage ?? err.message}${err.details ? ` (${err.details})` : ""}`);
    if (process.env.REFEREED_DEBUG) io.err(String(err.stack));
    return EXIT_VERIFICATION_FAILED;
  }
}
