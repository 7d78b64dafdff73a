// The node's own private keys: Ed25519 signing keys and X25519 encryption keys. During a rotation
// (`refnet keys rotate`) the file also holds the new keys as `pending` and the request sent to the
// admins; which key the node signs and decrypts with is decided against the trust list in force
// (own-keys.ts). Keys past their use are marked retired and their private half destroyed.
//
// At rest the file is a compact JWE (`dir` + A256GCM, RFC 7516/7518) under a subkey of the node's
// key-encryption key (kek.ts), with mode 0600; its plaintext is the JSON KeyFile below. A file in the
// clear, or one the KEK does not open, is refused without a word of its content. A KMS or HSM holding
// the private keys so that they never sit on disk at all is still to do (docs/data-at-rest.md).
import { randomBytes } from "node:crypto";
import { chmod, link, mkdir, open, readFile, rename, stat, unlink } from "node:fs/promises";
import { dirname, join } from "node:path";
import { generateOrgKeys } from "@refnet/trust";
import { CompactEncrypt, calculateJwkThumbprint, compactDecrypt, importJWK, type JWK } from "jose";
import { z } from "zod";
import { AppError } from "./errors.ts";
import type { KeyEncryptionKey } from "./kek.ts";

export type KeyUse = "sig" | "enc";

export interface StoredKey {
  use: KeyUse;
  kid: string;
  publicJwk: JWK;
  /** Absent once the key is retired: its private half is destroyed (docs/protocol.md §1.5). */
  privateJwk?: JWK;
  /** Milliseconds. */
  createdAt: number;
  /** Milliseconds; a retired key is no longer used to sign or to decrypt. */
  retiredAt?: number;
  /**
   * Made by `refnet keys rotate` and not yet listed for this organization in a trust list the node
   * accepted: never used until it is (own-keys.ts clears the flag then).
   */
  pending?: boolean;
}

/** The rotation this node asked the network admins for, kept until the trust list lists its keys. */
export interface KeyRotationRecord {
  /** Milliseconds. */
  requestedAt: number;
  /** The compact JWS sent to the admins (public keys only). */
  request: string;
  sigKid: string;
  encKid: string;
  /** The listed signing key that signed the request. */
  signedWith: string;
  /** Seconds the request asks the current keys to stay valid. */
  overlapSeconds: number;
}

export interface KeyFile {
  v: 1;
  orgId: string;
  keys: StoredKey[];
  rotation?: KeyRotationRecord;
}

export interface PublicKeyInfo {
  use: KeyUse;
  kid: string;
  jwk: JWK;
  createdAt: number;
}

export class KeyStoreError extends AppError {
  override readonly name = "KeyStoreError";
  constructor(message: string) {
    super("ERR_KEYS", message);
  }
}

const okpJwk = z.looseObject({ kty: z.literal("OKP"), crv: z.string(), x: z.string() });
const keyFileSchema = z.object({
  v: z.literal(1),
  orgId: z.string(),
  keys: z.array(
    z.object({
      use: z.enum(["sig", "enc"]),
      kid: z.string().min(1),
      publicJwk: okpJwk,
      privateJwk: okpJwk.extend({ d: z.string() }).optional(),
      createdAt: z.number().int(),
      retiredAt: z.number().int().optional(),
      pending: z.boolean().optional(),
    }),
  ),
  rotation: z
    .object({
      requestedAt: z.number().int(),
      request: z.string().min(1),
      sigKid: z.string().min(1),
      encKid: z.string().min(1),
      signedWith: z.string().min(1),
      overlapSeconds: z.number().int().min(0),
    })
    .optional(),
});

const CURVE: Record<KeyUse, string> = { sig: "Ed25519", enc: "X25519" };

/** One of the node's keys as others may see it: never a private member. */
export interface StoredKeyInfo {
  use: KeyUse;
  kid: string;
  jwk: JWK;
  /** Milliseconds. */
  createdAt: number;
  /** Milliseconds. */
  retiredAt?: number;
  pending: boolean;
}

