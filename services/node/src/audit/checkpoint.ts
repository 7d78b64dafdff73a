// Signed checkpoints of the audit trail (docs/audit.md): the node signs where the chain stood — its
// network, its org id, the seq and hash of the last entry, and when — as a compact JWS with its Ed25519
// signing key. Someone who can write the database but does not hold that key can redo every hash of
// the chain, but cannot sign a checkpoint for the result: an edit, or a truncation, below the latest
// checkpoint shows. Keys come from the node's key file and the trust list (keys.ts), never from the
// JWS itself (the header is exactly alg, kid, typ, as for every JWS of docs/protocol.md §1.4).
import type { SigningKey } from "@refnet/protocol";
import { CompactSign, compactVerify, decodeProtectedHeader } from "jose";
import type { AuditKeySet } from "./keys.ts";

export const CHECKPOINT_TYP = "refnet-audit-checkpoint+jws";
const ALG = "EdDSA";

/** What a checkpoint signs. `at` in milliseconds, like every time of the trail. */
export interface CheckpointPayload {
  network: string;
  orgId: string;
  seq: number;
  hash: string;
  at: number;
}

export async function signCheckpoint(payload: CheckpointPayload, signer: SigningKey): Promise<string> {
  // Members in a fixed order: the same checkpoint always yields the same JWS (Ed25519 is deterministic).
  const body: CheckpointPayload = {
    network: payload.network,
    orgId: payload.orgId,
    seq: payload.seq,
    hash: payload.hash,
    at: payload.at,
  };
  return new CompactSign(new TextEncoder().encode(JSON.stringify(body)))
    .setProtectedHeader({ alg: ALG, kid: signer.kid, typ: CHECKPOINT_TYP })
    .sign(signer.key);
}

export type CheckpointCheck =
  | { ok: true; payload: CheckpointPayload; kid: string; source: string }
  | { ok: false; reason: string; kid?: string };

const HEX64 = /^[0-9a-f]{64}$/;

/**
 * Verifies a checkpoint JWS: the header, a key of `keys` by its kid, the signature, and a payload of
 * the right shape for `expect` (this node's network and org). Never throws; the reason says what failed.
 */
export async function verifyCheckpoint(
  jws: string,
  keys: AuditKeySet,
  expect: { network: string; orgId: string },
): Promise<CheckpointCheck> {
  let header: Record<string, unknown>;
  try {
    header = decodeProtectedHeader(jws) as Record<string, unknown>;
  } catch {
    return { ok: false, reason: "not a compact JWS" };
  }
  const members = Object.keys(header).sort().join(",");
  if (members !== "alg,kid,typ" || header.alg !== ALG || header.typ !== CHECKPOINT_TYP) {
    return { ok: false, reason: `the header must be exactly { alg: ${ALG}, kid, typ: ${CHECKPOINT_TYP} }` };
  }
  const kid = typeof header.kid === "string" ? header.kid : "";
  const key = keys.get(kid);
  if (!key) {
    return {
      ok: false,
      kid,
      reason:
        keys.size === 0
          ? "none of this node's public keys could be read to check it (the key file, the stored trust list)"
          : `signed with key ${kid}, which is not one of this node's keys`,
    };
  }
  let raw: Uint8Array;
  try {
    ({ payload: raw } = await compactVerify(jws, key.key, { algorithms: [ALG] }));
  } catch {
    return { ok: false, kid, reason: `the signature does not verify under key ${kid}` };
  }
  let p: unknown;
  try {
    p = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(raw));
  } catch {
    return { ok: false, kid, reason: "the signed payload is not JSON" };
  }
  const o = p as Partial<CheckpointPayload> | null;
  if (
    !o ||
    typeof o !== "object" ||
    Object.keys(o).sort().join(",") !== "at,hash,network,orgId,seq" ||
    typeof o.network !== "string" ||
    typeof o.orgId !== "string" ||
    !Number.isSafeInteger(o.seq) ||
    (o.seq as number) < 1 ||
    typeof o.hash !== "string" ||
    !HEX64.test(o.hash) ||
    !Number.isSafeInteger(o.at)
  ) {
    return { ok: false, kid, reason: "the signed payload is not a checkpoint" };
  }
  if (o.network !== expect.network || o.orgId !== expect.orgId) {
    return {
      ok: false,
      kid,
      reason: `signed for ${o.orgId} in network ${o.network}, not ${expect.orgId} in ${expect.network}`,
    };
  }
  return { ok: true, payload: o as CheckpointPayload, kid, source: key.source };
}
