// Trust list format (docs/protocol.md §6).
import type { JWK } from "jose";

export type PartnerStatus = "active" | "suspended" | "revoked";
export type PartnerRole = "origin" | "destination";
export type KeyUse = "sig" | "enc";

export interface TrustListAdmin {
  /** A readable admin id, e.g. "admin-amina"; the key, not the id, is what counts for the threshold. */
  id: string;
  jwk: JWK;
}

export interface TrustListKey {
  use: KeyUse;
  jwk: JWK;
  /** Seconds since the epoch. */
  notBefore: number;
  notAfter?: number;
}

export interface TrustListPartner {
  orgId: string;
  name: string;
  /** ISO 3166-1 alpha-2. */
  country: string;
  roles: PartnerRole[];
  status: PartnerStatus;
  keys: TrustListKey[];
}

export interface TrustListPayload {
  v: 1;
  network: string;
  version: number;
  issuedAt: number;
  expiresAt: number;
  threshold: number;
  admins: TrustListAdmin[];
  partners: TrustListPartner[];
}

/** JWS General JSON Serialization of a TrustListPayload. */
export interface SignedTrustList {
  payload: string;
  signatures: { protected: string; signature: string }[];
}