export class KeyStore {
  #file: KeyFile;
  /** Every signing key held and not retired, imported once (pending ones too, so a switch is instant). */
  #signers: ReadonlyMap<string, { kid: string; key: CryptoKey }>;
  /** Identity of the file as loaded, so that a change by `refnet keys rotate` is noticed. */
  #stamp: string;
  readonly #decryption = new Map<string, Promise<CryptoKey | undefined>>();
  /** The key the file is encrypted under, to read it again and to write it back. */
  readonly #kek: KeyEncryptionKey;

  private constructor(
    readonly path: string,
    file: KeyFile,
    signers: ReadonlyMap<string, { kid: string; key: CryptoKey }>,
    stamp: string,
    kek: KeyEncryptionKey,
  ) {
    this.#kek = kek;
    this.#file = file;
    this.#signers = signers;
    this.#stamp = stamp;
  }

  get orgId(): string {
    return this.#file.orgId;
  }

  /**
   * Loads an existing key file, encrypted under `kek`; refuses one that is readable by others, in the
   * clear, not opened by `kek`, or not of `orgId`.
   */
  static async load(path: string, orgId: string, kek: KeyEncryptionKey): Promise<KeyStore> {
    let text: string;
    let stamp: string;
    try {
      const st = await stat(path);
      stamp = stampOf(st);
      if (process.platform !== "win32" && (st.mode & 0o077) !== 0) {
        throw new KeyStoreError(
          `The key file ${path} can be read by other users (mode ${(st.mode & 0o777).toString(8)}); run: chmod 600 ${path}`,
        );
      }
      text = await readFile(path, "utf8");
    } catch (err) {
      if (err instanceof KeyStoreError) throw err;
      if ((err as NodeJS.ErrnoException).code === "ENOENT") {
        throw new KeyStoreError(
          `No key file at ${path}: create one with \`refnet init --org ${orgId} --network <id>\`.`,
        );
      }
      throw new KeyStoreError(
        `The key file ${path} cannot be read (${(err as NodeJS.ErrnoException).code ?? "error"}).`,
      );
    }
    const json = await decryptKeyFile(path, text, kek);
    const res = keyFileSchema.safeParse(json);
    if (!res.success) {
      // Never echo the content: it holds private keys.
      throw new KeyStoreError(`The key file ${path} is not a refnet key file (version 1).`);
    }
    const file = res.data as KeyFile;
    if (file.orgId !== orgId) {
      throw new KeyStoreError(
        `The key file ${path} belongs to ${file.orgId}, not to REFNET_ORG_ID=${orgId}.`,
      );
    }
    for (const k of file.keys) {
      if (!k.privateJwk) {
        if (k.retiredAt === undefined)
          throw new KeyStoreError(`Key ${k.kid} in ${path} has no private key but is not retired.`);
      } else if (k.privateJwk.crv !== CURVE[k.use]) {
        throw new KeyStoreError(`Key ${k.kid} in ${path}: a ${k.use} key must be ${CURVE[k.use]}.`);
      }
      if (k.publicJwk.crv !== CURVE[k.use]) {
        throw new KeyStoreError(`Key ${k.kid} in ${path}: a ${k.use} key must be ${CURVE[k.use]}.`);
      }
      if (k.privateJwk && k.privateJwk.x !== k.publicJwk.x) {
        throw new KeyStoreError(`Key ${k.kid} in ${path}: the private key does not match the public key.`);
      }
      // docs/protocol.md §1: the kid is the RFC 7638 thumbprint; a mismatch would make partners refuse us.
      const thumb = await calculateJwkThumbprint(publicOnly(k.publicJwk), "sha256");
      if (thumb !== k.kid) {
        throw new KeyStoreError(
          `Key ${k.kid} in ${path}: its kid is not the RFC 7638 thumbprint of its public key.`,
        );
      }
    }
    if (!newestActive(file.keys, "sig"))
      throw new KeyStoreError(`The key file ${path} holds no signing key in force.`);
    if (!newestActive(file.keys, "enc"))
      throw new KeyStoreError(`The key file ${path} holds no encryption key in force.`);
    const signers = new Map<string, { kid: string; key: CryptoKey }>();
    for (const k of file.keys) {
      if (k.use !== "sig" || k.retiredAt !== undefined || !k.privateJwk) continue;
      const key = (await importJWK(k.privateJwk, "EdDSA", { extractable: false })) as CryptoKey;
      signers.set(k.kid, { kid: k.kid, key });
    }
    return new KeyStore(path, file, signers, stamp, kek);
  }

