/**
 * Signing keys for the bots: an encrypted ethers keystore (Web3 Secret Storage v3 JSON, scrypt) unlocked with a
 * password passed in or read from an environment variable — never prompted — or a raw key from
 * `REFEREED_PRIVATE_KEY`. Returns a viem local account. Errors name the source and never the key or password.
 */
import { readFile, writeFile, rename } from "node:fs/promises";
import { Wallet, encryptKeystoreJson, isKeystoreJson } from "ethers";
import { generatePrivateKey, privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import type { Hex } from "viem";

export const PRIVATE_KEY_ENV = "REFEREED_PRIVATE_KEY";
export const KEYSTORE_PASSWORD_ENV = "REFEREED_KEYSTORE_PASSWORD";

/** Base of the key errors; `source` names the keystore file or environment variable. */
export class KeyError extends Error {
  constructor(
    readonly source: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${source}: ${message}`, options);
    this.name = "KeyError";
  }
}
/** No keystore was given and the environment variable is unset or empty; or no password for a keystore. */
export class MissingKeyError extends KeyError {
  override name = "MissingKeyError";
}
/** The keystore decrypted with the wrong password. */
export class WrongPasswordError extends KeyError {
  override name = "WrongPasswordError";
}
/** The keystore file is missing, unreadable, not JSON, or not a keystore. */
export class MalformedKeystoreError extends KeyError {
  override name = "MalformedKeystoreError";
}
/** A raw private key that is not 32 bytes of hex (or is out of the secp256k1 range). */
export class InvalidPrivateKeyError extends KeyError {
  override name = "InvalidPrivateKeyError";
}

export interface LoadKeyOptions {
  /** path of an encrypted keystore JSON; if absent, the key comes from `privateKeyEnv` */
  readonly keystore?: string;
  /** keystore password; if absent, read from `passwordEnv` */
  readonly password?: string;
  /** default REFEREED_KEYSTORE_PASSWORD */
  readonly passwordEnv?: string;
  /** default REFEREED_PRIVATE_KEY */
  readonly privateKeyEnv?: string;
  /** default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

function checkPrivateKey(raw: string, source: string): Hex {
  const k = raw.trim();
  const hex = k.startsWith("0x") || k.startsWith("0X") ? k.slice(2) : k;
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new InvalidPrivateKeyError(source, `not a private key: expected 32 bytes as 64 hex digits (optionally 0x-prefixed), got ${hex.length} characters`);
  const key = `0x${hex.toLowerCase()}` as Hex;
  try {
    privateKeyToAccount(key);
  } catch (err) {
    throw new InvalidPrivateKeyError(source, "not a valid secp256k1 private key (zero or above the curve order)", { cause: err });
  }
  return key;
}

/** The private key (0x hex) from the keystore or the environment, per `opts`. */
export async function loadPrivateKey(opts: LoadKeyOptions = {}): Promise<Hex> {
  const env = opts.env ?? process.env;
  if (opts.keystore === undefined) {
    const name = opts.privateKeyEnv ?? PRIVATE_KEY_ENV;
    const raw = env[name];
    if (raw === undefined || raw.trim() === "") throw new MissingKeyError(`$${name}`, `no signing key: set ${name} to a 0x-prefixed private key, or pass an encrypted keystore file`);
    return checkPrivateKey(raw, `$${name}`);
  }
  const path = opts.keystore;
  let json: string;
  try {
    json = await readFile(path, "utf8");
  } catch (err) {
    throw new MalformedKeystoreError(path, `cannot read keystore file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { cause: err });
  }
  try {
    JSON.parse(json);
  } catch (err) {
    throw new MalformedKeystoreError(path, `keystore is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  if (!isKeystoreJson(json)) throw new MalformedKeystoreError(path, "not an encrypted keystore (expected Web3 Secret Storage v3 JSON with a crypto section)");
  const pwEnv = opts.passwordEnv ?? KEYSTORE_PASSWORD_ENV;
  const password = opts.password ?? env[pwEnv];
  if (password === undefined) throw new MissingKeyError(path, `no password for the keystore: pass one or set ${pwEnv}`);
  let wallet: Awaited<ReturnType<typeof Wallet.fromEncryptedJson>>;
  try {
    wallet = await Wallet.fromEncryptedJson(json, password);
  } catch (err) {
    const e = err as { code?: string; shortMessage?: string; message: string };
    if (e.shortMessage === "incorrect password") throw new WrongPasswordError(path, "wrong keystore password", { cause: err });
    throw new MalformedKeystoreError(path, `keystore cannot be decrypted: ${e.shortMessage ?? e.message}`, { cause: err });
  }
  return checkPrivateKey(wallet.privateKey, path);
}

/** The viem account of the key from the keystore or the environment (see loadPrivateKey). */
export async function loadAccount(opts: LoadKeyOptions = {}): Promise<PrivateKeyAccount> {
  return privateKeyToAccount(await loadPrivateKey(opts));
}

export interface CreateKeystoreOptions {
  /** the key to encrypt; default a fresh random one */
  readonly privateKey?: Hex;
  /** scrypt cost N (power of two); default ethers' 131072. Tests use a small N to stay fast. */
  readonly scryptN?: number;
}

/** Encrypts a key into a keystore file at `path` (written to `.tmp`, then renamed); returns its address. */
export async function createKeystore(path: string, password: string, opts: CreateKeystoreOptions = {}): Promise<{ address: Hex; path: string }> {
  const key = opts.privateKey ? checkPrivateKey(opts.privateKey, "privateKey") : generatePrivateKey();
  const account = privateKeyToAccount(key);
  const json = await encryptKeystoreJson({ address: account.address, privateKey: key }, password, opts.scryptN ? { scrypt: { N: opts.scryptN } } : {});
  await writeFile(`${path}.tmp`, json, { mode: 0o600 });
  await rename(`${path}.tmp`, path);
  return { address: account.address, path };
}
