// The staff side of the `refnet` command: init (the node's keys) and staff accounts. It reads the same
// REFNET_* configuration as the node, so it always works on the node's own key file and database.
import { existsSync } from "node:fs";
import { parseArgs } from "node:util";
import {
  AppError,
  type Config,
  ConfigError,
  createStaff,
  disableStaff,
  KeyStore,
  listStaff,
  loadConfig,
  migrateToLatest,
  openDatabase,
  openOrCreateKek,
  ROLES,
  type Role,
} from "@refnet/node";
import { KeyRotationError, TrustChangeError, TrustKeyError, TrustListError } from "@refnet/trust";
import { ADMIN_USAGE, admin } from "./admin.ts";
import { AUDIT_USAGE, audit } from "./audit-cmd.ts";
import { CliError, UsageError } from "./errors.ts";
import { EXIT } from "./exit.ts";
import { KEK_USAGE, kek } from "./kek-cmd.ts";
import { KEYS_USAGE, keys } from "./keys-cmd.ts";
import { TRUST_USAGE, trust } from "./trust-cmd.ts";
import type { Prompt } from "./tty.ts";

export { EXIT };

export interface Io {
  env: NodeJS.ProcessEnv;
  cwd: string;
  out(text: string): void;
  err(text: string): void;
  /** Asks on the terminal (prompt on stderr); main.ts sets it only when stdin is a TTY. */
  prompt?: Prompt;
  /** The clock, in seconds; tests fix it. Default: Date.now. */
  now?: () => number;
  /**
   * TEST ONLY: PBES2 iteration count for new admin key files, so that tests run fast. main.ts never
   * sets it, and no flag or variable reaches it: real keys always get MIN_PBES2_ITERATIONS.
   */
  testPbes2Iterations?: number;
}

export const USAGE = `Usage: refnet <command> [options]

  init --org <id> --network <id> [--data-dir <dir>]
      Creates this node's key pair file (REFNET_KEYS_FILE, default <data dir>/keys.json, mode 0600)
      and prints the PUBLIC keys, as JSON, for the network admins to put in the trust list.

  staff create --username <name> --role <caseworker|supervisor|admin|auditor> [--display-name <text>]
      Creates a staff account and prints its bearer token. The token is shown only this once.
      An auditor reads the audit trail and nothing about people (docs/audit.md).
  staff list
      Lists staff accounts (never their tokens).
  staff disable --username <name>
      Disables an account; its token stops working at once.

The node's own keys (on the node's machine; see docs/admin-guide.md §4):

${KEYS_USAGE}
The node's key-encryption key (on the node's machine, node stopped; see docs/data-at-rest.md):

${KEK_USAGE}
The node's audit trail (see docs/audit.md):

${AUDIT_USAGE}
Network admins (offline; see docs/admin-guide.md):

${ADMIN_USAGE}
${TRUST_USAGE}
Configuration comes from the REFNET_* variables the node uses (REFNET_ORG_ID, REFNET_NETWORK,
REFNET_DATA_DIR, REFNET_DATABASE_URL, REFNET_KEYS_FILE, ...).
`;

export async function run(argv: string[], io: Io): Promise<number> {
  try {
    const [command, ...rest] = argv;
    switch (command) {
      case "init":
        return await init(rest, io);
      case "staff":
        return await staff(rest, io);
      case "keys":
        return await keys(rest, io);
      case "kek":
        return await kek(rest, io);
      case "audit":
        return await audit(rest, io);
      case "admin":
        return await admin(rest, io);
      case "trust":
        return await trust(rest, io);
      case undefined:
      case "help":
      case "--help":
      case "-h":
        io.out(USAGE);
        return command === undefined ? EXIT.usage : EXIT.ok;
      default:
        throw new UsageError(`unknown command: ${command}`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`refnet: ${err.message}\n\n${USAGE}`);
      return EXIT.usage;
    }
    if (err instanceof ConfigError) {
      io.err(`refnet: ${err.message}\n`);
      return EXIT.config;
    }
    if (
      err instanceof CliError ||
      err instanceof TrustListError ||
      err instanceof TrustKeyError ||
      err instanceof TrustChangeError ||
      err instanceof KeyRotationError
    ) {
      io.err(`refnet: ${err.message} [${err.code}]\n`);
      return EXIT.failed;
    }
    if (err instanceof AppError) {
      io.err(`refnet: ${err.message}\n`);
      return EXIT.failed;
    }
    if (err instanceof Error && "code" in err && err.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
      io.err(`refnet: ${err.message}\n\n${USAGE}`);
      return EXIT.usage;
    }
    if (err instanceof TypeError && "code" in err && String(err.code).startsWith("ERR_PARSE_ARGS")) {
      io.err(`refnet: ${err.message}\n\n${USAGE}`);
      return EXIT.usage;
    }
    io.err(`refnet: ${err instanceof Error ? err.message : String(err)}\n`);
    return EXIT.failed;
  }
}

