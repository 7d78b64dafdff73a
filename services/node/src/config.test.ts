import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { loadConfig } from "./config.ts";
import { ConfigError } from "./errors.ts";
import { KeyEncryptionKey } from "./kek.ts";

const base = { REFNET_ORG_ID: "shelter-alpha", REFNET_NETWORK: "med-net" };

function fails(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env, "/srv/refnet");
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error("expected loadConfig to fail");
}

describe("loadConfig", () => {
  it("applies the documented defaults", () => {
    const c = loadConfig(base, "/srv/refnet");
    expect(c.orgId).toBe("shelter-alpha");
    expect(c.network).toBe("med-net");
    expect(c.dataDir).toBe("/srv/refnet/.refnet/shelter-alpha");
    expect(c.database).toEqual({ kind: "sqlite", path: "/srv/refnet/.refnet/shelter-alpha/node.db" });
    expect(c.http).toEqual({ host: "127.0.0.1", port: 4000 });
    expect(c.nats).toEqual({ url: "nats://127.0.0.1:4222" });
    expect(c.keysFile).toBe("/srv/refnet/.refnet/shelter-alpha/keys.json");
    expect(c.trust).toEqual({});
    expect(c.logLevel).toBe("info");
    expect(c.graphql).toEqual({ graphiql: true, maxDepth: 12, maxCost: 5000 });
    expect(c.production).toBe(false);
  });

  it("reads every variable", () => {
    const sha = "A".repeat(64);
    const c = loadConfig(
      {
        ...base,
        REFNET_DATA_DIR: "/var/lib/refnet",
        REFNET_DATABASE_URL: "postgres://refnet:secret@db:5432/refnet",
        REFNET_HTTP_HOST: "0.0.0.0",
        REFNET_HTTP_PORT: "0",
        REFNET_NATS_URL: "tls://hub.example.net:4222",
        REFNET_NATS_USER: "shelter-alpha",
        REFNET_NATS_PASSWORD: "pw",
        REFNET_KEYS_FILE: "keys/k.json",
        REFNET_TRUST_GENESIS: "/etc/refnet/genesis.json",
        REFNET_TRUST_GENESIS_SHA256: sha,
        REFNET_LOG_LEVEL: "debug",
        REFNET_GRAPHIQL: "false",
        REFNET_GRAPHQL_MAX_DEPTH: "8",
        REFNET_GRAPHQL_MAX_COST: "900",
      },
      "/srv/refnet",
    );
    expect(c.dataDir).toBe("/var/lib/refnet");
    expect(c.database).toEqual({ kind: "postgres", url: "postgres://refnet:secret@db:5432/refnet" });
    expect(c.http).toEqual({ host: "0.0.0.0", port: 0 });
    expect(c.nats).toEqual({ url: "tls://hub.example.net:4222", user: "shelter-alpha", password: "pw" });
    expect(c.keysFile).toBe("/srv/refnet/keys/k.json");
    expect(c.trust).toEqual({ genesisPath: "/etc/refnet/genesis.json", genesisSha256: "a".repeat(64) });
    expect(c.logLevel).toBe("debug");
    expect(c.graphql).toEqual({ graphiql: false, maxDepth: 8, maxCost: 900 });
  });

  it("takes sqlite: URLs, relative and absolute", () => {
    expect(loadConfig({ ...base, REFNET_DATABASE_URL: "sqlite:data/n.db" }, "/srv").database).toEqual({
      kind: "sqlite",
      path: "/srv/data/n.db",
    });
    expect(loadConfig({ ...base, REFNET_DATABASE_URL: "sqlite:///tmp/n.db" }, "/srv").database).toEqual({
      kind: "sqlite",
      path: "/tmp/n.db",
    });
    expect(loadConfig({ ...base, REFNET_DATABASE_URL: "postgresql://h/db" }, "/srv").database.kind).toBe(
      "postgres",
    );
  });

  it("turns GraphiQL off by default in production", () => {
    expect(loadConfig({ ...base, NODE_ENV: "production" }).graphql.graphiql).toBe(false);
    expect(loadConfig({ ...base, NODE_ENV: "production", REFNET_GRAPHIQL: "true" }).graphql.graphiql).toBe(
      true,
    );
  });

  it("names a missing required variable", () => {
    const err = fails({ REFNET_NETWORK: "med-net" });
    expect(err.variables).toEqual(["REFNET_ORG_ID"]);
    expect(err.message).toContain("REFNET_ORG_ID is required");
    expect(err.code).toBe("ERR_CONFIG");
  });

  it("names each invalid variable, listing all problems at once", () => {
    const err = fails({
      ...base,
      REFNET_ORG_ID: "Shelter Alpha",
      REFNET_HTTP_PORT: "70000",
      REFNET_LOG_LEVEL: "loud",
      REFNET_GRAPHIQL: "maybe",
      REFNET_DATABASE_URL: "mysql://x",
    });
    expect(err.variables.sort()).toEqual(
      [
        "REFNET_DATABASE_URL",
        "REFNET_GRAPHIQL",
        "REFNET_HTTP_PORT",
        "REFNET_LOG_LEVEL",
        "REFNET_ORG_ID",
      ].sort(),
    );
    expect(err.message).toMatch(/REFNET_HTTP_PORT must be at most 65535/);
  });

  it("never repeats a secret's value in the error", () => {
    const err = fails({ ...base, REFNET_DATABASE_URL: "mysql://root:hunter2@db/x" });
    expect(err.message).toContain("REFNET_DATABASE_URL");
    expect(err.message).not.toContain("hunter2");
  });

  it("refuses a half-set NATS user/password group, naming the missing half", () => {
    expect(fails({ ...base, REFNET_NATS_USER: "u" }).variables).toEqual(["REFNET_NATS_PASSWORD"]);
    const e2 = fails({ ...base, REFNET_NATS_PASSWORD: "p" });
    expect(e2.variables).toEqual(["REFNET_NATS_USER"]);
    expect(e2.message).toContain("REFNET_NATS_USER must be set together with REFNET_NATS_PASSWORD");
  });

  it("refuses a token together with user/password", () => {
    const err = fails({ ...base, REFNET_NATS_USER: "u", REFNET_NATS_PASSWORD: "p", REFNET_NATS_TOKEN: "t" });
    expect(err.variables).toEqual(["REFNET_NATS_TOKEN"]);
  });

  it("refuses a genesis digest without the genesis file", () => {
    const err = fails({ ...base, REFNET_TRUST_GENESIS_SHA256: "b".repeat(64) });
    expect(err.variables).toEqual(["REFNET_TRUST_GENESIS"]);
  });

  it("reads the erasure deadline in hours (72 by default) and refuses one out of range", () => {
    expect(loadConfig(base, "/srv/refnet").erasureDeadlineMs).toBe(72 * 3_600_000);
    expect(
      loadConfig({ ...base, REFNET_ERASURE_DEADLINE_HOURS: "24" }, "/srv/refnet").erasureDeadlineMs,
    ).toBe(24 * 3_600_000);
    for (const bad of ["0", "8761", "1.5", "soon"]) {
      expect(fails({ ...base, REFNET_ERASURE_DEADLINE_HOURS: bad }).variables).toEqual([
        "REFNET_ERASURE_DEADLINE_HOURS",
      ]);
    }
  });

  it("treats empty variables as unset", () => {
    const c = loadConfig({ ...base, REFNET_NATS_USER: "", REFNET_NATS_PASSWORD: " ", REFNET_HTTP_PORT: "" });
    expect(c.nats.user).toBeUndefined();
    expect(c.http.port).toBe(4000);
  });

  it("reports unknown REFNET_* variables (likely typos) without failing", () => {
    const c = loadConfig({ ...base, REFNET_NATS_PASWORD: "x", REFNET_TEST_POSTGRES_URL: "postgres://x" });
    expect(c.unknownVariables).toEqual(["REFNET_NATS_PASWORD"]);
  });
});

