// Shared pieces of the protocol's unit tests: the fixed test keys, an in-memory receiving node (its trust
// list, own keys, replay record and revocations are plain maps, as a real node's would be rows), and
// helpers that build envelopes by hand, including ones no honest sender would produce.
import { readFileSync } from "node:fs";
import { CompactEncrypt, importJWK, type JWK } from "jose";
import type { OpenContext, SignerKeyInfo } from "./open.ts";
import type { RecipientKey, SigningKey } from "./seal.ts";
import { type Consent, inboxSubject, type OutgoingMessage, type Subject } from "./types.ts";

interface VectorKey {
  kid: string;
  privateJwk: JWK;
  publicJwk: JWK;
}

export interface TestVectors {
  network: string;
  now: number;
  trustVersion: number;
  keysNotBefore: number;
  orgs: Record<OrgId, { sig: VectorKey; enc: VectorKey }>;
  innerJws: { claimsJson: string; jws: string };
  sealedEnvelope: {
    natsSubject: string;
    envelope: string;
    protectedHeader: Record<string, unknown>;
    claims: unknown;
  };
  appendixA: { natsSubject: string; envelope: string; jws: string; claimsJson: string };
}

export type OrgId = "ngo-north" | "shelter-alpha";

export const vectors: TestVectors = JSON.parse(
  readFileSync(new URL("./fixtures/test-vectors.json", import.meta.url), "utf8"),
);

export const NETWORK = vectors.network;
export const NOW = vectors.now;
export const NORTH: OrgId = "ngo-north";
export const ALPHA: OrgId = "shelter-alpha";

export interface OrgKeys {
  orgId: OrgId;
  signing: SigningKey;
  signingPublicJwk: JWK;
  /** What a sender passes to reach this org. */
  recipient: RecipientKey;
  decryption: CryptoKey;
  encKid: string;
}

export async function loadOrgKeys(orgId: OrgId): Promise<OrgKeys> {
  const o = vectors.orgs[orgId];
  return {
    orgId,
    signing: { kid: o.sig.kid, key: (await importJWK(o.sig.privateJwk, "EdDSA")) as CryptoKey },
    signingPublicJwk: o.sig.publicJwk,
    recipient: { kid: o.enc.kid, key: o.enc.publicJwk },
    decryption: (await importJWK(o.enc.privateJwk, "ECDH-ES+A256KW")) as CryptoKey,
    encKid: o.enc.kid,
  };
}

export interface TrustView {
  version: number;
  signers: Map<string, SignerKeyInfo>;
}

export function signerInfo(org: OrgKeys, over: Partial<SignerKeyInfo> = {}): SignerKeyInfo {
  return {
    orgId: org.orgId,
    status: "active",
    key: org.signingPublicJwk,
    notBefore: vectors.keysNotBefore,
    ...over,
  };
}

export function trustOf(version: number, ...signers: [string, SignerKeyInfo][]): TrustView {
  return { version, signers: new Map(signers) };
}

/** A receiving node in memory. `next`, when set, is the list a refresh brings in. */
export class TestReceiver implements OpenContext {
  readonly network = NETWORK;
  now = NOW;
  trust: TrustView;
  next: TrustView | undefined;
  refreshCalls = 0;
  readonly ownKeys = new Map<string, CryptoKey>();
  readonly accepted = new Set<string>();
  readonly revoked = new Set<string>();
  canRefresh = true;

  constructor(
    readonly self: string,
    trust: TrustView,
  ) {
    this.trust = trust;
  }

  get inbox(): string {
    return inboxSubject(this.network, this.self);
  }

  nowSeconds(): number {
    return this.now;
  }
  async decryptionKey(kid: string): Promise<CryptoKey | undefined> {
    return this.ownKeys.get(kid);
  }
  async signerKey(kid: string): Promise<SignerKeyInfo | undefined> {
    return this.trust.signers.get(kid);
  }
  trustVersion(): number {
    return this.trust.version;
  }
  get refreshTrust(): (() => Promise<void>) | undefined {
    if (!this.canRefresh) return undefined;
    return async () => {
      this.refreshCalls++;
      if (this.next && this.next.version > this.trust.version) this.trust = this.next;
    };
  }
  async isReplay(iss: string, jti: string): Promise<boolean> {
    return this.accepted.has(`${iss} ${jti}`);
  }
  async consentRevoked(consentId: string, iss: string): Promise<boolean> {
    return this.revoked.has(`${iss} ${consentId}`);
  }
}

