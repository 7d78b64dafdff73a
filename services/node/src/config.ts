// Every REFNET_* variable, read here and nowhere else, validated once at start. A mistake stops the
// node with a message that names the variable (and never echoes a secret's value).
import { isAbsolute, join, resolve } from "node:path";
import { ID_PATTERN } from "@refnet/protocol/types";
import { z } from "zod";
import { ConfigError } from "./errors.ts";
import { defaultKekFile, KEK_PATTERN, type KekSource, KeyEncryptionKey } from "./kek.ts";

export type LogLevel = "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";

export type DatabaseConfig = { kind: "sqlite"; path: string } | { kind: "postgres"; url: string };

export interface Config {
  orgId: string;
  network: string;
  /** Absolute. */
  dataDir: string;
  database: DatabaseConfig;
  http: { host: string; port: number };
  nats: { url: string; user?: string; password?: string; token?: string; jsDomain?: string };
  /** Absolute. */
  keysFile: string;
  trust: { genesisPath?: string; genesisSha256?: string };
  logLevel: LogLevel;
  graphql: { graphiql: boolean; maxDepth: number; maxCost: number };
  /** Bearer token a scraper must present at /metrics; open when absent. */
  metricsToken?: string;
  /**
   * After a revocation, how long a recipient has to answer `consent.erased` before the origin shows it
   * as overdue (docs/consent.md). Milliseconds, from REFNET_ERASURE_DEADLINE_HOURS (72 by default).
   */
  erasureDeadlineMs: number;
  production: boolean;
  /** REFNET_* variables set in the environment that this node does not know (likely typos). */
  unknownVariables: string[];
  /** Where the key-encryption key comes from (read at start by kek.ts; never logged). */
  kek: KekSource;
  /** Absolute: the person key vault, which holds every person's wrapped data key (person-vault.ts). */
  vaultFile: string;
  retention: RetentionConfig;
  /** When the node signs a checkpoint of its audit trail (docs/audit.md). */
  audit: { checkpointEveryEntries: number; checkpointEverySeconds: number };
}

/**
 * How long a referral keeps its person's data once it reached a final state, in days from the time
 * it got there; then the retention job purges it (domain/retention.ts, docs/data-at-rest.md).
 */
export interface RetentionConfig {
  days: { completed: number; closed: number; declined: number; withdrawn: number; expired: number };
  /** Refused messages (ciphertext the node's own key still opens, docs/protocol.md §8). */
  quarantineDays: number;
}

export const RETENTION_DEFAULT_DAYS = {
  completed: 365,
  closed: 365,
  declined: 90,
  withdrawn: 90,
  expired: 90,
  quarantine: 30,
} as const;

/** The variables this node reads; anything else with the prefix is reported as unknown. */
export const CONFIG_VARIABLES = [
  "REFNET_ORG_ID",
  "REFNET_NETWORK",
  "REFNET_DATA_DIR",
  "REFNET_DATABASE_URL",
  "REFNET_HTTP_HOST",
  "REFNET_HTTP_PORT",
  "REFNET_NATS_URL",
  "REFNET_NATS_USER",
  "REFNET_NATS_PASSWORD",
  "REFNET_NATS_TOKEN",
  "REFNET_NATS_JS_DOMAIN",
  "REFNET_KEYS_FILE",
  "REFNET_TRUST_GENESIS",
  "REFNET_TRUST_GENESIS_SHA256",
  "REFNET_LOG_LEVEL",
  "REFNET_GRAPHIQL",
  "REFNET_GRAPHQL_MAX_DEPTH",
  "REFNET_GRAPHQL_MAX_COST",
  "REFNET_METRICS_TOKEN",
  "REFNET_ERASURE_DEADLINE_HOURS",
  "REFNET_KEK",
  "REFNET_KEK_FILE",
  "REFNET_VAULT_FILE",
  "REFNET_RETENTION_COMPLETED_DAYS",
  "REFNET_RETENTION_CLOSED_DAYS",
  "REFNET_RETENTION_DECLINED_DAYS",
  "REFNET_RETENTION_WITHDRAWN_DAYS",
  "REFNET_RETENTION_EXPIRED_DAYS",
  "REFNET_RETENTION_QUARANTINE_DAYS",
  "REFNET_AUDIT_CHECKPOINT_ENTRIES",
  "REFNET_AUDIT_CHECKPOINT_SECONDS",
] as const;
type Var = (typeof CONFIG_VARIABLES)[number];