describe("loadConfig: data at rest (docs/data-at-rest.md)", () => {
  it("defaults the KEK to the file beside the key file, the vault to the data directory, retention to the documented days", () => {
    const c = loadConfig(base, "/srv/refnet");
    expect(c.kek).toEqual({ source: "file", path: "/srv/refnet/.refnet/shelter-alpha/kek", variable: null });
    expect(c.vaultFile).toBe("/srv/refnet/.refnet/shelter-alpha/person-keys.db");
    expect(c.retention).toEqual({
      days: { completed: 365, closed: 365, declined: 90, withdrawn: 90, expired: 90 },
      quarantineDays: 30,
    });
    const moved = loadConfig({ ...base, REFNET_KEYS_FILE: "/etc/refnet/keys.json" }, "/srv/refnet");
    expect(moved.kek).toMatchObject({ path: "/etc/refnet/kek" });
  });

  it("reads REFNET_KEK_FILE, REFNET_VAULT_FILE and the retention days", () => {
    const c = loadConfig(
      {
        ...base,
        REFNET_KEK_FILE: "secrets/kek",
        REFNET_VAULT_FILE: "/var/lib/refnet-keys/vault.db",
        REFNET_RETENTION_COMPLETED_DAYS: "730",
        REFNET_RETENTION_CLOSED_DAYS: "400",
        REFNET_RETENTION_DECLINED_DAYS: "30",
        REFNET_RETENTION_WITHDRAWN_DAYS: "14",
        REFNET_RETENTION_EXPIRED_DAYS: "7",
        REFNET_RETENTION_QUARANTINE_DAYS: "3",
      },
      "/srv/refnet",
    );
    expect(c.kek).toEqual({ source: "file", path: "/srv/refnet/secrets/kek", variable: "REFNET_KEK_FILE" });
    expect(c.vaultFile).toBe("/var/lib/refnet-keys/vault.db");
    expect(c.retention).toEqual({
      days: { completed: 730, closed: 400, declined: 30, withdrawn: 14, expired: 7 },
      quarantineDays: 3,
    });
    expect(c.unknownVariables).toEqual([]);
  });

  it("takes REFNET_KEK as a key, never shows it, and refuses one that is not 32 bytes without echoing it", () => {
    const { text, key } = KeyEncryptionKey.generate("REFNET_KEK");
    const c = loadConfig({ ...base, REFNET_KEK: text }, "/srv/refnet");
    expect(c.kek.source).toBe("env");
    expect(c.kek.source === "env" && c.kek.key.id).toBe(key.id);
    // A config dumped by mistake (a log line, an error report) does not carry the key.
    expect(JSON.stringify(c)).not.toContain(text);
    expect(inspect(c, { depth: 10 })).not.toContain(text);

    const short = fails({ ...base, REFNET_KEK: text.slice(0, 40) });
    expect(short.variables).toEqual(["REFNET_KEK"]);
    expect(short.message).toMatch(/REFNET_KEK must be 32 random bytes in base64url/);
    expect(short.message).not.toContain(text.slice(0, 40));
  });

  it("refuses REFNET_KEK together with REFNET_KEK_FILE, and retention days out of range", () => {
    const { text } = KeyEncryptionKey.generate("REFNET_KEK");
    const both = fails({ ...base, REFNET_KEK: text, REFNET_KEK_FILE: "/etc/refnet/kek" });
    expect(both.variables).toEqual(["REFNET_KEK"]);
    expect(both.message).toMatch(/cannot be combined with REFNET_KEK_FILE/);
    expect(both.message).not.toContain(text);
    expect(fails({ ...base, REFNET_RETENTION_CLOSED_DAYS: "0" }).variables).toEqual([
      "REFNET_RETENTION_CLOSED_DAYS",
    ]);
    expect(fails({ ...base, REFNET_RETENTION_QUARANTINE_DAYS: "ten" }).message).toMatch(
      /REFNET_RETENTION_QUARANTINE_DAYS must be a whole number from 1 to 36500/,
    );
  });
});
