// Verification of a node's audit trail (docs/audit.md), used by `refnet audit verify` (offline, on the
// node's database) and by the GraphQL `auditVerification` query. It walks the whole chain in seq order
// and checks: every seq from 1 present; every entry's hash over its own columns; every entry linked to
// the one before (entry 1 to the genesis value); the head row against the last entry; every checkpoint's
// signature under one of this node's public keys, for this network and org; and that the chain reaches
// each checkpoint's seq with the hash signed there. It never throws for what it finds: each finding is
// a problem naming the first entry concerned.
import type { Kysely, Selectable } from "kysely";
import type { AuditLogTable, Database } from "../db/schema.ts";
import { verifyCheckpoint } from "./checkpoint.ts";
import { entryHash, GENESIS_HASH } from "./entry.ts";
import type { AuditKeys } from "./keys.ts";

export const AUDIT_PROBLEM_KINDS = [
  /** The entry's columns do not match its hash: it was edited. */
  "changed",
  /** Entries are absent from the sequence: they were deleted. */
  "missing",
  /** The entry's hash is right for another seq: rows were reordered or renumbered. */
  "reordered",
  /** The entry is intact but does not link to the one before: that one was edited and re-hashed. */
  "broken-link",
  /** The chain ends before the head row or a signed checkpoint says it reached: the tail was cut. */
  "truncated",
  /** A checkpoint's signature, key, header or payload is not valid. */
  "checkpoint-signature",
  /** The chain's hash at a checkpoint's seq differs from the hash signed there: the chain was rewritten. */
  "checkpoint-mismatch",
  /** The head row disagrees with the chain (or is gone). */
  "head-mismatch",
] as const;
export type AuditProblemKind = (typeof AUDIT_PROBLEM_KINDS)[number];

export interface AuditProblem {
  /** The first entry concerned. */
  seq: number;
  kind: AuditProblemKind;
  /** Names seqs, hashes and keys; never an entry's content. */
  detail: string;
}

export interface VerifiedCheckpoint {
  seq: number;
  hash: string;
  at: number;
  kid: string;
  /** Which key source verified it ("key file", "trust list v3"). */
  source: string;
  jws: string;
}

export interface AuditVerification {
  ok: boolean;
  /** Entries read. */
  entries: number;
  /** Checkpoints stored. */
  checkpoints: number;
  /** Of which verified (signature and chain). */
  checkpointsVerified: number;
  /** The last entry walked, or null for an empty trail. */
  head: { seq: number; hash: string } | null;
  /** The latest checkpoint whose signature verified and whose hash the chain reaches. */
  latestCheckpoint: VerifiedCheckpoint | null;
  /** Where the public keys came from; empty when none was found. */
  keySources: string[];
  /** About the key sources (absent key file, …); not problems of the trail. */
  notes: string[];
  /** Sorted by seq, at most `maxProblems`. */
  problems: AuditProblem[];
  /** How many problems were found in all (more than `problems` holds when capped). */
  problemCount: number;
}

export interface VerifyOptions {
  network: string;
  orgId: string;
  keys: AuditKeys;
  /**
   * Checkpoint JWSs kept outside the node (an earlier verification's latest checkpoint): checked like
   * stored ones, so a tail cut together with the checkpoints covering it still shows.
   */
  anchors?: readonly string[];
  /** Default 50. */
  maxProblems?: number;
  /** Rows per query; default 1000. */
  batchSize?: number;
}

/** Problems held in memory while walking; the rest are only counted. */
const KEPT_PROBLEMS = 1000;

/** How far from its place a reordered entry is looked for (its hash is tried under each nearby seq). */
const REORDER_WINDOW = 64;

