// `refnet keys …`: a partner organization looking after its own node's keys, on the node's machine and
// against its key file (the same REFNET_* configuration as the node and `refnet init`). `rotate` makes
// new keys, pending until the admins list them, and the request that asks them to; the node switches
// by itself once the list arrives (docs/admin-guide.md §4). Private keys never leave the key file.
import { existsSync } from "node:fs";
import {
  assessOwnKeys,
  type Config,
  encryptClearKeyFile,
  type KeyStore,
  loadConfig,
  openDatabase,
  openNodeKeyStore,
  openOrCreateKek,
  readStoredTrustList,
  requestKeyRotation,
} from "@refnet/node";
import { formatFingerprint, parseTrustList, TrustList } from "@refnet/trust";
import { exists, isoTime, parseCommand, parseDuration, readText, required, writeNewFile } from "./args.ts";
import type { Io } from "./cli.ts";
import { CliError, UsageError } from "./errors.ts";
import { EXIT } from "./exit.ts";

export const KEYS_USAGE = `  keys show [--org <id>] [--network <id>] [--data-dir <dir>] [--trust-list <list.json>]
      This node's keys with their state under the trust list in force (the node's stored list, or
      --trust-list): PENDING (not listed yet, never used), ACTIVE, RETIRING (still verifying or
      decrypting during the overlap), RETIRED; and a rotation still waiting for the admins.
  keys rotate --out <request.jws> [--overlap <duration>, default 7d] [--replace]
        [--org <id>] [--network <id>] [--data-dir <dir>] [--trust-list <list.json>]
      Makes a new signing and encryption key, adds them to the key file as PENDING, and writes the
      rotation request for the network admins: a JWS signed by the signing key in force, holding the
      new PUBLIC keys and the overlap asked for. The node keeps its current keys until the admins
      publish a list with the new ones, then switches by itself. --replace abandons a pending rotation.
  keys request --out <request.jws> [--org <id>] [--network <id>] [--data-dir <dir>]
      Writes the pending rotation request again.
  keys encrypt [--org <id>] [--network <id>] [--data-dir <dir>]
      Encrypts a key file written before encryption at rest (plain JSON) under the node's KEK
      (REFNET_KEK_FILE or REFNET_KEK, else the file \`kek\` beside the key file, made if absent).
      The node refuses a key file in the clear (docs/data-at-rest.md).
`;

const DEFAULT_OVERLAP = "7d";

export const NODE_OPTIONS = {
  org: { type: "string" },
  network: { type: "string" },
  "data-dir": { type: "string" },
} as const;

export function nodeConfig(io: Io, v: { org?: string; network?: string; "data-dir"?: string }): Config {
  const env: NodeJS.ProcessEnv = { ...io.env };
  if (v.org !== undefined) env.REFNET_ORG_ID = v.org;
  if (v.network !== undefined) env.REFNET_NETWORK = v.network;
  if (v["data-dir"] !== undefined) env.REFNET_DATA_DIR = v["data-dir"];
  return loadConfig(env, io.cwd);
}

function nowMs(io: Io): number {
  return io.now ? io.now() * 1000 : Date.now();
}

/**
 * The list to judge the keys by: --trust-list, else the list the node stored in its database, else
 * none (the node never ran). A list from a file is only read, not verified: it decides which key this
 * node signs the request with and how the keys are shown, and the admins verify the request anyway.
 */
async function listInForce(io: Io, cfg: Config, file: string | undefined): Promise<TrustList | undefined> {
  if (file !== undefined) {
    const parsed = parseTrustList(await readText(io.cwd, file, "trust list"));
    if (!parsed.ok) throw new CliError("ERR_INPUT", `${file}: ${parsed.detail} [${parsed.code}]`);
    return TrustList.create(parsed.payload, parsed.signed);
  }
  // Never create a database as a side effect: a node that has not run has no list to read.
  if (cfg.database.kind === "sqlite" && !existsSync(cfg.database.path)) return undefined;
  const opened = openDatabase(cfg);
  try {
    return await readStoredTrustList(opened.db);
  } catch (err) {
    if (err instanceof Error && /no such table|does not exist/i.test(err.message)) return undefined;
    throw err;
  } finally {
    await opened.close();
  }
}

export async function keys(args: string[], io: Io): Promise<number> {
  const [sub, ...rest] = args;
  switch (sub) {
    case "show":
      return show(rest, io);
    case "rotate":
      return rotate(rest, io);
    case "request":
      return request(rest, io);
    case "encrypt":
      return encrypt(rest, io);
    default:
      throw new UsageError(sub === undefined ? "keys needs a subcommand" : `unknown keys subcommand: ${sub}`);
  }
}