  /** Generates a signing and an encryption key and writes a new key file (mode 0600); never overwrites. */
  static async create(
    path: string,
    orgId: string,
    kek: KeyEncryptionKey,
    now: number = Date.now(),
  ): Promise<KeyStore> {
    const { sig, enc } = await generateOrgKeys();
    const file: KeyFile = {
      v: 1,
      orgId,
      keys: [
        { use: "sig", kid: sig.kid, publicJwk: sig.publicJwk, privateJwk: sig.privateJwk, createdAt: now },
        { use: "enc", kid: enc.kid, publicJwk: enc.publicJwk, privateJwk: enc.privateJwk, createdAt: now },
      ],
    };
    await writeKeyFile(path, file, { overwrite: false, kek });
    return KeyStore.load(path, orgId, kek);
  }

  /**
   * The newest signing key held that is neither pending nor retired, without regard to the trust
   * list. The node itself signs with OwnKeys.signingKey, which asks the list in force which key that is.
   */
  signingKey(): { kid: string; key: CryptoKey } {
    const newest = newestActive(this.#file.keys, "sig");
    const key = newest && this.#signers.get(newest.kid);
    if (!key) throw new KeyStoreError(`The key file ${this.path} holds no signing key in force.`);
    return key;
  }

  /** The signing key `kid` when this node holds it and it is not retired (pending ones included). */
  signingKeyByKid(kid: string): { kid: string; key: CryptoKey } | undefined {
    return this.#signers.get(kid);
  }

  /**
   * The private key for `kid` when it is one of this node's encryption keys not retired; cached. It
   * does not ask whether the key is in force: the node decrypts through OwnKeys.decryptionKey, which does.
   */
  decryptionKey(kid: string): Promise<CryptoKey | undefined> {
    let p = this.#decryption.get(kid);
    if (!p) {
      const k = this.#file.keys.find((x) => x.use === "enc" && x.kid === kid && x.retiredAt === undefined);
      // Misses are not cached: the kid comes from an unauthenticated header, and remembering every
      // unknown one would let anyone grow this map without bound.
      if (!k?.privateJwk) return Promise.resolve(undefined);
      p = importJWK(k.privateJwk, "ECDH-ES+A256KW", { extractable: false }) as Promise<CryptoKey>;
      this.#decryption.set(kid, p);
    }
    return p;
  }

  /** Every key in the file with its facts (public half only), in file order. */
  keys(): StoredKeyInfo[] {
    return this.#file.keys.map((k) => ({
      use: k.use,
      kid: k.kid,
      jwk: publicOnly(k.publicJwk),
      createdAt: k.createdAt,
      ...(k.retiredAt !== undefined ? { retiredAt: k.retiredAt } : {}),
      pending: k.pending === true,
    }));
  }

  /** The rotation this node requested and the trust list does not list yet, if any. */
  rotation(): KeyRotationRecord | undefined {
    return this.#file.rotation && { ...this.#file.rotation };
  }

  /**
   * Changes the key file: under a lock file shared with `refnet keys`, re-reads it from disk (so that
   * keys another process added are kept), lets `mutate` edit that fresh copy, and writes it back with
   * writeKeyFile when `mutate` returns true. The store then holds what the file holds.
   */
  async update(mutate: (file: KeyFile) => boolean): Promise<boolean> {
    return withKeyFileLock(this.path, async () => {
      const fresh = await this.#reread();
      const file = structuredClone(fresh.#file);
      if (!mutate(file)) {
        this.#adopt(fresh);
        return false;
      }
      await writeKeyFile(this.path, file, { overwrite: true, kek: this.#kek });
      this.#adopt(await this.#reread());
      return true;
    });
  }

  /** Reads the file again when it changed on disk since it was loaded (`refnet keys rotate` ran). */
  async reloadIfChanged(): Promise<boolean> {
    const st = await stat(this.path);
    if (stampOf(st) === this.#stamp) return false;
    this.#adopt(await this.#reread());
    return true;
  }

  // The one way the store reads its file again: with the arguments it was first loaded with.
  #reread(): Promise<KeyStore> {
    return KeyStore.load(this.path, this.orgId, this.#kek);
  }

  #adopt(other: KeyStore): void {
    this.#file = other.#file;
    this.#signers = other.#signers;
    this.#stamp = other.#stamp;
    // Keep imported decryption keys that are still held and not retired; forget the others.
    for (const kid of this.#decryption.keys()) {
      const k = this.#file.keys.find((x) => x.use === "enc" && x.kid === kid);
      if (!k || k.retiredAt !== undefined || !k.privateJwk) this.#decryption.delete(kid);
    }
  }

  /** Public halves of the keys in force, for the network admins (never a private member). */
  publicJwks(): PublicKeyInfo[] {
    return this.#file.keys
      .filter((k) => k.retiredAt === undefined)
      .map((k) => ({ use: k.use, kid: k.kid, jwk: publicOnly(k.publicJwk), createdAt: k.createdAt }));
  }
}

function newestActive(keys: StoredKey[], use: KeyUse): StoredKey | undefined {
  return keys
    .filter((k) => k.use === use && k.retiredAt === undefined && k.pending !== true && k.privateJwk)
    .sort((a, b) => b.createdAt - a.createdAt)[0];
}

function stampOf(st: { ino: number; size: number; mtimeMs: number }): string {
  // writeKeyFile renames a new file into place, so the inode changes with every write.
  return `${st.ino}:${st.size}:${st.mtimeMs}`;
}

const LOCK_STALE_MS = 30_000;
const LOCK_WAIT_MS = 10_000;

/**
 * Runs `fn` holding `<path>.lock`, created exclusively. The node and `refnet keys` both edit the key
 * file (retiring keys, adding a rotation); the lock keeps one from writing back a copy that misses the
 * other's change. A lock older than 30 s is left by a crashed process and is broken.
 */
async function withKeyFileLock<T>(path: string, fn: () => Promise<T>): Promise<T> {
  const lock = `${path}.lock`;
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      const fh = await open(lock, "wx", 0o600);
      await fh.close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const st = await stat(lock).catch(() => undefined);
      if (st && Date.now() - st.mtimeMs > LOCK_STALE_MS) {
        await unlink(lock).catch(() => undefined);
        continue;
      }
      if (Date.now() > deadline)
        throw new KeyStoreError(`The key file ${path} is locked by another process (${lock}); try again.`);
      await new Promise((r) => setTimeout(r, 20 + Math.floor(Math.random() * 30)));
    }
  }
  try {
    return await fn();
  } finally {
    await unlink(lock).catch(() => undefined);
  }
}

