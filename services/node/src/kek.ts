// The node's key-encryption key (KEK): 32 random bytes that never enter the database or a log. It
// encrypts the node's private key file (keys.ts) and wraps every person's data key (person-vault.ts),
// each under its own HKDF-derived subkey, so one use can never be turned against the other.
//
// It comes from REFNET_KEK_FILE (a file, mode 0600, holding the key in base64url) or REFNET_KEK (the
// same text in a variable); with neither, from the file `kek` beside the key file, which `refnet init`
// creates. Keep it off the data directory's volume and out of the backups of the database: whoever
// holds both can read everything the node stores. docs/data-at-rest.md. Changing it on a stopped node:
// kek-rotation.ts (`refnet kek rotate`).
import { hkdfSync, randomBytes } from "node:crypto";
import { chmod, link, mkdir, open, readFile, stat, unlink } from "node:fs/promises";
import { dirname, join } from "node:path";
import { inspect } from "node:util";
import { ConfigError } from "./errors.ts";

export const KEK_BYTES = 32;
/** 32 bytes in base64url without padding. */
export const KEK_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** What a subkey is for: the HKDF `info`, so the key file key and the wrapping key differ. */
export type KekPurpose = "key-file" | "person-key-wrap" | "vault-check" | "id";

const HKDF_SALT = Buffer.from("refnet/kek/v1", "utf8");

/** Where the KEK comes from, as the configuration says (config.ts). */
export type KekSource =
  | { source: "file"; path: string; variable: "REFNET_KEK_FILE" | null }
  | { source: "env"; key: KeyEncryptionKey };

export class KeyEncryptionKey {
  readonly #bytes: Buffer;
  readonly #subkeys = new Map<KekPurpose, Buffer>();
  /** Says where the key came from, for operators' messages: "REFNET_KEK" or "the KEK file <path>". */
  readonly origin: string;

  private constructor(bytes: Buffer, origin: string) {
    this.#bytes = bytes;
    this.origin = origin;
  }

  /**
   * Parses the base64url text of a KEK; undefined when it is not exactly 32 bytes. The caller words the
   * error: it knows which variable or file was wrong, and the text itself is never repeated.
   */
  static parse(text: string, origin: string): KeyEncryptionKey | undefined {
    const trimmed = text.trim();
    if (!KEK_PATTERN.test(trimmed)) return undefined;
    const bytes = Buffer.from(trimmed, "base64url");
    // 43 characters can carry stray low bits; the round trip refuses a non-canonical encoding.
    if (bytes.length !== KEK_BYTES || bytes.toString("base64url") !== trimmed) return undefined;
    return new KeyEncryptionKey(bytes, origin);
  }

  /** A fresh random KEK and its text, as a KEK file holds it. */
  static generate(origin: string): { key: KeyEncryptionKey; text: string } {
    const bytes = randomBytes(KEK_BYTES);
    return { key: new KeyEncryptionKey(bytes, origin), text: bytes.toString("base64url") };
  }

  /** The 32-byte subkey for one purpose (HKDF-SHA256, RFC 5869). */
  subkey(purpose: KekPurpose): Buffer {
    let k = this.#subkeys.get(purpose);
    if (!k) {
      k = Buffer.from(hkdfSync("sha256", this.#bytes, HKDF_SALT, `refnet/kek/v1/${purpose}`, 32));
      this.#subkeys.set(purpose, k);
    }
    return k;
  }

  /**
   * A short public identifier of this KEK (part of an HKDF output, not the key): lets a message
   * say "the vault was sealed under KEK x, this is KEK y" without revealing anything about either.
   */
  get id(): string {
    return this.subkey("id").toString("base64url").slice(0, 11);
  }

  // Never printed, serialised or logged by accident.
  toJSON(): string {
    return "[KeyEncryptionKey]";
  }
  toString(): string {
    return "[KeyEncryptionKey]";
  }
  [inspect.custom](): string {
    return `KeyEncryptionKey(${this.id})`;
  }
}

/** The default KEK file: beside the key file (what `refnet init` creates when none is configured). */
export function defaultKekFile(keysFile: string): string {
  return join(dirname(keysFile), "kek");
}

/** The KEK the configuration names, read and checked; a ConfigError naming the variable otherwise. */
export async function resolveKek(source: KekSource): Promise<KeyEncryptionKey> {
  if (source.source === "env") return source.key;
  return loadKekFile(source.path, source.variable);
}

/**
 * Reads a KEK file: it must exist, be readable by its owner only (like the key file), and hold exactly
 * 32 bytes in base64url. Messages name the file and the variable, never its content.
 */
export async function loadKekFile(
  path: string,
  variable: "REFNET_KEK_FILE" | null = "REFNET_KEK_FILE",
): Promise<KeyEncryptionKey> {
  const named = variable ?? "REFNET_KEK_FILE";
  const where = variable ? `${variable}=${path}` : `the default KEK file ${path}`;
  let text: string;
  try {
    const st = await stat(path);
    if (!st.isFile()) throw new ConfigError(`${named}: ${where} is not a file.`, [named]);
    if (process.platform !== "win32" && (st.mode & 0o077) !== 0) {
      throw new ConfigError(
        `${named}: the KEK file ${path} can be read by other users (mode ${(st.mode & 0o777).toString(8)}); run: chmod 600 ${path}`,
        [named],
      );
    }
    text = await readFile(path, "utf8");
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") {
      throw new ConfigError(
        `${named}: no KEK file at ${path}. \`refnet init\` creates one beside the key file; or set ${named} to ` +
          "the file that holds this node's key-encryption key, or REFNET_KEK to the key itself.",
        [named],
      );
    }
    throw new ConfigError(`${named}: the KEK file ${path} cannot be read (${code ?? "error"}).`, [named]);
  }
  const key = KeyEncryptionKey.parse(text, `the KEK file ${path}`);
  if (!key) {
    throw new ConfigError(
      `${named}: the KEK file ${path} must hold 32 random bytes in base64url (43 characters), as \`refnet init\` writes it.`,
      [named],
    );
  }
  return key;
}

/**
 * Creates a KEK file with a fresh random key: mode 0600, written to a temporary file, fsynced and
 * linked into place, so it is never half-written and never replaces an existing KEK (losing a KEK
 * loses every person's data and the node's keys).
 */
export async function createKekFile(path: string): Promise<KeyEncryptionKey> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const { key, text } = KeyEncryptionKey.generate(`the KEK file ${path}`);
  const tmp = join(dirname(path), `.kek-${randomBytes(6).toString("hex")}.tmp`);
  const fh = await open(tmp, "wx", 0o600);
  try {
    await fh.writeFile(`${text}\n`, "utf8");
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await chmod(tmp, 0o600);
    await link(tmp, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") {
      throw new ConfigError(`A KEK file already exists at ${path}; refusing to replace it.`, [
        "REFNET_KEK_FILE",
      ]);
    }
    throw err;
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
  return key;
}

/**
 * The KEK the configuration names, creating its file when there is none yet (`refnet init`, test
 * networks). Whether it was created is returned so the caller can tell the operator where it is.
 */
export async function openOrCreateKek(
  source: KekSource,
): Promise<{ key: KeyEncryptionKey; created: boolean }> {
  if (source.source === "env") return { key: source.key, created: false };
  try {
    return { key: await createKekFile(source.path), created: true };
  } catch (err) {
    // It exists already (or appeared meanwhile): read it, with every check of loadKekFile.
    if (err instanceof ConfigError && /already exists/.test(err.message)) {
      return { key: await loadKekFile(source.path, source.variable), created: false };
    }
    throw err;
  }
}