export async function verifyAuditTrail(
  db: Kysely<Database>,
  opts: VerifyOptions,
): Promise<AuditVerification> {
  const problems: AuditProblem[] = [];
  const max = opts.maxProblems ?? 50;
  // Kept up to a bound, counted beyond it: a trail edited throughout must not fill the memory.
  let unkept = 0;
  const problem = (seq: number, kind: AuditProblemKind, detail: string) => {
    if (problems.length < KEPT_PROBLEMS) problems.push({ seq, kind, detail });
    else unkept++;
  };
  const expect = { network: opts.network, orgId: opts.orgId };

  // What the chain must show at each checkpointed seq: the hash signed there.
  const expected = new Map<number, { hash: string; what: string }>();
  const valid: VerifiedCheckpoint[] = [];
  const stored = await db.selectFrom("audit_checkpoint").selectAll().orderBy("seq").execute();
  const storedSeqs = new Set<number>();
  for (const row of stored) {
    const seq = Number(row.seq);
    storedSeqs.add(seq);
    const v = await verifyCheckpoint(row.jws, opts.keys.keys, expect);
    if (!v.ok) {
      problem(seq, "checkpoint-signature", `the checkpoint at seq ${seq} does not verify: ${v.reason}`);
      continue;
    }
    if (v.payload.seq !== seq || v.payload.hash !== row.hash) {
      // The signed payload is what counts; the columns beside it were edited.
      problem(
        Math.min(seq, v.payload.seq),
        "checkpoint-signature",
        `the checkpoint stored at seq ${seq} signs seq ${v.payload.seq}: its columns were edited`,
      );
    }
    expected.set(v.payload.seq, {
      hash: v.payload.hash,
      what: `the signed checkpoint at seq ${v.payload.seq}`,
    });
    valid.push({ ...v.payload, kid: v.kid, source: v.source, jws: row.jws });
  }
  for (const jws of opts.anchors ?? []) {
    const v = await verifyCheckpoint(jws.trim(), opts.keys.keys, expect);
    if (!v.ok) {
      problem(0, "checkpoint-signature", `an anchor checkpoint given does not verify: ${v.reason}`);
      continue;
    }
    const prior = expected.get(v.payload.seq);
    if (prior && prior.hash !== v.payload.hash) {
      // Two valid signatures of this node for different hashes at one seq: the chain was rebuilt and
      // re-signed with the node's own key (docs/audit.md: what checkpoints do not prove).
      problem(
        v.payload.seq,
        "checkpoint-mismatch",
        `the anchor for seq ${v.payload.seq} signs another hash than the checkpoint stored there`,
      );
    }
    if (!storedSeqs.has(v.payload.seq)) {
      problem(
        v.payload.seq,
        "truncated",
        `the anchor checkpoint at seq ${v.payload.seq} is not among the stored checkpoints: they were deleted`,
      );
    }
    if (!prior)
      expected.set(v.payload.seq, {
        hash: v.payload.hash,
        what: `the anchor checkpoint at seq ${v.payload.seq}`,
      });
  }

  const head = await db
    .selectFrom("audit_head")
    .select(["seq", "hash"])
    .where("id", "=", 1)
    .executeTakeFirst();

  // The chain, in seq order, a batch at a time.
  const hashAt = new Map<number, string>();
  const reached = new Set<number>();
  let entries = 0;
  let expectSeq = 1;
  let prev = GENESIS_HASH;
  let last: { seq: number; hash: string } | null = null;
  const batch = opts.batchSize ?? 1000;
  let after = 0;
  for (;;) {
    const rows = await db
      .selectFrom("audit_log")
      .selectAll()
      .where("seq", ">", after)
      .orderBy("seq")
      .limit(batch)
      .execute();
    for (const raw of rows) {
      const row = { ...raw, seq: Number(raw.seq), at: Number(raw.at) };
      entries++;
      const s = row.seq;
      let linked = true;
      if (s > expectSeq) {
        problem(
          expectSeq,
          "missing",
          s - expectSeq === 1
            ? `entry ${expectSeq} is missing: it was deleted`
            : `entries ${expectSeq} to ${s - 1} are missing: they were deleted`,
        );
        // The gap is the finding; the entry after it is judged on its own.
        linked = false;
      }
      if (entryHash(row) !== row.hash) {
        // Looking for the seq an entry was written as costs up to 128 hashes: only while problems are
        // still reported in full, so that a trail edited throughout is still walked in linear time.
        const moved = problems.length < max ? writtenAs(row) : undefined;
        if (moved !== undefined) {
          problem(
            s,
            "reordered",
            `the entry at seq ${s} was written as seq ${moved}: the rows were reordered`,
          );
        } else {
          problem(s, "changed", `entry ${s} does not match its hash: it was edited`);
        }
      } else if (linked && row.prev_hash !== prev) {
        problem(
          s,
          "broken-link",
          s === 1
            ? "entry 1 does not start from the genesis value"
            : `entry ${s} does not link to entry ${s - 1}: entry ${s - 1} was edited and its hash redone, or entries between them were removed`,
        );
      }
      const exp = expected.get(s);
      if (exp) {
        reached.add(s);
        if (exp.hash !== row.hash) {
          problem(
            s,
            "checkpoint-mismatch",
            `entry ${s} differs from ${exp.what}: the chain up to it was rewritten`,
          );
        }
      }
      hashAt.set(s, row.hash);
      prev = row.hash;
      last = { seq: s, hash: row.hash };
      expectSeq = s + 1;
      after = s;
    }
    if (rows.length < batch) break;
    // Only checkpointed seqs need their hash later; drop the rest so memory stays flat.
    for (const k of hashAt.keys()) if (!expected.has(k)) hashAt.delete(k);
  }

  const lastSeq = last?.seq ?? 0;
  for (const [seq, exp] of expected) {
    if (reached.has(seq)) continue;
    if (seq > lastSeq) {
      problem(
        lastSeq + 1,
        "truncated",
        `the log ends at seq ${lastSeq} but ${exp.what} covers entry ${seq}: the entries after ${lastSeq} were removed`,
      );
    } else {
      problem(seq, "missing", `entry ${seq}, which ${exp.what} covers, is missing`);
    }
  }
  if (!head) {
    problem(lastSeq + 1, "head-mismatch", "the head row of the trail is missing");
  } else {
    const headSeq = Number(head.seq);
    if (headSeq > lastSeq) {
      problem(
        lastSeq + 1,
        "truncated",
        `the head records ${headSeq} entries but the log ends at seq ${lastSeq}: the entries after it were removed`,
      );
    } else if (headSeq < lastSeq) {
      problem(headSeq + 1, "head-mismatch", `entries after seq ${headSeq} were added outside the trail`);
    } else if (head.hash !== (last?.hash ?? GENESIS_HASH)) {
      problem(lastSeq, "head-mismatch", `the head's hash differs from entry ${lastSeq}'s`);
    }
  }

  problems.sort((a, b) => a.seq - b.seq);
  const reachedValid = valid.filter((c) => reached.has(c.seq) && hashAt.get(c.seq) === c.hash);
  return {
    ok: problems.length === 0,
    entries,
    checkpoints: stored.length,
    checkpointsVerified: reachedValid.length,
    head: last,
    latestCheckpoint: reachedValid.at(-1) ?? null,
    keySources: opts.keys.sources,
    notes: opts.keys.notes,
    problems: problems.slice(0, max),
    problemCount: problems.length + unkept,
  };
}

/** The seq under which the row's own hash is right, if it is another seq near its place. */
function writtenAs(row: Selectable<AuditLogTable>): number | undefined {
  const s = Number(row.seq);
  for (let d = 1; d <= REORDER_WINDOW; d++) {
    for (const cand of [s - d, s + d]) {
      if (cand >= 1 && entryHash({ ...row, seq: cand, at: Number(row.at) }) === row.hash) return cand;
    }
  }
  return undefined;
}
