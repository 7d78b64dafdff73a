// An accepted trust list (docs/protocol.md §6) and the lookups a node makes on every message: which
// partner owns a signing key (§2 step 4), and which key to encrypt to (§2). Built once per accepted
// version; every answer comes from maps computed at construction.
import { importJWK, type JWK } from "jose";
import { trustListDigest } from "./digest.ts";
import { checkKeyIds } from "./key-ids.ts";
import {
  ENCRYPTION_ALG,
  formatFingerprint,
  keyValidAt,
  publicJwkOf,
  SIGNING_ALG,
  thumbprint,
} from "./keys.ts";
import { TRUST_PROBLEM_CODES, TrustListError } from "./problems.ts";
import { parseTrustList, requireValidPayload } from "./schema.ts";
import type { KeyUse, PartnerStatus, SignedTrustList, TrustListPartner, TrustListPayload } from "./types.ts";

/**
 * What the list says about a signing key. This is the shape @refnet/protocol's OpenContext.signerKey
 * returns; `key` is the bare public JWK (`kty`, `crv`, `x`).
 */
export interface SignerKeyInfo {
  orgId: string;
  status: PartnerStatus;
  key: JWK;
  notBefore: number;
  notAfter?: number;
}

/** A partner key with its key id (RFC 7638 thumbprint) and owner. */
export interface PartnerKeyInfo {
  kid: string;
  orgId: string;
  use: KeyUse;
  /** The bare public JWK (`kty`, `crv`, `x`). */
  jwk: JWK;
  notBefore: number;
  notAfter?: number;
}

/** A key as people compare it out of band (docs/protocol.md §1: the kid is the thumbprint). */
export interface KeyFingerprint {
  use: KeyUse;
  kid: string;
  /** The thumbprint bytes in hex, groups of four. */
  fingerprint: string;
  notBefore: number;
  notAfter?: number;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const item of Object.values(value)) deepFreeze(item);
  }
  return value;
}

function withValidity<T extends object>(target: T, key: { notBefore: number; notAfter?: number }) {
  return key.notAfter === undefined
    ? { ...target, notBefore: key.notBefore }
    : { ...target, notBefore: key.notBefore, notAfter: key.notAfter };
}

export class TrustList {
  /** The accepted payload, deeply frozen. */
  readonly payload: TrustListPayload;
  /** The list as signed, frozen: what a node stores and passes on. */
  readonly signed: SignedTrustList;
  /** trustListDigest of `signed`. */
  readonly digest: string;
  readonly #partners: ReadonlyMap<string, TrustListPartner>;
  readonly #keysByOrg: ReadonlyMap<string, readonly PartnerKeyInfo[]>;
  readonly #keysByKid: ReadonlyMap<string, PartnerKeyInfo>;
  readonly #signers: ReadonlyMap<string, SignerKeyInfo>;
  readonly #admins: readonly { id: string; kid: string }[];
  readonly #imported = new Map<string, Promise<CryptoKey>>();

  private constructor(
    payload: TrustListPayload,
    signed: SignedTrustList,
    keys: readonly PartnerKeyInfo[],
    admins: readonly { id: string; kid: string }[],
  ) {
    this.payload = payload;
    this.signed = signed;
    this.digest = trustListDigest(signed);
    this.#partners = new Map(payload.partners.map((p) => [p.orgId, p]));
    this.#admins = admins;
    const byOrg = new Map<string, PartnerKeyInfo[]>();
    const byKid = new Map<string, PartnerKeyInfo>();
    const signers = new Map<string, SignerKeyInfo>();
    for (const key of keys) {
      byKid.set(key.kid, key);
      const list = byOrg.get(key.orgId) ?? [];
      list.push(key);
      byOrg.set(key.orgId, list);
      if (key.use === "sig") {
        const partner = this.#partners.get(key.orgId)!;
        signers.set(
          key.kid,
          deepFreeze(withValidity({ orgId: key.orgId, status: partner.status, key: key.jwk }, key)),
        );
      }
    }
    this.#keysByOrg = byOrg;
    this.#keysByKid = byKid;
    this.#signers = signers;
  }

  /**
   * Wraps a list that acceptTrustList or verifyGenesis accepted. It checks that `signed` carries
   * exactly `payload` and that the payload is well formed, and computes every key id; it does NOT
   * verify signatures. Throws TrustListError.
   */
  static async create(payload: TrustListPayload, signed: SignedTrustList): Promise<TrustList> {
    const parsed = parseTrustList(signed);
    if (!parsed.ok) throw new TrustListError(parsed.code, parsed.detail);
    const given = requireValidPayload(payload);
    if (JSON.stringify(given) !== JSON.stringify(parsed.payload))
      throw new TrustListError(TRUST_PROBLEM_CODES.malformed, "payload is not the signed payload");
    const badKeyId = await checkKeyIds(parsed.payload);
    if (badKeyId) throw new TrustListError(badKeyId.code, badKeyId.detail);

    const frozen = deepFreeze(parsed.payload);
    const keys = await Promise.all(
      frozen.partners.flatMap((partner) =>
        partner.keys.map(async (key): Promise<PartnerKeyInfo> => {
          const jwk = publicJwkOf(key.jwk);
          const kid = await thumbprint(jwk);
          return deepFreeze(withValidity({ kid, orgId: partner.orgId, use: key.use, jwk }, key));
        }),
      ),
    );
    const admins = await Promise.all(
      frozen.admins.map(async (a) => Object.freeze({ id: a.id, kid: await thumbprint(publicJwkOf(a.jwk)) })),
    );
    return new TrustList(frozen, deepFreeze(parsed.signed), keys, Object.freeze(admins));
  }