function describeKeys(store: KeyStore, list: TrustList | undefined, now: number): string {
  const lines: string[] = [];
  const nowS = Math.floor(now / 1000);
  const rows: string[][] = [["USE", "STATE", "FINGERPRINT", "VALIDITY IN THE LIST", "KEPT UNTIL"]];
  if (list) {
    lines.push(
      `keys of ${store.orgId}, judged by version ${list.version} of the ${list.network} trust list at ${isoTime(nowS)}`,
    );
    for (const k of assessOwnKeys(store.keys(), list, store.orgId, nowS).views) {
      const validity = !k.listed
        ? "not listed"
        : k.notAfter === undefined
          ? `from ${isoTime(k.notBefore!)}`
          : `${isoTime(k.notBefore!)} – ${isoTime(k.notAfter)}`;
      rows.push([
        k.use,
        k.state.toUpperCase(),
        k.fingerprint,
        validity,
        k.keptUntil === undefined ? "" : isoTime(k.keptUntil),
      ]);
    }
  } else {
    lines.push(
      `keys of ${store.orgId}: no trust list (the node has not stored one yet; give --trust-list to judge them)`,
    );
    for (const k of store.keys())
      rows.push([
        k.use,
        k.retiredAt !== undefined ? "RETIRED" : k.pending ? "PENDING" : "HELD",
        formatFingerprint(k.kid),
        "",
        "",
      ]);
  }
  lines.push(table(rows));
  const r = store.rotation();
  const listed = (kid: string) => list?.keyById(kid)?.orgId === store.orgId;
  if (r && !(listed(r.sigKid) && listed(r.encKid)))
    lines.push(
      `rotation requested ${isoTime(Math.floor(r.requestedAt / 1000))}, overlap ${duration(r.overlapSeconds)}, signed with ${formatFingerprint(r.signedWith)}`,
      `  new sig ${formatFingerprint(r.sigKid)}`,
      `  new enc ${formatFingerprint(r.encKid)}`,
    );
  return `${lines.join("\n")}\n`;
}

async function show(args: string[], io: Io): Promise<number> {
  const { values: v } = parseCommand(args, { ...NODE_OPTIONS, "trust-list": { type: "string" } });
  const cfg = nodeConfig(io, v);
  const store = await openNodeKeyStore(cfg);
  const list = await listInForce(io, cfg, v["trust-list"]);
  io.out(describeKeys(store, list, nowMs(io)));
  return EXIT.ok;
}

async function rotate(args: string[], io: Io): Promise<number> {
  const { values: v } = parseCommand(args, {
    ...NODE_OPTIONS,
    out: { type: "string" },
    overlap: { type: "string" },
    replace: { type: "boolean" },
    "trust-list": { type: "string" },
  });
  const out = required(v.out, "--out");
  const overlapSeconds = parseDuration(v.overlap ?? DEFAULT_OVERLAP, "--overlap");
  const cfg = nodeConfig(io, v);
  // Checked first: a slip of --out must not leave a rotation recorded with no request file.
  if (await exists(io.cwd, out))
    throw new CliError("ERR_FILE_EXISTS", `${out} already exists; choose another file name`);
  const store = await openNodeKeyStore(cfg);
  const list = await listInForce(io, cfg, v["trust-list"]);
  const now = nowMs(io);
  const { record, replaced } = await requestKeyRotation(store, {
    network: cfg.network,
    list,
    overlapSeconds,
    nowMs: now,
    replace: v.replace === true,
  });
  try {
    await writeNewFile(io.cwd, out, `${record.request}\n`);
  } catch (err) {
    io.err(
      "refnet: the new keys are in the key file, but the request could not be written; write it with `refnet keys request --out <file>`\n",
    );
    throw err;
  }
  for (const kid of replaced) io.out(`abandoned pending key ${formatFingerprint(kid)} (retired)\n`);
  io.out(
    `new keys of ${cfg.orgId}, PENDING until the network admins list them:\n` +
      `  sig  ${formatFingerprint(record.sigKid)}\n` +
      `  enc  ${formatFingerprint(record.encKid)}\n` +
      `request signed with  ${formatFingerprint(record.signedWith)}\n` +
      `overlap asked for    ${duration(overlapSeconds)}\n` +
      `Wrote ${out} (public keys only). Send it to the network admins and read them the two new fingerprints over the phone.\n` +
      "The node keeps signing and decrypting with its current keys, and switches by itself when the new trust list arrives.\n",
  );
  return EXIT.ok;
}

async function request(args: string[], io: Io): Promise<number> {
  const { values: v } = parseCommand(args, { ...NODE_OPTIONS, out: { type: "string" } });
  const out = required(v.out, "--out");
  const cfg = nodeConfig(io, v);
  const store = await openNodeKeyStore(cfg);
  const r = store.rotation();
  if (!r) throw new CliError("ERR_INPUT", `no key rotation of ${cfg.orgId} is pending`);
  await writeNewFile(io.cwd, out, `${r.request}\n`);
  io.out(`Wrote ${out}: the rotation requested ${isoTime(Math.floor(r.requestedAt / 1000))}.\n`);
  return EXIT.ok;
}

/** Seconds in the largest whole unit `--overlap` takes: 604800 → "7d". */
function duration(seconds: number): string {
  for (const [unit, size] of [
    ["w", 604_800],
    ["d", 86_400],
    ["h", 3600],
    ["m", 60],
  ] as const)
    if (seconds > 0 && seconds % size === 0) return `${seconds / size}${unit}`;
  return `${seconds}s`;
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]!))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

/** `keys encrypt`: a key file from before encryption at rest, encrypted in place under the KEK. */
async function encrypt(args: string[], io: Io): Promise<number> {
  const { values: v } = parseCommand(args, NODE_OPTIONS);
  const cfg = nodeConfig(io, v);
  const kek = await openOrCreateKek(cfg.kek);
  await encryptClearKeyFile(cfg.keysFile, cfg.orgId, kek.key);
  if (kek.created && cfg.kek.source === "file") {
    io.err(
      `refnet: key-encryption key (KEK) written to ${cfg.kek.path} (mode 0600): keep a copy somewhere safe, ` +
        "out of the data directory's backups (docs/data-at-rest.md).\n",
    );
  }
  io.err(`refnet: ${cfg.keysFile} is now encrypted under the KEK.\n`);
  return EXIT.ok;
}
