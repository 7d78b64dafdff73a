// `refnet audit …`: checks a node's audit trail offline, on the node's own database (the same REFNET_*
// configuration as the node), without changing anything in it: no migration runs, no row is written.
// docs/audit.md says what the check proves and what it does not.
import { existsSync } from "node:fs";
import {
  type AuditVerification,
  type Config,
  loadAuditKeys,
  loadConfig,
  openDatabase,
  openKeyFileForAudit,
  verifyAuditTrail,
} from "@refnet/node";
import { parseCommand, readText } from "./args.ts";
import type { Io } from "./cli.ts";
import { CliError, UsageError } from "./errors.ts";
import { EXIT } from "./exit.ts";

export const AUDIT_USAGE = `  audit verify [--org <id>] [--network <id>] [--data-dir <dir>] [--database-url <url>]
        [--anchor <checkpoint.jws>]... [--json]
      Checks the node's audit trail (docs/audit.md): every entry's hash and its link to the one before,
      the head, and every signed checkpoint (signature under this node's keys, from its key file and
      its stored trust list, and the chain's hash at that seq). --anchor gives a checkpoint kept off
      the node (printed by an earlier run), so that a cut tail shows even with its checkpoints gone.
      Exit 0 when intact; 1, naming the first bad entry and what is wrong, when not.
`;

const OPTIONS = {
  org: { type: "string" },
  network: { type: "string" },
  "data-dir": { type: "string" },
  "database-url": { type: "string" },
  anchor: { type: "string", multiple: true },
  json: { type: "boolean" },
} as const;

export async function audit(args: string[], io: Io): Promise<number> {
  const [sub, ...rest] = args;
  switch (sub) {
    case "verify":
      return verify(rest, io);
    default:
      throw new UsageError(
        sub === undefined ? "audit needs a subcommand" : `unknown audit subcommand: ${sub}`,
      );
  }
}

async function verify(args: string[], io: Io): Promise<number> {
  const { values: v } = parseCommand(args, OPTIONS);
  const env: NodeJS.ProcessEnv = { ...io.env };
  if (v.org !== undefined) env.REFNET_ORG_ID = v.org;
  if (v.network !== undefined) env.REFNET_NETWORK = v.network;
  if (v["data-dir"] !== undefined) env.REFNET_DATA_DIR = v["data-dir"];
  if (v["database-url"] !== undefined) env.REFNET_DATABASE_URL = v["database-url"];
  const cfg = loadConfig(env, io.cwd);

  const anchors: string[] = [];
  for (const file of v.anchor ?? []) {
    const text = await readText(io.cwd, file, "anchor checkpoint");
    const found = text.split(/\s+/).filter((t) => t.length > 0);
    if (found.length === 0) throw new CliError("ERR_INPUT", `${file} holds no checkpoint`);
    anchors.push(...found);
  }

  // Never create a database as a side effect: opening a missing SQLite file would make an empty one.
  if (cfg.database.kind === "sqlite" && !existsSync(cfg.database.path)) {
    throw new CliError(
      "ERR_FILE",
      `no database at ${cfg.database.path}: give the node's data directory (--data-dir, REFNET_DATA_DIR) or --database-url`,
    );
  }
  const opened = openDatabase(cfg);
  try {
    await requireAuditTables(opened.db, cfg);
    const keyStore = await openKeyFileForAudit(cfg);
    const keys = await loadAuditKeys({ orgId: cfg.orgId, keyStore, db: opened.db });
    const result = await verifyAuditTrail(opened.db, {
      network: cfg.network,
      orgId: cfg.orgId,
      keys,
      anchors,
    });
    if (v.json) io.out(`${JSON.stringify(result, null, 2)}\n`);
    else report(result, io);
    return result.ok ? EXIT.ok : EXIT.failed;
  } finally {
    await opened.close();
  }
}

/** Whether the database answers and holds the trail, with a message that says which is wrong. */
async function requireAuditTables(db: ReturnType<typeof openDatabase>["db"], cfg: Config): Promise<void> {
  try {
    await db.selectFrom("audit_head").select("seq").limit(1).execute();
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (/no such table|does not exist/i.test(message) && !/database .* does not exist/i.test(message)) {
      throw new CliError(
        "ERR_DATABASE",
        "the database holds no audit trail: it was made by a node older than the trail (migration 004); start the node once to add it",
      );
    }
    const where = cfg.database.kind === "sqlite" ? cfg.database.path : "the PostgreSQL database";
    // The driver's message names the host, the database or the reason, never the password.
    throw new CliError("ERR_DATABASE", `cannot read ${where}: ${message}`);
  }
}

function report(r: AuditVerification, io: Io): void {
  const lines: string[] = [];
  const verified = `${r.checkpointsVerified} of ${r.checkpoints} checkpoint${r.checkpoints === 1 ? "" : "s"} verified`;
  lines.push(
    `${r.ok ? "audit trail intact" : "audit trail NOT intact"}: ${r.entries} entr${r.entries === 1 ? "y" : "ies"}, ${verified}`,
  );
  lines.push(r.head ? `head: seq ${r.head.seq}, hash ${r.head.hash}` : "head: none (the trail is empty)");
  lines.push(`keys: ${r.keySources.length > 0 ? r.keySources.join(", ") : "none found"}`);
  const c = r.latestCheckpoint;
  if (c) {
    lines.push(
      `latest checkpoint: seq ${c.seq} at ${new Date(c.at).toISOString()}, key ${c.kid} (${c.source})`,
    );
    lines.push("keep a copy of it off this node, and give it to --anchor next time:");
    lines.push(c.jws);
  }
  for (const p of r.problems) lines.push(`problem: entry ${p.seq}: ${p.kind}: ${p.detail}`);
  if (r.problemCount > r.problems.length)
    lines.push(`… and ${r.problemCount - r.problems.length} more problems`);
  io.out(`${lines.join("\n")}\n`);
  for (const n of r.notes) io.err(`refnet: note: ${n}\n`);
  const first = r.problems[0];
  if (first)
    io.err(
      `refnet: the audit trail is NOT intact: first bad entry ${first.seq} (${first.kind}): ${first.detail}\n`,
    );
}