/** Keeps only the public members of an OKP JWK, whatever else the object carries. */
function publicOnly(jwk: JWK): JWK {
  return { kty: jwk.kty, crv: jwk.crv, x: jwk.x } as JWK;
}

const KEY_FILE_ALG = "dir";
const KEY_FILE_ENC = "A256GCM";
const KEY_FILE_TYP = "refnet-keys+jwe";

/** The key file's plaintext JSON, sealed as a compact JWE under the KEK's key-file subkey. */
async function encryptKeyFile(file: KeyFile, kek: KeyEncryptionKey): Promise<string> {
  return new CompactEncrypt(new TextEncoder().encode(JSON.stringify(file)))
    .setProtectedHeader({ alg: KEY_FILE_ALG, enc: KEY_FILE_ENC, typ: KEY_FILE_TYP, cty: "json" })
    .encrypt(kek.subkey("key-file"));
}

/**
 * Opens the key file's JWE. Only `dir` + A256GCM is accepted (the allowlist keeps a planted header
 * from choosing the algorithm). Every message names the file and the KEK's origin, never content.
 */
async function decryptKeyFile(path: string, text: string, kek: KeyEncryptionKey): Promise<unknown> {
  const compact = text.trim();
  if (compact.startsWith("{")) {
    throw new KeyStoreError(
      `The key file ${path} is not encrypted: a node's key file must be encrypted under its KEK (docs/data-at-rest.md). ` +
        "Encrypt it with `refnet keys encrypt`, then start the node again.",
    );
  }
  if (!/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]*){4}$/.test(compact)) {
    throw new KeyStoreError(`The key file ${path} is not a refnet key file (an encrypted JWE).`);
  }
  let plaintext: Uint8Array;
  try {
    const res = await compactDecrypt(compact, kek.subkey("key-file"), {
      keyManagementAlgorithms: [KEY_FILE_ALG],
      contentEncryptionAlgorithms: [KEY_FILE_ENC],
    });
    if (res.protectedHeader.typ !== KEY_FILE_TYP) throw new Error("typ");
    plaintext = res.plaintext;
  } catch {
    throw new KeyStoreError(
      `The key file ${path} cannot be decrypted with the KEK from ${kek.origin}: it is not this file's KEK, or the file was altered.`,
    );
  }
  try {
    return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(plaintext));
  } catch {
    throw new KeyStoreError(`The key file ${path} is not a refnet key file (its content is not JSON).`);
  }
}

