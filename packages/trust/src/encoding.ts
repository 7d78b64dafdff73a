// Strict decoding of untrusted JOSE members. Base64url must be canonical (RFC 7515 §2, no padding, no
// stray bits), so one byte string has one spelling: two spellings of one key would otherwise give two
// thumbprints and let one admin key count twice towards a threshold (docs/protocol.md §6).

const BASE64URL = /^[A-Za-z0-9_-]*$/;

/** Decodes canonical unpadded base64url; undefined for anything else. */
export function decodeBase64url(text: string): Uint8Array | undefined {
  if (typeof text !== "string" || !BASE64URL.test(text) || text.length % 4 === 1) return undefined;
  const bytes = Buffer.from(text, "base64url");
  if (bytes.toString("base64url") !== text) return undefined;
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function encodeBase64url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64url");
}

/** True for the canonical base64url spelling of exactly 32 bytes (an OKP `x` of Ed25519 or X25519). */
export function isCanonicalKey32(text: unknown): text is string {
  if (typeof text !== "string" || text.length !== 43) return false;
  return decodeBase64url(text)?.byteLength === 32;
}

// `ignoreBOM: true` keeps a byte order mark in the text, so JSON.parse refuses it instead of the decoder
// silently dropping it: the signed bytes are exactly the JSON text.
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Parses strict UTF-8 JSON; undefined when the bytes are not valid UTF-8 or not JSON. */
export function parseJsonBytes(bytes: Uint8Array): { value: unknown } | undefined {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return undefined;
  }
  return parseJsonText(text);
}

export function parseJsonText(text: string): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    return undefined;
  }
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
