// A real trust list for tests, the dev environment and the demo: real keys, real signatures, nothing
// mocked. Never for production: every private key is handed back to the caller in memory.
import { CLOCK_SKEW_SECONDS } from "@refnet/protocol/types";
import { generateOrgKeys, generateSigningKeyPair, type KeyPairJwk, publicJwkOf } from "./keys.ts";
import { signTrustList } from "./sign.ts";
import type { PartnerRole, SignedTrustList, TrustListPayload } from "./types.ts";

export interface TestOrg {
  orgId: string;
  name: string;
  /** ISO 3166-1 alpha-2. */
  country: string;
  roles: PartnerRole[];
}

export interface TestNetworkTrustOptions {
  network: string;
  orgs: TestOrg[];
  /** Number of network admins; 3 by default. */
  admins?: number;
  /** Signatures needed for the next version; 2 by default. */
  threshold?: number;
  /** Seconds from now until the list expires; 30 days by default. */
  lifetimeSeconds?: number;
  /** Defaults to the system clock. */
  nowSeconds?: number;
}

export interface TestNetworkTrust {
  /** Version 1, signed by every admin: the genesis list. */
  signed: SignedTrustList;
  payload: TrustListPayload;
  /** `admin-1` … `admin-n`, in the order of `payload.admins`. */
  adminKeys: KeyPairJwk[];
  orgKeys: Record<string, { sig: KeyPairJwk; enc: KeyPairJwk }>;
}

const DEFAULT_LIFETIME_SECONDS = 30 * 24 * 3600;

/** Builds and signs the genesis trust list of a test network in which every org is `active`. */
export async function createTestNetworkTrust(options: TestNetworkTrustOptions): Promise<TestNetworkTrust> {
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  const adminCount = options.admins ?? 3;
  const threshold = options.threshold ?? 2;
  const adminKeys = await Promise.all(Array.from({ length: adminCount }, () => generateSigningKeyPair()));
  const orgKeys: Record<string, { sig: KeyPairJwk; enc: KeyPairJwk }> = {};
  for (const org of options.orgs) orgKeys[org.orgId] = await generateOrgKeys();

  // Keys valid from a little before now, so a peer whose clock runs behind (within the skew the
  // protocol tolerates) still accepts messages signed at once.
  const notBefore = now - CLOCK_SKEW_SECONDS;
  const payload: TrustListPayload = {
    v: 1,
    network: options.network,
    version: 1,
    issuedAt: now,
    expiresAt: now + (options.lifetimeSeconds ?? DEFAULT_LIFETIME_SECONDS),
    threshold,
    admins: adminKeys.map((key, i) => ({ id: `admin-${i + 1}`, jwk: publicJwkOf(key.publicJwk) })),
    partners: options.orgs.map((org) => {
      const keys = orgKeys[org.orgId]!;
      return {
        orgId: org.orgId,
        name: org.name,
        country: org.country,
        roles: [...org.roles],
        status: "active" as const,
        keys: [
          { use: "sig" as const, jwk: publicJwkOf(keys.sig.publicJwk), notBefore },
          { use: "enc" as const, jwk: publicJwkOf(keys.enc.publicJwk), notBefore },
        ],
      };
    }),
  };
  const signed = await signTrustList(
    payload,
    adminKeys.map((k) => k.privateJwk),
  );
  return { signed, payload, adminKeys, orgKeys };
}
