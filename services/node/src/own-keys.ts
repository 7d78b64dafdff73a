// Which of its own keys the node uses, judged against the trust list in force (docs/protocol.md §1.5),
// so that a key rotation needs nothing from the node's operators once the admins publish the list:
// - it signs with the newest of its signing keys that the list lists for it and that is valid now, so
//   it never signs with a key partners do not know yet, and switches when the new list arrives;
// - it decrypts only with its encryption keys that the list lists for it and that are in force for
//   decryption (notBefore − 300 ≤ now < notAfter + 14 days + 300 s), so that messages sealed to the
//   old key before the rotation still open when they arrive days later;
// - it marks a key retired, and destroys its private half, once that key can no longer be used.
import { CLOCK_SKEW_SECONDS, MAX_LIFETIME_SECONDS, type SigningKey } from "@refnet/protocol";
import { formatFingerprint, keyValidAt, type PartnerKeyInfo, type TrustList } from "@refnet/trust";
import type { Logger } from "pino";
import type { TrustState } from "./federation/contracts.ts";
import type { KeyFile, KeyRotationRecord, KeyStore, KeyUse, StoredKeyInfo } from "./keys.ts";

/**
 * How long after its `notAfter` an encryption key still opens messages (docs/protocol.md §1.5): the
 * longest message lifetime plus the clock skew. A message sealed to it just before it ended may wait
 * that long in the broker. Keys are retired (private half destroyed) only after it.
 */
export const DECRYPTION_GRACE_SECONDS = MAX_LIFETIME_SECONDS + CLOCK_SKEW_SECONDS;

/**
 * - `pending`: made by `refnet keys rotate` (or not yet admitted), not listed yet (or listed to start
 *   later): never used.
 * - `active`: the signing key the node signs with; the encryption key senders encrypt to now.
 * - `retiring`: listed and still in use for a while: an older signing key still valid (partners
 *   verify what it signed), an older encryption key still in force for decryption.
 * - `retired`: of no further use; marked in the key file (at once, or at the next maintenance pass),
 *   its private half destroyed.
 */
export type OwnKeyState = "pending" | "active" | "retiring" | "retired";

export interface OwnKeyView {
  use: KeyUse;
  kid: string;
  /** The thumbprint in hex, groups of four (as `refnet trust show` prints it). */
  fingerprint: string;
  state: OwnKeyState;
  /** Milliseconds. */
  createdAt: number;
  /** Milliseconds; when the key file marked it retired. */
  retiredAt?: number;
  /** Whether the trust list in force lists the key for this organization. */
  listed: boolean;
  /** Seconds, from the list. */
  notBefore?: number;
  notAfter?: number;
  /** Seconds: until when the node keeps the key (notAfter + DECRYPTION_GRACE_SECONDS). */
  keptUntil?: number;
}

export interface OwnKeyAssessment {
  views: OwnKeyView[];
  /** The signing key in force: the newest held, listed for this org and valid now. */
  signingKid?: string;
  /** Keys flagged pending that the list now lists: the flag is cleared. */
  listedPending: string[];
  /** Keys of no further use, not yet marked retired. */
  due: string[];
  /** Keys the list lists for this organization that the key file does not hold (or holds retired). */
  unheld: string[];
}

/** docs/protocol.md §1.5: the receiver's own key is in force for decryption. */
export function inForceForDecryption(
  key: { notBefore: number; notAfter?: number },
  nowSeconds: number,
): boolean {
  return (
    key.notBefore - CLOCK_SKEW_SECONDS <= nowSeconds &&
    (key.notAfter === undefined || nowSeconds < key.notAfter + DECRYPTION_GRACE_SECONDS)
  );
}

function listingOf(
  list: TrustList,
  orgId: string,
  key: { kid: string; use: KeyUse },
): PartnerKeyInfo | undefined {
  const l = list.keyById(key.kid);
  return l && l.orgId === orgId && l.use === key.use ? l : undefined;
}

/** Newer first: later notBefore, then the kid that sorts first (docs/protocol.md §1.5's tie rule). */
function newer(a: PartnerKeyInfo, b: PartnerKeyInfo): boolean {
  return a.notBefore > b.notBefore || (a.notBefore === b.notBefore && a.kid < b.kid);
}