/** Variables whose value is a secret: never repeated in an error message. */
const SECRET_VARIABLES: ReadonlySet<string> = new Set([
  "REFNET_NATS_PASSWORD",
  "REFNET_NATS_TOKEN",
  "REFNET_DATABASE_URL",
  "REFNET_METRICS_TOKEN",
  "REFNET_KEK",
]);

const idString = z.string().regex(ID_PATTERN, "must match ^[a-z0-9][a-z0-9-]{2,62}$");
const boolString = z
  .enum(["true", "false", "1", "0", "yes", "no"], { error: "must be true or false" })
  .transform((v) => v === "true" || v === "1" || v === "yes");
const intString = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, `must be a whole number from ${min} to ${max}`)
    .transform(Number)
    .pipe(z.number().int().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));

const variableSchemas = {
  REFNET_ORG_ID: idString,
  REFNET_NETWORK: idString,
  REFNET_DATA_DIR: z.string().min(1),
  REFNET_DATABASE_URL: z
    .string()
    .refine((v) => /^(sqlite:.+|postgres(ql)?:\/\/.+)$/.test(v), "must be sqlite:<path> or postgres://…"),
  REFNET_HTTP_HOST: z.string().min(1),
  REFNET_HTTP_PORT: intString(0, 65535),
  REFNET_NATS_URL: z
    .string()
    .refine(
      (v) => /^(nats|tls|ws|wss):\/\/[^\s]+$/.test(v),
      "must be a nats://host:port URL (or tls://, ws://, wss://)",
    ),
  REFNET_NATS_USER: z.string().min(1),
  REFNET_NATS_PASSWORD: z.string().min(1),
  REFNET_NATS_TOKEN: z.string().min(1),
  REFNET_NATS_JS_DOMAIN: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, "must be a JetStream domain name (letters, digits, - and _)"),
  REFNET_KEYS_FILE: z.string().min(1),
  REFNET_TRUST_GENESIS: z.string().min(1),
  REFNET_TRUST_GENESIS_SHA256: z
    .string()
    .transform((v) => v.toLowerCase())
    .pipe(z.string().regex(/^[0-9a-f]{64}$/, "must be 64 hex digits (a SHA-256)")),
  REFNET_LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"], {
    error: "must be one of fatal, error, warn, info, debug, trace, silent",
  }),
  REFNET_GRAPHIQL: boolString,
  REFNET_GRAPHQL_MAX_DEPTH: intString(1, 100),
  REFNET_GRAPHQL_MAX_COST: intString(1, 10_000_000),
  REFNET_METRICS_TOKEN: z.string().min(16, "must be at least 16 characters"),
  // A year at most: a revocation nobody has answered by then needs people, not a timer.
  REFNET_ERASURE_DEADLINE_HOURS: intString(1, 8760),
  REFNET_KEK: z
    .string()
    .refine(
      (v) => KEK_PATTERN.test(v) && KeyEncryptionKey.parse(v, "REFNET_KEK") !== undefined,
      "must be 32 random bytes in base64url (43 characters), like the file `refnet init` writes",
    ),
  REFNET_KEK_FILE: z.string().min(1),
  REFNET_VAULT_FILE: z.string().min(1),
  REFNET_RETENTION_COMPLETED_DAYS: intString(1, 36_500),
  REFNET_RETENTION_CLOSED_DAYS: intString(1, 36_500),
  REFNET_RETENTION_DECLINED_DAYS: intString(1, 36_500),
  REFNET_RETENTION_WITHDRAWN_DAYS: intString(1, 36_500),
  REFNET_RETENTION_EXPIRED_DAYS: intString(1, 36_500),
  REFNET_RETENTION_QUARANTINE_DAYS: intString(1, 36_500),
  REFNET_AUDIT_CHECKPOINT_ENTRIES: intString(1, 1_000_000),
  REFNET_AUDIT_CHECKPOINT_SECONDS: intString(1, 86_400),
} satisfies Record<Var, z.ZodType>;