/**
 * Encrypts a key file written before encryption at rest (plain JSON) under `kek`, in place and
 * atomically; refuses a file that is already encrypted or not a refnet key file of `orgId`.
 */
export async function encryptClearKeyFile(path: string, orgId: string, kek: KeyEncryptionKey): Promise<void> {
  const text = await readFile(path, "utf8").catch((err: NodeJS.ErrnoException) => {
    throw new KeyStoreError(`The key file ${path} cannot be read (${err.code ?? "error"}).`);
  });
  if (!text.trim().startsWith("{")) {
    throw new KeyStoreError(`The key file ${path} is not a key file in the clear (already encrypted?).`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new KeyStoreError(`The key file ${path} is not JSON.`);
  }
  const res = keyFileSchema.safeParse(json);
  if (!res.success) throw new KeyStoreError(`The key file ${path} is not a refnet key file (version 1).`);
  if (res.data.orgId !== orgId) {
    throw new KeyStoreError(
      `The key file ${path} belongs to ${res.data.orgId}, not to REFNET_ORG_ID=${orgId}.`,
    );
  }
  await writeKeyFile(path, res.data as KeyFile, { overwrite: true, kek });
  // Proves the new file opens before the caller moves on.
  await KeyStore.load(path, orgId, kek);
}

/**
 * Encrypts the key file again under `next` (`refnet kek rotate`), atomically through writeKeyFile and
 * under the key file's lock: the file is wholly under `current` or wholly under `next`, never neither.
 * It is fully checked (KeyStore.load) under `current` first and under `next` after, so a file the
 * new KEK does not open is never left behind.
 */
export async function reencryptKeyFile(
  path: string,
  orgId: string,
  current: KeyEncryptionKey,
  next: KeyEncryptionKey,
): Promise<void> {
  await withKeyFileLock(path, async () => {
    await KeyStore.load(path, orgId, current);
    const json = await decryptKeyFile(path, await readFile(path, "utf8"), current);
    const res = keyFileSchema.safeParse(json);
    if (!res.success) throw new KeyStoreError(`The key file ${path} is not a refnet key file (version 1).`);
    await writeKeyFile(path, res.data as KeyFile, { overwrite: true, kek: next });
  });
  await KeyStore.load(path, orgId, next);
}

/**
 * Writes the key file atomically with mode 0600, encrypted under `kek`: a temporary file in the same
 * directory, fsync, then rename, so a crash never leaves a half-written key file and the keys are
 * never readable by others. The only function that writes a key file.
 */
export async function writeKeyFile(
  path: string,
  file: KeyFile,
  opts: { overwrite: boolean; kek: KeyEncryptionKey },
): Promise<void> {
  const sealed = await encryptKeyFile(file, opts.kek);
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = join(dirname(path), `.keys-${randomBytes(6).toString("hex")}.tmp`);
  const fh = await open(tmp, "wx", 0o600);
  try {
    await fh.writeFile(`${sealed}\n`, "utf8");
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    // The umask cannot widen 0600, but be explicit in case the file system ignored the open mode.
    await chmod(tmp, 0o600);
    if (opts.overwrite) {
      await rename(tmp, path);
    } else {
      // link() fails when the target exists: two concurrent `refnet init` cannot replace each other's keys.
      await link(tmp, path);
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") {
      throw new KeyStoreError(`A key file already exists at ${path}; refusing to replace it.`);
    }
    throw err;
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}