/** The kid of the signing key the node signs with at `nowSeconds`, if any. */
export function signingKidInForce(
  keys: readonly StoredKeyInfo[],
  list: TrustList,
  orgId: string,
  nowSeconds: number,
): string | undefined {
  let best: PartnerKeyInfo | undefined;
  for (const k of keys) {
    if (k.use !== "sig" || k.retiredAt !== undefined) continue;
    const l = listingOf(list, orgId, k);
    if (!l || !keyValidAt(l, nowSeconds)) continue;
    if (!best || newer(l, best)) best = l;
  }
  return best?.kid;
}

/** What the node does with each of its keys under `list` at `nowSeconds`. Pure: no I/O. */
export function assessOwnKeys(
  keys: readonly StoredKeyInfo[],
  list: TrustList,
  orgId: string,
  nowSeconds: number,
): OwnKeyAssessment {
  const signingKid = signingKidInForce(keys, list, orgId, nowSeconds);
  const encActive = list.newestValidKey(orgId, "enc", nowSeconds)?.kid;
  const views: OwnKeyView[] = [];
  const listedPending: string[] = [];
  const due: string[] = [];
  for (const k of keys) {
    const l = listingOf(list, orgId, k);
    let state: OwnKeyState;
    if (k.retiredAt !== undefined) state = "retired";
    else if (!l) {
      // Not listed. A key made after it and listed since means the list moved past it (a rotation
      // request abandoned, or a key the admins removed): it will never be used.
      const superseded = keys.some(
        (o) => o.use === k.use && o.kid !== k.kid && o.createdAt > k.createdAt && listingOf(list, orgId, o),
      );
      state = superseded ? "retired" : "pending";
    } else if (l.notAfter !== undefined && nowSeconds >= l.notAfter + DECRYPTION_GRACE_SECONDS) {
      state = "retired";
    } else if (k.use === "sig") {
      if (k.kid === signingKid) state = "active";
      else if (l.notBefore > nowSeconds) state = "pending";
      // Ended, but partners may still receive (and verify) messages it signed while valid.
      else state = "retiring";
    } else if (l.notBefore > nowSeconds) state = "pending";
    else state = k.kid === encActive ? "active" : "retiring";
    if (state === "retired" && k.retiredAt === undefined) due.push(k.kid);
    if (l && k.pending) listedPending.push(k.kid);
    views.push({
      use: k.use,
      kid: k.kid,
      fingerprint: formatFingerprint(k.kid),
      state,
      createdAt: k.createdAt,
      ...(k.retiredAt !== undefined ? { retiredAt: k.retiredAt } : {}),
      listed: l !== undefined,
      ...(l ? { notBefore: l.notBefore } : {}),
      ...(l?.notAfter !== undefined
        ? { notAfter: l.notAfter, keptUntil: l.notAfter + DECRYPTION_GRACE_SECONDS }
        : {}),
    });
  }
  const held = new Set(keys.filter((k) => k.retiredAt === undefined).map((k) => k.kid));
  const unheld = list
    .keysOf(orgId)
    .filter((l) => !held.has(l.kid) && (l.notAfter === undefined || nowSeconds < l.notAfter))
    .map((l) => l.kid);
  return { views, ...(signingKid ? { signingKid } : {}), listedPending, due, unheld };
}

/** The key file's facts, as assessOwnKeys takes them. */
export function keyInfoOf(file: KeyFile): StoredKeyInfo[] {
  return file.keys.map((k) => ({
    use: k.use,
    kid: k.kid,
    jwk: k.publicJwk,
    createdAt: k.createdAt,
    ...(k.retiredAt !== undefined ? { retiredAt: k.retiredAt } : {}),
    pending: k.pending === true,
  }));
}

/**
 * Applies an assessment to a fresh copy of the key file: clears the pending flag of listed keys, marks
 * due keys retired and destroys their private half, and drops the rotation record once none of its
 * keys is pending. Never retires the last key of a use that is neither pending nor retired (the file
 * would no longer load); that case is reported in `kept`. Returns what changed.
 */