type Parsed = { [K in Var]?: z.output<(typeof variableSchemas)[K]> };

/** Reads and validates the configuration; throws one ConfigError listing every problem found. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): Config {
  const problems: { variable: string; message: string }[] = [];
  const parsed: Parsed = {};
  for (const name of CONFIG_VARIABLES) {
    const raw = env[name];
    // An empty variable is treated as unset: deployment templates often pass every name through.
    if (raw === undefined || raw.trim() === "") continue;
    const res = variableSchemas[name].safeParse(raw.trim());
    if (res.success) {
      (parsed as Record<string, unknown>)[name] = res.data;
    } else {
      const reason = res.error.issues.map((i) => i.message).join("; ");
      const shown = SECRET_VARIABLES.has(name) ? "" : ` (got "${truncate(raw)}")`;
      problems.push({ variable: name, message: `${reason}${shown}` });
    }
  }

  const require = (name: Var) => {
    if (parsed[name] === undefined && !problems.some((p) => p.variable === name)) {
      problems.push({ variable: name, message: "is required" });
    }
  };
  require("REFNET_ORG_ID");
  require("REFNET_NETWORK");

  // Groups that only make sense whole: a half-set one is a mistake, not a default.
  const both = (a: Var, b: Var) => {
    if ((parsed[a] === undefined) !== (parsed[b] === undefined)) {
      const [set, unset] = parsed[a] === undefined ? [b, a] : [a, b];
      problems.push({ variable: unset, message: `must be set together with ${set}` });
    }
  };
  both("REFNET_NATS_USER", "REFNET_NATS_PASSWORD");
  if (parsed.REFNET_NATS_TOKEN !== undefined && parsed.REFNET_NATS_USER !== undefined) {
    problems.push({
      variable: "REFNET_NATS_TOKEN",
      message:
        "cannot be combined with REFNET_NATS_USER/REFNET_NATS_PASSWORD: choose one way to authenticate",
    });
  }
  if (parsed.REFNET_TRUST_GENESIS_SHA256 !== undefined && parsed.REFNET_TRUST_GENESIS === undefined) {
    problems.push({
      variable: "REFNET_TRUST_GENESIS",
      message: "must be set when REFNET_TRUST_GENESIS_SHA256 is (the digest pins that file)",
    });
  }
  if (parsed.REFNET_KEK !== undefined && parsed.REFNET_KEK_FILE !== undefined) {
    problems.push({
      variable: "REFNET_KEK",
      message: "cannot be combined with REFNET_KEK_FILE: give the key-encryption key one way",
    });
  }

  if (problems.length > 0) {
    const lines = problems.map((p) => `  ${p.variable} ${p.message}`);
    throw new ConfigError(
      `Invalid configuration:\n${lines.join("\n")}`,
      problems.map((p) => p.variable),
    );
  }

  const orgId = parsed.REFNET_ORG_ID!;
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(cwd, p));
  const dataDir = abs(parsed.REFNET_DATA_DIR ?? join(".refnet", orgId));
  const dbUrl = parsed.REFNET_DATABASE_URL;
  const database: DatabaseConfig =
    dbUrl === undefined
      ? { kind: "sqlite", path: join(dataDir, "node.db") }
      : dbUrl.startsWith("sqlite:")
        ? { kind: "sqlite", path: sqlitePath(dbUrl.slice("sqlite:".length), abs) }
        : { kind: "postgres", url: dbUrl };
  const production = env.NODE_ENV === "production";

  const known: ReadonlySet<string> = new Set(CONFIG_VARIABLES);
  const unknownVariables = Object.keys(env)
    .filter((k) => k.startsWith("REFNET_") && !known.has(k) && !k.startsWith("REFNET_TEST_"))
    .sort();

  return {
    orgId,
    network: parsed.REFNET_NETWORK!,
    dataDir,
    database,
    http: { host: parsed.REFNET_HTTP_HOST ?? "127.0.0.1", port: parsed.REFNET_HTTP_PORT ?? 4000 },
    nats: {
      url: parsed.REFNET_NATS_URL ?? "nats://127.0.0.1:4222",
      ...(parsed.REFNET_NATS_USER !== undefined
        ? { user: parsed.REFNET_NATS_USER, password: parsed.REFNET_NATS_PASSWORD }
        : {}),
      ...(parsed.REFNET_NATS_TOKEN !== undefined ? { token: parsed.REFNET_NATS_TOKEN } : {}),
      ...(parsed.REFNET_NATS_JS_DOMAIN !== undefined ? { jsDomain: parsed.REFNET_NATS_JS_DOMAIN } : {}),
    },
    keysFile: abs(parsed.REFNET_KEYS_FILE ?? join(dataDir, "keys.json")),
    trust: {
      ...(parsed.REFNET_TRUST_GENESIS !== undefined ? { genesisPath: abs(parsed.REFNET_TRUST_GENESIS) } : {}),
      ...(parsed.REFNET_TRUST_GENESIS_SHA256 !== undefined
        ? { genesisSha256: parsed.REFNET_TRUST_GENESIS_SHA256 }
        : {}),
    },
    logLevel: parsed.REFNET_LOG_LEVEL ?? "info",
    graphql: {
      graphiql: parsed.REFNET_GRAPHIQL ?? !production,
      maxDepth: parsed.REFNET_GRAPHQL_MAX_DEPTH ?? 12,
      maxCost: parsed.REFNET_GRAPHQL_MAX_COST ?? 5000,
    },
    ...(parsed.REFNET_METRICS_TOKEN !== undefined ? { metricsToken: parsed.REFNET_METRICS_TOKEN } : {}),
    erasureDeadlineMs: (parsed.REFNET_ERASURE_DEADLINE_HOURS ?? 72) * 3_600_000,
    production,
    unknownVariables,
    kek: kekSource(parsed, abs(parsed.REFNET_KEYS_FILE ?? join(dataDir, "keys.json")), abs),
    vaultFile: abs(parsed.REFNET_VAULT_FILE ?? join(dataDir, "person-keys.db")),
    retention: {
      days: {
        completed: parsed.REFNET_RETENTION_COMPLETED_DAYS ?? RETENTION_DEFAULT_DAYS.completed,
        closed: parsed.REFNET_RETENTION_CLOSED_DAYS ?? RETENTION_DEFAULT_DAYS.closed,
        declined: parsed.REFNET_RETENTION_DECLINED_DAYS ?? RETENTION_DEFAULT_DAYS.declined,
        withdrawn: parsed.REFNET_RETENTION_WITHDRAWN_DAYS ?? RETENTION_DEFAULT_DAYS.withdrawn,
        expired: parsed.REFNET_RETENTION_EXPIRED_DAYS ?? RETENTION_DEFAULT_DAYS.expired,
      },
      quarantineDays: parsed.REFNET_RETENTION_QUARANTINE_DAYS ?? RETENTION_DEFAULT_DAYS.quarantine,
    },
    audit: {
      checkpointEveryEntries: parsed.REFNET_AUDIT_CHECKPOINT_ENTRIES ?? 100,
      checkpointEverySeconds: parsed.REFNET_AUDIT_CHECKPOINT_SECONDS ?? 300,
    },
  };
}

function kekSource(parsed: Parsed, keysFile: string, abs: (p: string) => string): KekSource {
  if (parsed.REFNET_KEK !== undefined) {
    // Checked by its schema above; parse cannot fail here.
    const key = KeyEncryptionKey.parse(parsed.REFNET_KEK, "REFNET_KEK");
    if (!key) throw new ConfigError("REFNET_KEK is not a key-encryption key", ["REFNET_KEK"]);
    return { source: "env", key };
  }
  if (parsed.REFNET_KEK_FILE !== undefined) {
    return { source: "file", path: abs(parsed.REFNET_KEK_FILE), variable: "REFNET_KEK_FILE" };
  }
  return { source: "file", path: defaultKekFile(keysFile), variable: null };
}

function sqlitePath(rest: string, abs: (p: string) => string): string {
  // Accept both sqlite:relative/path.db and sqlite:///absolute/path.db; ":memory:" stays as it is.
  if (rest === ":memory:") return rest;
  const path = rest.startsWith("//") ? rest.slice(2) : rest;
  return abs(path);
}

function truncate(v: string): string {
  return v.length > 60 ? `${v.slice(0, 57)}...` : v;
}
