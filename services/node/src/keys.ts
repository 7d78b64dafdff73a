// The node's own private keys: one Ed25519 signing key and one X25519 encryption key in force, plus
// retired ones kept so that messages sealed to an old encryption key can still be opened.
//
// SECURITY NOTE (later issue): the file is protected only by its mode (0600, owner only) and the
// directory's permissions. Encrypting it at rest (a passphrase-derived key, or a KMS / HSM holding the
// private keys so they never sit on disk) is still to do. Until then, keep the data directory on an
// encrypted volume and out of backups that others can read.
import { randomBytes } from "node:crypto";
import { chmod, link, mkdir, open, readFile, rename, stat, unlink } from "node:fs/promises";
import { dirname, join } from "node:path";
import { generateOrgKeys } from "@refnet/trust";
import { calculateJwkThumbprint, importJWK, type JWK } from "jose";
import { z } from "zod";
import { AppError } from "./errors.ts";

export type KeyUse = "sig" | "enc";

export interface StoredKey {
  use: KeyUse;
  kid: string;
  publicJwk: JWK;
  privateJwk: JWK;
  /** Milliseconds. */
  createdAt: number;
  /** Milliseconds; a retired key is no longer used to sign or to decrypt. */
  retiredAt?: number;
}

export interface KeyFile {
  v: 1;
  orgId: string;
  keys: StoredKey[];
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
      privateJwk: okpJwk.extend({ d: z.string() }),
      createdAt: z.number().int(),
      retiredAt: z.number().int().optional(),
    }),
  ),
});

const CURVE: Record<KeyUse, string> = { sig: "Ed25519", enc: "X25519" };

export class KeyStore {
  readonly #file: KeyFile;
  readonly #signing: { kid: string; key: CryptoKey };
  readonly #decryption = new Map<string, Promise<CryptoKey | undefined>>();

  private constructor(
    readonly path: string,
    file: KeyFile,
    signing: { kid: string; key: CryptoKey },
  ) {
    this.#file = file;
    this.#signing = signing;
  }

  get orgId(): string {
    return this.#file.orgId;
  }

  /** Loads an existing key file; refuses one that is readable by others or does not match `orgId`. */
  static async load(path: string, orgId: string): Promise<KeyStore> {
    let text: string;
    try {
      const st = await stat(path);
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
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new KeyStoreError(`The key file ${path} is not JSON.`);
    }
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
      if (k.publicJwk.crv !== CURVE[k.use] || k.privateJwk.crv !== CURVE[k.use]) {
        throw new KeyStoreError(`Key ${k.kid} in ${path}: a ${k.use} key must be ${CURVE[k.use]}.`);
      }
      if (k.privateJwk.x !== k.publicJwk.x) {
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
    const sig = newestActive(file.keys, "sig");
    if (!sig) throw new KeyStoreError(`The key file ${path} holds no signing key in force.`);
    if (!newestActive(file.keys, "enc"))
      throw new KeyStoreError(`The key file ${path} holds no encryption key in force.`);
    const key = (await importJWK(sig.privateJwk, "EdDSA", { extractable: false })) as CryptoKey;
    return new KeyStore(path, file, { kid: sig.kid, key });
  }

  /** Generates a signing and an encryption key and writes a new key file (mode 0600); never overwrites. */
  static async create(path: string, orgId: string, now: number = Date.now()): Promise<KeyStore> {
    const { sig, enc } = await generateOrgKeys();
    const file: KeyFile = {
      v: 1,
      orgId,
      keys: [
        { use: "sig", kid: sig.kid, publicJwk: sig.publicJwk, privateJwk: sig.privateJwk, createdAt: now },
        { use: "enc", kid: enc.kid, publicJwk: enc.publicJwk, privateJwk: enc.privateJwk, createdAt: now },
      ],
    };
    await writeKeyFile(path, file, { overwrite: false });
    return KeyStore.load(path, orgId);
  }

  /** The key this node signs with (docs/protocol.md §2, inner JWS). */
  signingKey(): { kid: string; key: CryptoKey } {
    return this.#signing;
  }

  /** The private key for `kid` when it is one of this node's encryption keys not retired; cached. */
  decryptionKey(kid: string): Promise<CryptoKey | undefined> {
    let p = this.#decryption.get(kid);
    if (!p) {
      const k = this.#file.keys.find((x) => x.use === "enc" && x.kid === kid && x.retiredAt === undefined);
      // Misses are not cached: the kid comes from an unauthenticated header, and remembering every
      // unknown one would let anyone grow this map without bound.
      if (!k) return Promise.resolve(undefined);
      p = importJWK(k.privateJwk, "ECDH-ES+A256KW", { extractable: false }) as Promise<CryptoKey>;
      this.#decryption.set(kid, p);
    }
    return p;
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
    .filter((k) => k.use === use && k.retiredAt === undefined)
    .sort((a, b) => b.createdAt - a.createdAt)[0];
}

/** Keeps only the public members of an OKP JWK, whatever else the object carries. */
function publicOnly(jwk: JWK): JWK {
  return { kty: jwk.kty, crv: jwk.crv, x: jwk.x } as JWK;
}

/**
 * Writes the key file atomically with mode 0600: a temporary file in the same directory, fsync, then
 * rename, so a crash never leaves a half-written key file and the keys are never readable by others.
 */
export async function writeKeyFile(path: string, file: KeyFile, opts: { overwrite: boolean }): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = join(dirname(path), `.keys-${randomBytes(6).toString("hex")}.tmp`);
  const fh = await open(tmp, "wx", 0o600);
  try {
    await fh.writeFile(`${JSON.stringify(file, null, 2)}\n`, "utf8");
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