export function applyAssessment(
  file: KeyFile,
  a: Pick<OwnKeyAssessment, "due" | "listedPending">,
  nowMs: number,
): { retired: string[]; activated: string[]; kept: string[]; rotationDone: boolean } {
  const retired: string[] = [];
  const activated: string[] = [];
  const kept: string[] = [];
  for (const k of file.keys) {
    if (a.listedPending.includes(k.kid) && k.pending) {
      delete k.pending;
      activated.push(k.kid);
    }
  }
  for (const k of file.keys) {
    if (!a.due.includes(k.kid) || k.retiredAt !== undefined) continue;
    const others = file.keys.filter(
      (o) => o.use === k.use && o.kid !== k.kid && o.retiredAt === undefined && o.pending !== true,
    );
    if (k.pending !== true && others.length === 0) {
      kept.push(k.kid);
      continue;
    }
    k.retiredAt = nowMs;
    delete k.privateJwk;
    delete k.pending;
    retired.push(k.kid);
  }
  let rotationDone = false;
  const r = file.rotation;
  if (r) {
    const stillPending = file.keys.some(
      (k) => (k.kid === r.sigKid || k.kid === r.encKid) && k.pending === true && k.retiredAt === undefined,
    );
    if (!stillPending) {
      delete file.rotation;
      rotationDone = true;
    }
  }
  return { retired, activated, kept, rotationDone };
}

export interface OwnKeysDeps {
  orgId: string;
  store: KeyStore;
  trust: TrustState & {
    refresh?(): Promise<boolean>;
    onChange?(fn: (list: TrustList) => void): () => void;
  };
  clock: { now(): number };
  logger: Logger;
}

export interface MaintenanceResult {
  retired: string[];
  activated: string[];
}

/** The node's own keys as the trust list in force makes them usable. Built once per node (context.ts). */
export class OwnKeys {
  #chain: Promise<unknown> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;
  #unsubscribe: (() => void) | undefined;
  readonly #warned = new Set<string>();

