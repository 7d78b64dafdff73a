// The public keys a checkpoint may be verified with: this node's Ed25519 signing keys, from the public
// halves its key file holds (retired keys keep theirs, so old checkpoints still verify) and from the
// trust list in force as stored in the database (re-verified against its admins' signatures). Only
// public members are ever imported.
import { restoreTrustList } from "@refnet/trust";
import { calculateJwkThumbprint, importJWK, type JWK } from "jose";
import type { Kysely } from "kysely";
import type { Config } from "../config.ts";
import type { Database } from "../db/schema.ts";
import { resolveKek } from "../kek.ts";
import { KeyStore } from "../keys.ts";

export type AuditKeySet = ReadonlyMap<string, { key: CryptoKey | Uint8Array; source: string }>;

export interface AuditKeys {
  keys: AuditKeySet;
  /** Where keys were found, e.g. "key file", "trust list v4". */
  sources: string[];
  /** Why a source gave nothing (it is absent, unreadable, or does not verify). */
  notes: string[];
}

/** What is read of a key store: its keys' public halves (KeyStore.keys()). */
export interface PublicKeySource {
  keys(): readonly { use: string; kid: string; jwk: JWK }[];
}

/** The node_state row where the trust store keeps the list in force (federation/trust-store.ts). */
const TRUST_STATE_KEY = "trust.list";

export async function loadAuditKeys(opts: {
  orgId: string;
  /** The node's key store, or why it could not be opened. */
  keyStore?: PublicKeySource | { unavailable: string };
  db?: Kysely<Database>;
}): Promise<AuditKeys> {
  const keys = new Map<string, { key: CryptoKey | Uint8Array; source: string }>();
  const sources: string[] = [];
  const notes: string[] = [];
  const add = async (jwk: JWK, kid: string, source: string): Promise<boolean> => {
    if (jwk.kty !== "OKP" || jwk.crv !== "Ed25519" || typeof jwk.x !== "string") return false;
    const bare = { kty: "OKP", crv: "Ed25519", x: jwk.x } as JWK;
    // docs/protocol.md §1.3: a kid is the RFC 7638 thumbprint; a key under another name is not ours.
    if ((await calculateJwkThumbprint(bare, "sha256")) !== kid) return false;
    const known = keys.get(kid);
    if (known) keys.set(kid, { ...known, source: `${known.source}, ${source}` });
    else keys.set(kid, { key: await importJWK(bare, "EdDSA"), source });
    return true;
  };

  const ks = opts.keyStore;
  if (ks && "unavailable" in ks) {
    notes.push(ks.unavailable);
  } else if (ks) {
    let n = 0;
    for (const k of ks.keys()) if (k.use === "sig" && (await add(k.jwk, k.kid, "key file"))) n++;
    if (n > 0) sources.push("key file");
    else notes.push("the key file holds no signing key");
  }

  if (opts.db) {
    const row = await opts.db
      .selectFrom("node_state")
      .select("value")
      .where("key", "=", TRUST_STATE_KEY)
      .executeTakeFirst();
    if (!row) {
      notes.push("no trust list is stored in the database");
    } else {
      const res = await restoreTrustList(row.value);
      if (!res.ok) {
        notes.push(`the stored trust list does not verify (${res.code})`);
      } else {
        let n = 0;
        for (const k of res.list.keysOf(opts.orgId)) {
          if (k.use === "sig" && (await add(k.jwk, k.kid, `trust list v${res.list.version}`))) n++;
        }
        if (n > 0) sources.push(`trust list v${res.list.version}`);
        else notes.push(`the stored trust list v${res.list.version} lists no signing key for ${opts.orgId}`);
      }
    }
  }
  return { keys, sources, notes };
}

/**
 * Opens the node's key file (under its KEK) for its public halves, as `refnet audit verify` does
 * offline; when it cannot, says why instead of failing: the trust list may still verify the checkpoints.
 */
export async function openKeyFileForAudit(
  config: Pick<Config, "keysFile" | "orgId" | "kek">,
): Promise<PublicKeySource | { unavailable: string }> {
  try {
    const kek = await resolveKek(config.kek);
    return await KeyStore.load(config.keysFile, config.orgId, kek);
  } catch (err) {
    // These messages name files and variables, never key material.
    return { unavailable: `the key file was not read: ${err instanceof Error ? err.message : String(err)}` };
  }
}