function parse<T extends Record<string, { type: "string" | "boolean" }>>(args: string[], options: T) {
  return parseArgs({ args, options, strict: true, allowPositionals: false }).values as {
    [K in keyof T]?: T[K]["type"] extends "string" ? string : boolean;
  };
}

function required(value: string | undefined, flag: string): string {
  if (value === undefined || value.trim() === "") throw new UsageError(`${flag} is required`);
  return value;
}

function config(io: Io, extra: Record<string, string | undefined> = {}): Config {
  const env: NodeJS.ProcessEnv = { ...io.env };
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) env[k] = v;
  return loadConfig(env, io.cwd);
}

async function init(args: string[], io: Io): Promise<number> {
  const v = parse(args, {
    org: { type: "string" },
    network: { type: "string" },
    "data-dir": { type: "string" },
  });
  const org = required(v.org ?? io.env.REFNET_ORG_ID, "--org");
  const network = required(v.network ?? io.env.REFNET_NETWORK, "--network");
  const cfg = config(io, { REFNET_ORG_ID: org, REFNET_NETWORK: network, REFNET_DATA_DIR: v["data-dir"] });
  // Checked before a KEK is made: a new KEK beside an existing key file would open nothing.
  if (existsSync(cfg.keysFile)) {
    throw new CliError(
      "ERR_FILE_EXISTS",
      `A key file already exists at ${cfg.keysFile}; refusing to replace it.`,
    );
  }
  // The key-encryption key (docs/data-at-rest.md): REFNET_KEK or REFNET_KEK_FILE when given, else a new
  // file beside the key file. It encrypts the key file written next.
  const kek = await openOrCreateKek(cfg.kek);
  const keys = await KeyStore.create(cfg.keysFile, cfg.orgId, kek.key);
  const nowS = Math.floor(Date.now() / 1000);
  // Only public halves: this is what goes to the admins (and into the trust list, docs/protocol.md §6).
  const out = {
    orgId: cfg.orgId,
    network: cfg.network,
    keys: keys.publicJwks().map((k) => ({ use: k.use, kid: k.kid, jwk: k.jwk, notBefore: nowS })),
  };
  io.out(`${JSON.stringify(out, null, 2)}\n`);
  io.err(
    `refnet: keys written to ${cfg.keysFile} (mode 0600, encrypted under the KEK). Send the JSON above (public keys only) to your network admins.\n`,
  );
  if (kek.created && cfg.kek.source === "file") {
    io.err(
      `refnet: key-encryption key (KEK) written to ${cfg.kek.path} (mode 0600). Without it the node cannot open its keys or anyone's data: ` +
        "keep a copy somewhere safe, and keep it out of the data directory's backups (docs/data-at-rest.md).\n",
    );
  }
  return EXIT.ok;
}

async function staff(args: string[], io: Io): Promise<number> {
  const [sub, ...rest] = args;
  switch (sub) {
    case "create": {
      const v = parse(rest, {
        username: { type: "string" },
        role: { type: "string" },
        "display-name": { type: "string" },
      });
      const username = required(v.username, "--username");
      const role = required(v.role, "--role");
      if (!(ROLES as readonly string[]).includes(role)) {
        throw new UsageError(`--role must be one of ${ROLES.join(", ")}`);
      }
      return withDb(io, async (db) => {
        const { staff: s, token } = await createStaff(db, {
          username,
          role: role as Role,
          displayName: v["display-name"] ?? null,
        });
        io.out(`${token}\n`);
        io.err(
          `refnet: created ${s.role} ${s.username}. The token above is shown only once: hand it over safely.\n`,
        );
        return EXIT.ok;
      });
    }
    case "list": {
      parse(rest, {});
      return withDb(io, async (db) => {
        const all = await listStaff(db);
        const rows = all.map((s) => [
          s.username,
          s.role,
          s.disabled ? "disabled" : "active",
          s.displayName ?? "",
        ]);
        io.out(table([["USERNAME", "ROLE", "STATUS", "DISPLAY NAME"], ...rows]));
        return EXIT.ok;
      });
    }
    case "disable": {
      const v = parse(rest, { username: { type: "string" } });
      const username = required(v.username, "--username");
      return withDb(io, async (db) => {
        await disableStaff(db, username);
        io.err(`refnet: disabled ${username}; its token no longer works.\n`);
        return EXIT.ok;
      });
    }
    default:
      throw new UsageError(
        sub === undefined ? "staff needs a subcommand" : `unknown staff subcommand: ${sub}`,
      );
  }
}

async function withDb(
  io: Io,
  fn: (db: ReturnType<typeof openDatabase>["db"]) => Promise<number>,
): Promise<number> {
  const opened = openDatabase(config(io));
  try {
    await migrateToLatest(opened.db);
    return await fn(opened.db);
  } finally {
    await opened.close();
  }
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return `${rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]!))
        .join("  ")
        .trimEnd(),
    )
    .join("\n")}\n`;
}