  constructor(private readonly deps: OwnKeysDeps) {
    // A new list may list the pending keys, or end old ones: act on it at once.
    this.#unsubscribe = deps.trust.onChange?.(() => {
      void this.maintain().catch(() => undefined);
    });
  }

  get store(): KeyStore {
    return this.deps.store;
  }

  #nowSeconds(): number {
    return Math.floor(this.deps.clock.now() / 1000);
  }

  /**
   * The key to sign with at `nowSeconds` (docs/protocol.md §2.6 step 3): the newest signing key this
   * node holds that the list in force lists for it and that is valid then. Undefined when there is none.
   */
  signingKey(nowSeconds: number = this.#nowSeconds()): SigningKey | undefined {
    const kid = signingKidInForce(
      this.deps.store.keys(),
      this.deps.trust.current(),
      this.deps.orgId,
      nowSeconds,
    );
    return kid === undefined ? undefined : this.deps.store.signingKeyByKid(kid);
  }

  /**
   * The private key for an envelope's outer `kid` when it is one of this node's encryption keys in
   * force for decryption (docs/protocol.md §2.8 step 2, §1.5); undefined otherwise.
   */
  async decryptionKey(kid: string): Promise<CryptoKey | undefined> {
    const { store, trust, orgId } = this.deps;
    let listing = listingOf(trust.current(), orgId, { kid, use: "enc" });
    if (!listing) {
      // One of our own keys the list does not name: the sender may already hold the list that does (a
      // rotation just published). Fetch it once, as for an unknown signer (docs/protocol.md §2.8 step 4).
      if (!trust.refresh) return undefined;
      const holds = () =>
        store.keys().some((k) => k.kid === kid && k.use === "enc" && k.retiredAt === undefined);
      // Keys `refnet keys rotate` added since this node read its file are only on disk (a stat tells).
      if (!holds()) await this.#reload();
      if (!holds()) return undefined;
      await trust.refresh();
      listing = listingOf(trust.current(), orgId, { kid, use: "enc" });
      if (!listing) return undefined;
    }
    if (!inForceForDecryption(listing, this.#nowSeconds())) return undefined;
    const key = await store.decryptionKey(kid);
    if (key) return key;
    // Listed for us but not in memory: `refnet keys rotate` added it after this node read its key file.
    // The kid comes from the list, not from the envelope, so this cannot be driven by a stranger.
    await this.#reload();
    return store.decryptionKey(kid);
  }

  async #reload(): Promise<void> {
    try {
      await this.deps.store.reloadIfChanged();
    } catch (err) {
      this.deps.logger.error({ err: err instanceof Error ? err.name : "unknown" }, "key file reload failed");
    }
  }

  /** Every key of the node with its state under the list in force (reads the file again if it changed). */
  async views(): Promise<OwnKeyView[]> {
    await this.#reload();
    return assessOwnKeys(
      this.deps.store.keys(),
      this.deps.trust.current(),
      this.deps.orgId,
      this.#nowSeconds(),
    ).views;
  }

  /** The rotation this node requested, while the list in force does not list both its new keys. */
  async pendingRotation(): Promise<KeyRotationRecord | undefined> {
    await this.#reload();
    const r = this.deps.store.rotation();
    if (!r) return undefined;
    const list = this.deps.trust.current();
    const listed =
      listingOf(list, this.deps.orgId, { kid: r.sigKid, use: "sig" }) &&
      listingOf(list, this.deps.orgId, { kid: r.encKid, use: "enc" });
    return listed ? undefined : r;
  }

  /**
   * Brings the key file in line with the list in force: clears the pending flag of keys it now lists,
   * and marks retired (destroying the private half) keys of no further use. Runs after every accepted
   * list, on a timer, and at start. Serialised; safe to call at any time.
   */
  maintain(): Promise<MaintenanceResult> {
    const next = this.#chain.then(() => this.#maintainOnce());
    this.#chain = next.catch(() => undefined);
    return next;
  }

  async #maintainOnce(): Promise<MaintenanceResult> {
    const { store, trust, orgId, logger } = this.deps;
    await this.#reload();
    const list = trust.current();
    const nowS = this.#nowSeconds();
    const a = assessOwnKeys(store.keys(), list, orgId, nowS);
    for (const kid of a.unheld) {
      if (this.#warned.has(kid)) continue;
      this.#warned.add(kid);
      // Senders will use it, and this node cannot: the admins listed a key the partner did not make here.
      logger.error(
        { kid, trustVersion: list.version },
        "the trust list lists a key for this organization that this node does not hold",
      );
    }
    const result: MaintenanceResult = { retired: [], activated: [] };
    // A rotation record whose keys are all listed (or gone) is dropped; one still waiting for the
    // admins is left alone without touching the file.
    const r = store.rotation();
    const settled =
      r !== undefined &&
      !store
        .keys()
        .some(
          (k) =>
            (k.kid === r.sigKid || k.kid === r.encKid) &&
            k.pending &&
            k.retiredAt === undefined &&
            !a.listedPending.includes(k.kid),
        );
    if (a.due.length === 0 && a.listedPending.length === 0 && !settled) return result;
    let kept: string[] = [];
    let rotationDone = false;
    await store.update((file) => {
      // Judged again on the copy just read: another process may have changed the file meanwhile.
      const fresh = assessOwnKeys(keyInfoOf(file), list, orgId, nowS);
      const changed = applyAssessment(file, fresh, this.deps.clock.now());
      result.retired = changed.retired;
      result.activated = changed.activated;
      kept = changed.kept;
      rotationDone = changed.rotationDone;
      return changed.retired.length > 0 || changed.activated.length > 0 || changed.rotationDone;
    });
    for (const kid of result.activated) logger.info({ kid }, "key listed by the trust list: now in use");
    for (const kid of result.retired) logger.info({ kid }, "key retired; its private half destroyed");
    if (rotationDone) logger.info({ trustVersion: list.version }, "key rotation request settled");
    for (const kid of kept)
      if (!this.#warned.has(`kept:${kid}`)) {
        this.#warned.add(`kept:${kid}`);
        logger.error({ kid }, "a key has ended but no other key of its use is held: kept, ask the admins");
      }
    return result;
  }

  /** Runs maintain() now and then every `intervalMs`. */
  start(intervalMs: number): void {
    this.stopTimer();
    const tick = () => {
      void this.maintain()
        .catch((err: unknown) => {
          this.deps.logger.warn(
            { err: err instanceof Error ? err.name : "unknown" },
            "key maintenance failed",
          );
        })
        .finally(() => {
          if (this.#timer !== undefined) this.#timer = setTimeout(tick, intervalMs);
        });
    };
    this.#timer = setTimeout(tick, 0);
  }

  stopTimer(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Stops the timer and the list subscription, and waits for a pass in progress. */
  async stop(): Promise<void> {
    this.stopTimer();
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    await this.#chain;
  }
}
