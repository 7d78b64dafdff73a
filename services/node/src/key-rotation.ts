// A partner rotating its own keys (docs/admin-guide.md §4), on its node's machine: new Ed25519 and X25519
// keys go into the key file as pending, never used until a trust list lists them (own-keys.ts), and a
// request signed by the organization's signing key in force carries their public halves to the admins
// (@refnet/trust rotation.ts). `refnet keys rotate` is this function behind a command line.
import { createKeyRotationRequest, formatFingerprint, generateOrgKeys, type TrustList } from "@refnet/trust";
import type { Config } from "./config.ts";
import { resolveKek } from "./kek.ts";
import { type KeyRotationRecord, KeyStore, KeyStoreError, type StoredKeyInfo } from "./keys.ts";
import { applyAssessment, assessOwnKeys, keyInfoOf, signingKidInForce } from "./own-keys.ts";

/** Opens the node's key file as the node does (same path, same key-encryption key). */
export async function openNodeKeyStore(config: Config): Promise<KeyStore> {
  return KeyStore.load(config.keysFile, config.orgId, await resolveKek(config.kek));
}

export interface KeyRotationOptions {
  network: string;
  /**
   * The trust list in force (the node's stored one). Without it the request is signed with the one
   * signing key the file holds, and refused when there are several.
   */
  list: TrustList | undefined;
  /** Seconds the current keys should stay valid after the new ones start. */
  overlapSeconds: number;
  nowMs: number;
  /** Abandon a rotation still pending: its keys are retired (never used, never listed). */
  replace: boolean;
}

export interface KeyRotationOutcome {
  record: KeyRotationRecord;
  /** Keys of an abandoned rotation, now retired. */
  replaced: string[];
}

/** The listed signing key that signs the request: the one the node signs with now. */
function requestSigner(store: KeyStore, list: TrustList | undefined, network: string, nowS: number): string {
  const keys = store.keys();
  if (list) {
    if (list.network !== network)
      throw new KeyStoreError(
        `The trust list this node holds is for network ${list.network}, not ${network}.`,
      );
    const kid = signingKidInForce(keys, list, store.orgId, nowS);
    if (!kid)
      throw new KeyStoreError(
        `Version ${list.version} of the trust list lists no signing key of ${store.orgId} that this node holds and that is valid now, so nothing can sign a rotation request. Ask the network admins to rotate the keys with \`refnet trust propose --rotate-keys\` after checking the new fingerprints by phone.`,
      );
    return kid;
  }
  const usable = keys.filter((k) => k.use === "sig" && k.retiredAt === undefined && !k.pending);
  if (usable.length !== 1)
    throw new KeyStoreError(
      "The node holds several signing keys and no trust list to say which one is in force: start the node once (it stores the list), or give the list in force.",
    );
  return usable[0]!.kid;
}

/** Keys made by an earlier `refnet keys rotate` that no list has listed yet. */
function pendingKeys(keys: readonly StoredKeyInfo[], list: TrustList | undefined, orgId: string): string[] {
  return keys
    .filter((k) => k.pending && k.retiredAt === undefined)
    .filter((k) => {
      const l = list?.keyById(k.kid);
      return !(l && l.orgId === orgId);
    })
    .map((k) => k.kid);
}

/**
 * Generates a new signing and encryption key, adds them to the key file as pending, and signs the
 * rotation request with the signing key in force. Refuses while an earlier rotation is pending unless
 * `replace`. The private keys are written to the key file only; the request holds public keys.
 */
export async function requestKeyRotation(
  store: KeyStore,
  opts: KeyRotationOptions,
): Promise<KeyRotationOutcome> {
  const nowS = Math.floor(opts.nowMs / 1000);
  await store.reloadIfChanged();
  const signedWith = requestSigner(store, opts.list, opts.network, nowS);
  const earlier = pendingKeys(store.keys(), opts.list, store.orgId);
  const previous = store.rotation();
  if (!opts.replace && earlier.length > 0) {
    const when = previous ? ` on ${new Date(previous.requestedAt).toISOString()}` : "";
    throw new KeyStoreError(
      `A key rotation requested${when} is still pending (new keys ${earlier.map(formatFingerprint).join(", ")}): send that request to the admins (\`refnet keys request --out <file>\`), or start over with --replace.`,
    );
  }
  const signer = store.signingKeyByKid(signedWith);
  if (!signer) throw new KeyStoreError(`The signing key ${signedWith} is not in the key file.`);

  const fresh = await generateOrgKeys();
  // Keys made later sort as newer (own-keys.ts), even within one millisecond of the current ones.
  const createdAt = Math.max(opts.nowMs, ...store.keys().map((k) => k.createdAt + 1));
  const request = await createKeyRotationRequest(
    {
      network: opts.network,
      orgId: store.orgId,
      sig: fresh.sig.publicJwk,
      enc: fresh.enc.publicJwk,
      overlapSeconds: opts.overlapSeconds,
      nowSeconds: nowS,
    },
    signer,
  );
  const record: KeyRotationRecord = {
    requestedAt: opts.nowMs,
    request,
    sigKid: fresh.sig.kid,
    encKid: fresh.enc.kid,
    signedWith,
    overlapSeconds: opts.overlapSeconds,
  };
  const replaced: string[] = [];
  await store.update((file) => {
    const current = file.keys.find((k) => k.kid === signedWith);
    if (!current || current.retiredAt !== undefined)
      throw new KeyStoreError(
        "The key file changed while the request was made (the signing key is gone); run the command again.",
      );
    if (opts.list) {
      // Pending keys the list already lists are in force: say so in the file before judging what is pending.
      const a = assessOwnKeys(keyInfoOf(file), opts.list, file.orgId, nowS);
      applyAssessment(file, { due: [], listedPending: a.listedPending }, opts.nowMs);
    }
    for (const k of file.keys) {
      if (k.pending !== true || k.retiredAt !== undefined) continue;
      if (!opts.replace)
        throw new KeyStoreError("Another key rotation was requested meanwhile; see `refnet keys show`.");
      k.retiredAt = opts.nowMs;
      delete k.privateJwk;
      delete k.pending;
      replaced.push(k.kid);
    }
    file.keys.push(
      {
        use: "sig",
        kid: fresh.sig.kid,
        publicJwk: fresh.sig.publicJwk,
        privateJwk: fresh.sig.privateJwk,
        createdAt,
        pending: true,
      },
      {
        use: "enc",
        kid: fresh.enc.kid,
        publicJwk: fresh.enc.publicJwk,
        privateJwk: fresh.enc.privateJwk,
        createdAt,
        pending: true,
      },
    );
    file.rotation = record;
    return true;
  });
  return { record, replaced };
}