/** Fictional personal data that must never show up in a detail, a header or in clear on the wire. */
export const PERSON = {
  givenName: "Zuwenaya",
  familyName: "Okonkwo-Marlowe",
  phone: "+234 801 555 0199",
  passport: "PX9931775QZ",
  notes: "Arrived via the Tripoli route, prefers a female caseworker",
};
export const SECRETS = Object.values(PERSON);

export function testConsent(over: Partial<Consent> = {}): Consent {
  return {
    id: "e-aUI5aFSoQB9modPM4uXQ",
    subjectRef: "p-7f3a9c21",
    scopes: ["identity", "contact"],
    purposes: ["shelter", "legal_aid"],
    recipients: [ALPHA],
    grantedAt: NOW - 10_000,
    expiresAt: NOW + 30 * 86_400,
    method: "written",
    language: "ti",
    textVersion: "consent-form-v3",
    ...over,
  };
}

export function testSubject(over: Partial<Subject> = {}): Subject {
  return {
    ref: "p-7f3a9c21",
    languages: ["ti", "en"],
    ageBand: "26-59",
    givenName: PERSON.givenName,
    familyName: PERSON.familyName,
    documents: [{ type: "passport", number: PERSON.passport }],
    phone: PERSON.phone,
    ...over,
  };
}

export const THID = "mf_hhT_cEMyDY2bkok51ug";

export function testOffer(
  over: Partial<OutgoingMessage<"referral.offer">> = {},
): OutgoingMessage<"referral.offer"> {
  return {
    type: "referral.offer",
    aud: ALPHA,
    thid: THID,
    consent: testConsent(),
    body: {
      referral: { id: THID, urgency: "urgent", services: ["shelter"], respondBy: "2026-11-19T18:00:00Z" },
      subject: testSubject(),
    },
    ...over,
  };
}

const enc = new TextEncoder();

export function b64(text: string | Uint8Array): string {
  return Buffer.from(typeof text === "string" ? enc.encode(text) : text).toString("base64url");
}

export function b64json(value: unknown): string {
  return b64(JSON.stringify(value));
}

/** A compact JWS with any header, signed with WebCrypto directly (a JOSE library would refuse some). */
export async function signRaw(header: unknown, payload: unknown, key: CryptoKey): Promise<string> {
  const input = `${b64json(header)}.${typeof payload === "string" ? b64(payload) : b64json(payload)}`;
  const sig = new Uint8Array(await crypto.subtle.sign("Ed25519", key, enc.encode(input)));
  return `${input}.${b64(sig)}`;
}

/** Encrypts any plaintext properly to `to`, with the standard outer header plus `extra` members. */
export async function encryptRaw(
  plaintext: string,
  to: OrgKeys,
  extra: Record<string, unknown> = {},
): Promise<string> {
  const pub = (await importJWK(to.recipient.key as JWK, "ECDH-ES+A256KW")) as CryptoKey;
  return new CompactEncrypt(enc.encode(plaintext))
    .setProtectedHeader({
      alg: "ECDH-ES+A256KW",
      enc: "A256GCM",
      kid: to.encKid,
      cty: "refnet-msg+jws",
      typ: "refnet-msg+jwe",
      ...extra,
    })
    .encrypt(pub);
}

/** Replaces one segment of a compact serialization. */
export function withSegment(compact: string, index: number, segment: string): string {
  const parts = compact.split(".");
  parts[index] = segment;
  return parts.join(".");
}

/** Changes one base64url character of a segment (the first, whose bits are all significant). */
export function tamper(compact: string, index: number): string {
  const parts = compact.split(".");
  const s = parts[index]!;
  parts[index] = (s[0] === "A" ? "B" : "A") + s.slice(1);
  return parts.join(".");
}

export function decodeSegment(compact: string, index: number): Record<string, unknown> {
  return JSON.parse(Buffer.from(compact.split(".")[index]!, "base64url").toString("utf8"));
}