  get network(): string {
    return this.payload.network;
  }
  get version(): number {
    return this.payload.version;
  }
  get issuedAt(): number {
    return this.payload.issuedAt;
  }
  get expiresAt(): number {
    return this.payload.expiresAt;
  }
  get threshold(): number {
    return this.payload.threshold;
  }

  /** docs/protocol.md §6: a node whose list has expired neither sends nor accepts messages. */
  isExpired(nowSeconds: number): boolean {
    return nowSeconds >= this.payload.expiresAt;
  }

  /** Admin ids with the thumbprint of their key (one key may appear under several ids). */
  admins(): readonly { id: string; kid: string }[] {
    return this.#admins;
  }

  partner(orgId: string): TrustListPartner | undefined {
    return this.#partners.get(orgId);
  }

  partners(): readonly TrustListPartner[] {
    return this.payload.partners;
  }

  /** Partners whose status is `active`: the only ones messages go to or are accepted from. */
  activePartners(): TrustListPartner[] {
    return this.payload.partners.filter((p) => p.status === "active");
  }

  /**
   * The partner signing key named `kid`, whatever its owner's status or its validity: the caller
   * (openEnvelope, docs/protocol.md §2 step 4) refuses an inactive owner or a key not valid at `iat`
   * with a reason of its own. An encryption key or an admin key is not a signer key.
   */
  signerKey(kid: string): SignerKeyInfo | undefined {
    return this.#signers.get(kid);
  }

  /** Any partner key named `kid` (signing or encryption). */
  keyById(kid: string): PartnerKeyInfo | undefined {
    return this.#keysByKid.get(kid);
  }

  /** Every key of the partner, in list order; empty for an unknown partner. */
  keysOf(orgId: string): readonly PartnerKeyInfo[] {
    return this.#keysByOrg.get(orgId) ?? [];
  }

  /**
   * The key to encrypt to for `orgId` at `nowSeconds` (docs/protocol.md §1.5): the `enc` key whose
   * validity covers now with the latest notBefore (the newest after a rotation; on a tie, the one whose
   * kid sorts first). Undefined when the partner is unknown, not `active`, or has no valid encryption
   * key: nothing is sent to it.
   */
  encryptionKeyFor(orgId: string, nowSeconds: number): { kid: string; jwk: JWK } | undefined {
    if (this.#partners.get(orgId)?.status !== "active") return undefined;
    const best = this.newestValidKey(orgId, "enc", nowSeconds);
    return best && { kid: best.kid, jwk: best.jwk };
  }

  /**
   * Of the partner's keys of `use` valid at `nowSeconds`, the one with the latest notBefore, a tie
   * going to the kid that sorts first (byte order), whatever the partner's status: the rule of
   * docs/protocol.md §1.5 by which senders pick a recipient key and a node its own signing key.
   */
  newestValidKey(orgId: string, use: KeyUse, nowSeconds: number): PartnerKeyInfo | undefined {
    let best: PartnerKeyInfo | undefined;
    for (const key of this.keysOf(orgId)) {
      if (key.use !== use || !keyValidAt(key, nowSeconds)) continue;
      if (!best || key.notBefore > best.notBefore || (key.notBefore === best.notBefore && key.kid < best.kid))
        best = key;
    }
    return best;
  }

  /** The partner's keys as people compare them out of band, e.g. before co-signing a new version. */
  fingerprints(orgId: string): KeyFingerprint[] {
    return this.keysOf(orgId).map((key) =>
      withValidity({ use: key.use, kid: key.kid, fingerprint: formatFingerprint(key.kid) }, key),
    );
  }

  /**
   * The partner key `kid` imported for jose (EdDSA for `sig`, ECDH-ES+A256KW for `enc`), imported on first
   * use and cached for the life of this list.
   */
  importedKey(kid: string): Promise<CryptoKey> | undefined {
    const key = this.#keysByKid.get(kid);
    if (!key) return undefined;
    let imported = this.#imported.get(kid);
    if (!imported) {
      imported = importJWK(key.jwk, key.use === "sig" ? SIGNING_ALG : ENCRYPTION_ALG) as Promise<CryptoKey>;
      // A failed import is not remembered, so a later call tries again.
      imported.catch(() => this.#imported.delete(kid));
      this.#imported.set(kid, imported);
    }
    return imported;
  }
}
