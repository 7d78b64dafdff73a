// Hand parsing of JOSE compact serializations, done before any JOSE library sees the input, so that
// header checks (docs/protocol.md §2.8 steps 2 and 4) do not depend on what a library tolerates.

/** Header members refused in every protected header of the protocol (docs/protocol.md §1.4). */
export const FORBIDDEN_HEADER_MEMBERS = ["jwk", "jku", "x5u", "x5c", "crit", "zip", "b64"] as const;

const BASE64URL = /^[A-Za-z0-9_-]*$/;
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

export type JsonObject = Record<string, unknown>;

export function isJsonObject(v: unknown): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Unpadded base64url (RFC 4648 §5); a length of 4k+1 cannot encode whole bytes. */
export function isBase64url(s: string): boolean {
  return s.length % 4 !== 1 && BASE64URL.test(s);
}

/**
 * Decodes a base64url segment that must hold a UTF-8 JSON object. Only the canonical encoding is
 * accepted (non-zero padding bits would let two strings carry one header). `undefined` when it is not.
 */
export function decodeJsonObject(segment: string): JsonObject | undefined {
  if (segment.length === 0 || !isBase64url(segment)) return undefined;
  const bytes = Buffer.from(segment, "base64url");
  if (bytes.toString("base64url") !== segment) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(bytes));
  } catch {
    return undefined;
  }
  return isJsonObject(value) ? value : undefined;
}

/** Bytes as a string, one character per byte: a non-ASCII byte then fails every base64url test. */
export function bytesToLatin1(data: Uint8Array): string {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString("latin1");
}

/** Names of forbidden members present in `header`, in the order of FORBIDDEN_HEADER_MEMBERS. */
export function forbiddenMembers(header: JsonObject): string[] {
  return FORBIDDEN_HEADER_MEMBERS.filter((m) => Object.hasOwn(header, m));
}
