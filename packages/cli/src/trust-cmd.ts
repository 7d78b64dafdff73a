// `refnet trust …`: the network admins' offline workflow for the trust list (docs/protocol.md §6).
// One file travels from admin to admin: a JWS General JSON object `{ payload, signatures }` that starts
// with no signature (the proposal) and gains one per admin; once the threshold is met the very same file
// is the list that `trust publish` writes to the KV bucket of docs/protocol.md §3.6.
import { Kvm } from "@nats-io/kv";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { TRUST_LIST_KEY, trustBucketName } from "@refnet/protocol";
import {
  acceptTrustList,
  buildGenesisTrustList,
  buildNextTrustList,
  canonicalTrustListJson,
  countValidSignatures,
  createTrustListProposal,
  describeTrustListChange,
  formatFingerprint,
  generateNatsConfig,
  type KeyUse,
  mergeTrustListProposals,
  NatsConfigError,
  type NatsCredential,
  type PartnerKeyInput,
  type PartnerRole,
  parseTrustList,
  parseTrustListProposal,
  publicJwkOf,
  type SignedTrustList,
  signTrustListProposal,
  type TrustListAdmin,
  type TrustListChange,
  type TrustListPayload,
  thumbprint,
  trustListDigest,
  trustPayloadDigest,
  verifyGenesis,
  verifyKeyRotationRequest,
} from "@refnet/trust";
import type { JWK } from "jose";
import {
  exists,
  isoTime,
  parseCommand,
  parseDuration,
  positiveInt,
  readJson,
  readText,
  replaceFile,
  required,
  writeNewFile,
} from "./args.ts";
import type { Io } from "./cli.ts";
import { CliError, UsageError } from "./errors.ts";
import { EXIT } from "./exit.ts";
import { decryptAdminKey, MIN_PBES2_ITERATIONS, parseAdminPublicFile } from "./keyfile.ts";
import { readPassphrase } from "./passphrase.ts";

export const TRUST_USAGE = `  trust init --network <id> --admin <admin.pub.json> [--admin …] --threshold <k>
             --expires-in <duration> --out <genesis.json>
      Writes version 1 of the network's trust list as an unsigned proposal (no partners yet).
  trust propose --from <current.json> --out <proposal.json> <change> [<change> …]
      Writes version current+1 (issued now, same expiry unless --extend) as an unsigned proposal.
      Changes (combine a few if you must; they apply in this order):
        --add-partner <partner.json> [--name <text>] [--country <XX>] [--roles origin,destination]
            partner.json is what the partner's \`refnet init\` printed ({ orgId, network, keys }),
            optionally with name, country and roles; the flags supply or override them.
        --rotation-request <request.jws> [--overlap <duration>] [--not-before <date-time>]
            The partner's own request (its \`refnet keys rotate\`): checked against --from (signed by
            the partner's signing key in force, for this network, at most 14 days old), then its new
            keys are added, valid from now (or --not-before, RFC 3339), and the partner's current keys
            end after the overlap (the one the request asks for unless --overlap is given).
        --rotate-keys <orgId> --keys <keys.json> [--overlap <duration>, default 7d] [--not-before …]
            The same from a keys file as \`refnet init\` prints it, for a partner that can no longer
            sign (its node lost or compromised): check the fingerprints by phone all the more.
        --suspend <orgId> | --restore <orgId> | --revoke <orgId>
        --add-admin <admin.pub.json> | --remove-admin <admin-id> | --threshold <k>
        --extend <duration>   the new list expires <duration> from now
  trust sign <proposal.json> --key <admin-key-file> [--base <current.json>] [--out <file>] [--yes]
      Shows what the proposal changes (against --base, the list in force as you hold it) and its
      payload SHA-256, asks for the key's passphrase, and adds your signature (in place unless --out).
  trust merge <copy.json> <copy.json> [… ] --out <file>
      Joins the signatures of copies of one proposal that admins signed in parallel.
  trust verify <list.json> [--base <current.json> | --genesis-sha256 <hex>]
      Checks the list as a node would (docs/protocol.md §6.4 over --base, §6.5 against the pin, or
      against its own admins when neither is given). Exit 1 when a node would refuse it.
  trust show <list.json>
      Version, network, validity, threshold, admins and partners with key fingerprints.
  trust diff <old.json> <new.json>
      What changes from one list to the next, one line per change.
  trust publish <list.json> --nats <url> --network <id> [--base <current.json>]
      Checks the list against --base or else the list now in the bucket refnet-<network>-trust, then
      writes it there (key "list"). NATS credentials: REFNET_NATS_USER and REFNET_NATS_PASSWORD, or
      REFNET_NATS_TOKEN.

  trust nats-config <list.json> --credentials <credentials.json> --out <file> [--mode single|hub]
        [--network <id>] [--store-dir <dir>] [--listen <host:port>]
      Writes the nats-server configuration for the list (infra/nats/README.md): one NATS user per
      active partner, allowed to publish only into other active partners' inboxes and to read only
      its own inbox consumer; suspended and revoked partners get no user. credentials.json is
      { "admin": { "user": "…", "passwordHash": "$2a$…" }, "orgs": { "<orgId>": { "passwordHash": "…" } } }
      with bcrypt hashes from \`nats-server --bcrypt\`. The file is written with mode 0600.

  A proposal or list file is the trust list's JWS in General JSON Serialization (docs/protocol.md §6.1):
  { "payload": "<base64url of the payload JSON>", "signatures": [ { "protected", "signature" }, … ] }
  with zero signatures when just proposed. Its "payload SHA-256" stays the same as signatures are added:
  compare it with the other admins before you sign.
`;

const DEFAULT_OVERLAP = "7d";

/** An RFC 3339 date-time with a zone (2026-12-01T09:00:00Z) → seconds. */
function parseTime(text: string, flag: string): number {
  const ms = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(text)
    ? Date.parse(text)
    : Number.NaN;
  if (!Number.isFinite(ms)) throw new UsageError(`${flag} must be a date-time such as 2026-12-01T09:00:00Z`);
  return Math.ceil(ms / 1000);
}

function nowOf(io: Io): number {
  return io.now ? io.now() : Math.floor(Date.now() / 1000);
}

export async function trust(args: string[], io: Io): Promise<number> {
  const [sub, ...rest] = args;
  switch (sub) {
    case "init":
      return init(rest, io);
    case "propose":
      return propose(rest, io);
    case "sign":
      return sign(rest, io);
    case "merge":
      return merge(rest, io);
    case "verify":
      return verify(rest, io);
    case "show":
      return show(rest, io);
    case "diff":
      return diff(rest, io);
    case "publish":
      return publish(rest, io);
    case "nats-config":
      return natsConfig(rest, io);
    default:
      throw new UsageError(
        sub === undefined ? "trust needs a subcommand" : `unknown trust subcommand: ${sub}`,
      );
  }
}

// ---------------------------------------------------------------------------------------------- files

interface Loaded {
  signed: SignedTrustList;
  payload: TrustListPayload;
}

/** A proposal or a signed list (zero or more signatures), well-formed per docs/protocol.md §6.2. */
async function loadProposal(io: Io, path: string, what = "trust list"): Promise<Loaded> {
  const parsed = parseTrustListProposal(await readText(io.cwd, path, what));
  if (!parsed.ok)
    throw new CliError("ERR_INPUT", `${path} is not a trust list: ${parsed.detail} [${parsed.code}]`);
  return { signed: parsed.signed, payload: parsed.payload };
}

/** A list in force: signed at least once (what nodes hold). */
async function loadList(io: Io, path: string, what: string): Promise<Loaded> {
  const parsed = parseTrustList(await readText(io.cwd, path, what));
  if (!parsed.ok) throw new CliError("ERR_INPUT", `${what} ${path}: ${parsed.detail} [${parsed.code}]`);
  return { signed: parsed.signed, payload: parsed.payload };
}

function serialise(signed: SignedTrustList): string {
  return `${canonicalTrustListJson(signed)}\n`;
}

async function writeOutput(io: Io, out: string, signed: SignedTrustList): Promise<void> {
  if (await exists(io.cwd, out))
    throw new CliError("ERR_FILE_EXISTS", `${out} already exists; choose another file name`);
  await replaceFile(io.cwd, out, serialise(signed));
}

// ---------------------------------------------------------------------------------------------- init

async function init(args: string[], io: Io): Promise<number> {
  const { values: v } = parseCommand(args, {
    network: { type: "string" },
    admin: { type: "string", multiple: true },
    threshold: { type: "string" },
    "expires-in": { type: "string" },
    out: { type: "string" },
  });
  const network = required(v.network, "--network");
  const out = required(v.out, "--out");
  const threshold = positiveInt(required(v.threshold, "--threshold"), "--threshold");
  const expiresIn = parseDuration(required(v["expires-in"], "--expires-in"), "--expires-in");
  if (!v.admin || v.admin.length === 0)
    throw new UsageError("at least one --admin <admin.pub.json> is required");
  const admins: TrustListAdmin[] = [];
  for (const file of v.admin)
    admins.push(await parseAdminPublicFile(await readJson(io.cwd, file, "admin key"), file));
  const now = nowOf(io);
  const payload = await buildGenesisTrustList({
    network,
    admins,
    threshold,
    issuedAt: now,
    expiresAt: now + expiresIn,
  });
  const proposal = await createTrustListProposal(payload);
  await writeOutput(io, out, proposal);
  io.out(await describeProposal(proposal, payload, now));
  io.out(
    `\nWrote ${out} (version 1, unsigned). Each admin now runs: refnet trust sign ${out} --key <their key file>\n`,
  );
  return EXIT.ok;
}

// ---------------------------------------------------------------------------------------------- propose

interface KeysFile {
  orgId?: unknown;
  network?: unknown;
  name?: unknown;
  country?: unknown;
  roles?: unknown;
  keys?: unknown;
}

/** Public keys as `refnet init` prints them: `{ use, kid?, jwk, notBefore? }`; a kid must match its jwk. */
async function keysFrom(file: KeysFile, source: string, network: string): Promise<PartnerKeyInput[]> {
  if (file.network !== undefined && file.network !== network)
    throw new CliError("ERR_INPUT", `${source} is for network ${String(file.network)}, not ${network}`);
  if (!Array.isArray(file.keys) || file.keys.length === 0)
    throw new CliError(
      "ERR_INPUT",
      `${source}: expected "keys": [ { use, jwk } … ] as refnet init prints it`,
    );
  const keys: PartnerKeyInput[] = [];
  for (const [i, entry] of (file.keys as unknown[]).entries()) {
    const e = entry as { use?: unknown; kid?: unknown; jwk?: unknown } | null;
    if (
      typeof e !== "object" ||
      e === null ||
      (e.use !== "sig" && e.use !== "enc") ||
      typeof e.jwk !== "object"
    )
      throw new CliError("ERR_INPUT", `${source}: keys[${i}] must be { use: "sig"|"enc", jwk }`);
    const jwk = e.jwk as JWK;
    if (e.kid !== undefined && typeof jwk.x === "string" && e.kid !== (await thumbprint(publicJwkOf(jwk))))
      throw new CliError("ERR_INPUT", `${source}: keys[${i}].kid is not the thumbprint of its jwk`);
    keys.push({ use: e.use as KeyUse, jwk });
  }
  return keys;
}

function parseRoles(text: unknown, source: string): PartnerRole[] {
  const list = typeof text === "string" ? text.split(",").map((r) => r.trim()) : text;
  if (!Array.isArray(list) || list.length === 0 || !list.every((r) => r === "origin" || r === "destination"))
    throw new CliError("ERR_INPUT", `${source}: roles must be origin and/or destination`);
  return list as PartnerRole[];
}

async function propose(args: string[], io: Io): Promise<number> {
  const { values: v } = parseCommand(args, {
    from: { type: "string" },
    out: { type: "string" },
    "add-partner": { type: "string" },
    name: { type: "string" },
    country: { type: "string" },
    roles: { type: "string" },
    "rotate-keys": { type: "string" },
    "rotation-request": { type: "string" },
    keys: { type: "string" },
    overlap: { type: "string" },
    "not-before": { type: "string" },
    suspend: { type: "string" },
    restore: { type: "string" },
    revoke: { type: "string" },
    "add-admin": { type: "string" },
    "remove-admin": { type: "string" },
    threshold: { type: "string" },
    extend: { type: "string" },
  });
  const from = required(v.from, "--from");
  const out = required(v.out, "--out");
  const current = await loadList(io, from, "current list");
  const network = current.payload.network;
  const now = nowOf(io);
  const changes: TrustListChange[] = [];

  const partnerOnly = v.name !== undefined || v.country !== undefined || v.roles !== undefined;
  if (partnerOnly && v["add-partner"] === undefined)
    throw new UsageError("--name, --country and --roles go with --add-partner");
  if (v["add-partner"] !== undefined) {
    const file = v["add-partner"];
    const data = (await readJson(io.cwd, file, "partner file")) as KeysFile;
    const orgId = data?.orgId;
    const name = v.name ?? data?.name;
    const country = v.country ?? data?.country;
    const roles = v.roles ?? data?.roles;
    if (typeof orgId !== "string") throw new CliError("ERR_INPUT", `${file}: orgId is missing`);
    if (typeof name !== "string")
      throw new UsageError(`the partner's name: give --name or "name" in ${file}`);
    if (typeof country !== "string")
      throw new UsageError(`the partner's country: give --country or "country" in ${file}`);
    if (roles === undefined) throw new UsageError(`the partner's roles: give --roles or "roles" in ${file}`);
    changes.push({
      kind: "add-partner",
      partner: {
        orgId,
        name,
        country,
        roles: parseRoles(roles, file),
        keys: await keysFrom(data, file, network),
      },
    });
  }
  const rotating = v["rotate-keys"] !== undefined || v["rotation-request"] !== undefined;
  if (v.keys !== undefined && v["rotate-keys"] === undefined)
    throw new UsageError("--keys goes with --rotate-keys");
  if ((v.overlap !== undefined || v["not-before"] !== undefined) && !rotating)
    throw new UsageError("--overlap and --not-before go with --rotation-request or --rotate-keys");
  if (v["rotate-keys"] !== undefined && v["rotation-request"] !== undefined)
    throw new UsageError("one rotation per proposal: --rotation-request or --rotate-keys");
  const notBefore = v["not-before"] === undefined ? undefined : parseTime(v["not-before"], "--not-before");
  if (v["rotation-request"] !== undefined) {
    const file = v["rotation-request"];
    const res = await verifyKeyRotationRequest(
      await readText(io.cwd, file, "rotation request"),
      current.payload,
      now,
    );
    if (!res.ok) throw new CliError("ERR_REFUSED", `${file} refused: ${res.detail} [${res.code}]`);
    const r = res.request;
    io.out(
      `rotation request of ${r.orgId}, signed ${isoTime(r.iat)} with its listed signing key ${formatFingerprint(res.signerKid)}: OK
`,
    );
    changes.push({
      kind: "rotate-keys",
      orgId: r.orgId,
      keys: r.keys.map((k) => ({ use: k.use, jwk: k.jwk })),
      overlapSeconds: v.overlap === undefined ? r.overlap : parseDuration(v.overlap, "--overlap"),
      ...(notBefore !== undefined ? { notBefore } : {}),
    });
  }
  if (v["rotate-keys"] !== undefined) {
    const orgId = v["rotate-keys"];
    const file = required(v.keys, "--keys");
    const data = (await readJson(io.cwd, file, "keys file")) as KeysFile;
    if (data?.orgId !== undefined && data.orgId !== orgId)
      throw new CliError("ERR_INPUT", `${file} holds keys of ${String(data.orgId)}, not ${orgId}`);
    changes.push({
      kind: "rotate-keys",
      orgId,
      keys: await keysFrom(data, file, network),
      overlapSeconds: parseDuration(v.overlap ?? DEFAULT_OVERLAP, "--overlap"),
      ...(notBefore !== undefined ? { notBefore } : {}),
    });
  }
  if (v.suspend !== undefined) changes.push({ kind: "suspend", orgId: v.suspend });
  if (v.restore !== undefined) changes.push({ kind: "restore", orgId: v.restore });
  if (v.revoke !== undefined) changes.push({ kind: "revoke", orgId: v.revoke });
  if (v["add-admin"] !== undefined) {
    const file = v["add-admin"];
    changes.push({
      kind: "add-admin",
      admin: await parseAdminPublicFile(await readJson(io.cwd, file, "admin key"), file),
    });
  }
  if (v["remove-admin"] !== undefined) changes.push({ kind: "remove-admin", id: v["remove-admin"] });
  if (v.threshold !== undefined)
    changes.push({ kind: "threshold", threshold: positiveInt(v.threshold, "--threshold") });
  if (v.extend !== undefined)
    changes.push({ kind: "expires", expiresAt: now + parseDuration(v.extend, "--extend") });
  if (changes.length === 0)
    throw new UsageError(
      "propose needs a change: --add-partner, --rotation-request, --rotate-keys, --suspend, … (see help)",
    );

  const payload = await buildNextTrustList(current.payload, changes, now);
  const proposal = await createTrustListProposal(payload);
  await writeOutput(io, out, proposal);
  io.out(`Version ${current.payload.version} → ${payload.version} of ${network}:\n`);
  for (const line of describeTrustListChange(current.payload, payload)) io.out(`  ${line}\n`);
  io.out(`payload SHA-256  ${trustPayloadDigest(proposal)}\n`);
  io.out(await newKeyFingerprints(current.payload, payload));
  io.out(
    `\nWrote ${out} (unsigned). Compare every key fingerprint above with the one the partner reads to ` +
      `you over the phone; then the admins run: refnet trust sign ${out} --key <key file> --base ${from}\n`,
  );
  return EXIT.ok;
}

/** The fingerprints of keys that are new in `next`, for the out-of-band check with the partner. */
async function newKeyFingerprints(from: TrustListPayload, next: TrustListPayload): Promise<string> {
  const old = new Set<string>();
  for (const p of from.partners) for (const k of p.keys) old.add(await thumbprint(publicJwkOf(k.jwk)));
  for (const a of from.admins) old.add(await thumbprint(publicJwkOf(a.jwk)));
  const lines: string[] = [];
  for (const p of next.partners)
    for (const k of p.keys) {
      const kid = await thumbprint(publicJwkOf(k.jwk));
      if (!old.has(kid)) lines.push(`  ${p.orgId} ${k.use}  ${formatFingerprint(kid)}\n`);
    }
  for (const a of next.admins) {
    const kid = await thumbprint(publicJwkOf(a.jwk));
    if (!old.has(kid)) lines.push(`  admin ${a.id}  ${formatFingerprint(kid)}\n`);
  }
  return lines.length ? `new key fingerprints:\n${lines.join("")}` : "";
}

// ---------------------------------------------------------------------------------------------- sign

/** Distinct valid signatures against `admins`, with the threshold they must reach. */
async function tally(signed: SignedTrustList, admins: TrustListAdmin[], threshold: number, whose: string) {
  const count = await countValidSignatures(signed, admins);
  return {
    met: count.count >= threshold,
    line: `${count.count} of ${threshold} signatures needed from ${whose}`,
    invalid: count.problems,
  };
}

/** What a node would count, as lines: the threshold of the base (or the list's own admins) and rule 6. */
async function signatureStatus(signed: SignedTrustList, payload: TrustListPayload, base?: TrustListPayload) {
  const checks = [];
  if (base) {
    checks.push(await tally(signed, base.admins, base.threshold, `the admins of version ${base.version}`));
    const kids = async (p: TrustListPayload) =>
      (await Promise.all(p.admins.map((a) => thumbprint(publicJwkOf(a.jwk))))).sort().join();
    if ((await kids(base)) !== (await kids(payload)) || base.threshold !== payload.threshold)
      checks.push(
        await tally(
          signed,
          payload.admins,
          payload.threshold,
          `the new admins (docs/protocol.md §6.4 rule 6)`,
        ),
      );
  } else {
    checks.push(await tally(signed, payload.admins, payload.threshold, `this list's own admins`));
  }
  return { met: checks.every((c) => c.met), lines: checks.map((c) => c.line) };
}

function checkSuccession(base: TrustListPayload, payload: TrustListPayload, basePath: string): void {
  if (base.network !== payload.network)
    throw new CliError(
      "ERR_REFUSED",
      `the proposal is for network ${payload.network}, ${basePath} for ${base.network}`,
    );
  if (payload.version <= base.version)
    throw new CliError(
      "ERR_REFUSED",
      `the proposal's version ${payload.version} is not above version ${base.version} of ${basePath}`,
    );
}

async function sign(args: string[], io: Io): Promise<number> {
  const { values: v, positionals } = parseCommand(
    args,
    {
      key: { type: "string" },
      base: { type: "string" },
      out: { type: "string" },
      yes: { type: "boolean" },
      "passphrase-file": { type: "string" },
    },
    { min: 1, max: 1, names: "one proposal file" },
  );
  const path = positionals[0]!;
  const keyPath = required(v.key, "--key");
  const proposal = await loadProposal(io, path, "proposal");
  const base = v.base === undefined ? undefined : await loadList(io, v.base, "base list");
  const now = nowOf(io);

  if (base) {
    checkSuccession(base.payload, proposal.payload, v.base!);
    io.out(
      `Changes from version ${base.payload.version} (${v.base}) to version ${proposal.payload.version}:\n`,
    );
    const lines = describeTrustListChange(base.payload, proposal.payload);
    for (const line of lines.length ? lines : ["(none)"]) io.out(`  ${line}\n`);
  } else {
    if (proposal.payload.version > 1)
      io.out(
        "No --base given: showing the whole list. Pass --base <the list in force> to see only what changes.\n",
      );
    io.out(await describeProposal(proposal.signed, proposal.payload, now));
  }
  if (base) io.out(`payload SHA-256  ${trustPayloadDigest(proposal.signed)}\n`);
  if (proposal.payload.expiresAt <= now)
    throw new CliError("ERR_REFUSED", "the proposal has already expired");

  const jwe = await readText(io.cwd, keyPath, "admin key file");
  const passphrase = await readPassphrase(io, {
    passphraseFile: v["passphrase-file"],
    creating: false,
    label: keyPath,
  });
  const key = await decryptAdminKey(jwe, passphrase);
  if (key.iterations < MIN_PBES2_ITERATIONS)
    io.err(
      `refnet: warning: ${keyPath} uses only ${key.iterations} PBES2 iterations; make a new admin key\n`,
    );

  const admins = [...proposal.payload.admins, ...(base?.payload.admins ?? [])];
  const me = await adminIdOf(admins, key.kid);
  if (me === undefined)
    throw new CliError(
      "ERR_NOT_ADMIN",
      `key ${key.kid} is not an admin of ${base ? "the base list or " : ""}this list; nothing was signed`,
    );
  const mine = await countValidSignatures(proposal.signed, [{ id: me, jwk: key.publicJwk }]);
  if (mine.count > 0)
    throw new CliError("ERR_ALREADY_SIGNED", `${me} (key ${key.kid}) already signed ${path}`);

  if (io.prompt && !v.yes) {
    const answer = await io.prompt(`Sign version ${proposal.payload.version} as ${me}? [y/N] `, {
      echo: true,
    });
    if (!/^y(es)?$/i.test(answer.trim())) {
      io.err("refnet: not signed.\n");
      return EXIT.failed;
    }
  }
  const signed = await signTrustListProposal(proposal.signed, key.privateJwk);
  const out = v.out ?? path;
  if (v.out !== undefined) await writeOutput(io, out, signed);
  else await replaceFile(io.cwd, out, serialise(signed));
  const status = await signatureStatus(signed, proposal.payload, base?.payload);
  io.out(`Signed as ${me} (key ${formatFingerprint(key.kid)}); wrote ${out}.\n`);
  for (const line of status.lines) io.out(`  ${line}\n`);
  io.out(
    status.met
      ? `Threshold met: verify and publish with refnet trust publish ${out} --nats <url> --network ${proposal.payload.network}\n`
      : "Pass the file on to the next admin.\n",
  );
  return EXIT.ok;
}

async function adminIdOf(admins: readonly TrustListAdmin[], kid: string): Promise<string | undefined> {
  for (const a of admins) if ((await thumbprint(publicJwkOf(a.jwk))) === kid) return a.id;
  return undefined;
}

// ---------------------------------------------------------------------------------------------- merge

async function merge(args: string[], io: Io): Promise<number> {
  const { values: v, positionals } = parseCommand(
    args,
    { out: { type: "string" } },
    { min: 2, max: 64, names: "two or more copies of one proposal" },
  );
  const out = required(v.out, "--out");
  const copies = [];
  for (const p of positionals) copies.push((await loadProposal(io, p, "proposal")).signed);
  const merged = mergeTrustListProposals(copies);
  const parsed = parseTrustListProposal(merged);
  if (!parsed.ok) throw new CliError("ERR_INPUT", parsed.detail);
  await writeOutput(io, out, merged);
  const status = await signatureStatus(merged, parsed.payload);
  io.out(`Wrote ${out}: ${merged.signatures.length} signatures.\n`);
  for (const line of status.lines) io.out(`  ${line}\n`);
  return EXIT.ok;
}

// ---------------------------------------------------------------------------------------------- verify

async function verify(args: string[], io: Io): Promise<number> {
  const { values: v, positionals } = parseCommand(
    args,
    { base: { type: "string" }, "genesis-sha256": { type: "string" } },
    { min: 1, max: 1, names: "one list file" },
  );
  if (v.base !== undefined && v["genesis-sha256"] !== undefined)
    throw new UsageError("give --base or --genesis-sha256, not both");
  const path = positionals[0]!;
  const text = await readText(io.cwd, path, "trust list");
  const base = v.base === undefined ? undefined : await loadList(io, v.base, "base list");
  const now = nowOf(io);
  const result = await judge(text, now, base?.payload, v["genesis-sha256"]);
  if (!result.ok) {
    io.out(`REFUSED ${result.code}: ${result.detail}\n`);
    return EXIT.failed;
  }
  io.out(`OK ${result.summary}\n`);
  for (const line of result.lines) io.out(`  ${line}\n`);
  if (result.warning) io.out(`  note: ${result.warning}\n`);
  return EXIT.ok;
}

type Judgement =
  | { ok: true; payload: TrustListPayload; summary: string; lines: string[]; warning?: string }
  | { ok: false; code: string; detail: string };

/**
 * What a node would decide about `text`: docs/protocol.md §6.4 over `base`, §6.5 against a digest pin,
 * or, with neither, §6.5 pinned to the list's own admins (a consistency check, not a trust decision).
 */
async function judge(
  text: string,
  now: number,
  base?: TrustListPayload,
  pinSha256?: string,
): Promise<Judgement> {
  const proposal = parseTrustListProposal(text);
  if (proposal.ok && proposal.signed.signatures.length === 0)
    return { ok: false, code: "e.t.threshold", detail: "the list has no signature yet (it is a proposal)" };
  let accepted: Awaited<ReturnType<typeof acceptTrustList>>;
  let warning: string | undefined;
  if (base) accepted = await acceptTrustList(base, text, now);
  else if (pinSha256 !== undefined) accepted = await verifyGenesis(text, { sha256: pinSha256 }, now);
  else {
    const parsed = parseTrustList(text);
    if (!parsed.ok) return parsed;
    accepted = await verifyGenesis(
      text,
      { adminJwks: parsed.payload.admins.map((a) => a.jwk), threshold: parsed.payload.threshold },
      now,
    );
    warning =
      "checked against the list's own admins only; give --base <list in force> or --genesis-sha256 to " +
      "check it as a node would";
  }
  if (!accepted.ok) return accepted;
  const list = accepted.list;
  const status = await signatureStatus(list.signed, list.payload, base);
  return {
    ok: true,
    payload: list.payload,
    summary: `version ${list.version} of ${list.network}, expires ${isoTime(list.expiresAt)}, sha256 ${list.digest}`,
    lines: status.lines,
    ...(warning ? { warning } : {}),
  };
}

// ---------------------------------------------------------------------------------------------- show

function validity(k: { notBefore: number; notAfter?: number | undefined }, now: number): string {
  const range =
    k.notAfter === undefined
      ? `from ${isoTime(k.notBefore)}`
      : `${isoTime(k.notBefore)} – ${isoTime(k.notAfter)}`;
  const state =
    k.notBefore > now ? " (not yet valid)" : k.notAfter !== undefined && k.notAfter <= now ? " (ended)" : "";
  return `${range}${state}`;
}

async function describeProposal(
  signed: SignedTrustList,
  payload: TrustListPayload,
  now?: number,
): Promise<string> {
  const t = now ?? Math.floor(Date.now() / 1000);
  const lines: string[] = [];
  const expired =
    payload.expiresAt <= t ? " (EXPIRED)" : ` (in ${Math.floor((payload.expiresAt - t) / 86_400)} days)`;
  lines.push(`network      ${payload.network}`);
  lines.push(`version      ${payload.version}`);
  lines.push(`issued       ${isoTime(payload.issuedAt)}`);
  lines.push(`expires      ${isoTime(payload.expiresAt)}${expired}`);
  lines.push(`threshold    ${payload.threshold} of ${payload.admins.length} admins`);
  const own = await countValidSignatures(signed, payload.admins);
  lines.push(`signatures   ${signed.signatures.length} (${own.count} valid by this list's own admins)`);
  lines.push(`payload SHA-256  ${trustPayloadDigest(signed)}`);
  if (signed.signatures.length > 0)
    // Only version 1 is pinned by digest (docs/protocol.md §6.5); later versions are checked by signature.
    lines.push(
      `list SHA-256     ${trustListDigest(signed)}${payload.version === 1 ? " (the genesis pin)" : ""}`,
    );
  lines.push("admins");
  for (const a of payload.admins)
    lines.push(`  ${a.id.padEnd(20)} ${formatFingerprint(await thumbprint(publicJwkOf(a.jwk)))}`);
  lines.push(payload.partners.length ? "partners" : "partners     (none)");
  for (const p of payload.partners) {
    lines.push(
      `  ${p.orgId}  ${JSON.stringify(p.name)}  ${p.country}  ${p.roles.join(",")}  ${p.status.toUpperCase()}`,
    );
    for (const k of p.keys)
      lines.push(
        `    ${k.use}  ${formatFingerprint(await thumbprint(publicJwkOf(k.jwk)))}  ${validity(k, t)}`,
      );
  }
  return `${lines.join("\n")}\n`;
}

async function show(args: string[], io: Io): Promise<number> {
  const { positionals } = parseCommand(args, {}, { min: 1, max: 1, names: "one list file" });
  const list = await loadProposal(io, positionals[0]!);
  io.out(await describeProposal(list.signed, list.payload, nowOf(io)));
  return EXIT.ok;
}

// ---------------------------------------------------------------------------------------------- diff

async function diff(args: string[], io: Io): Promise<number> {
  const { positionals } = parseCommand(args, {}, { min: 2, max: 2, names: "<old.json> <new.json>" });
  const [a, b] = [await loadProposal(io, positionals[0]!), await loadProposal(io, positionals[1]!)];
  const lines = describeTrustListChange(a.payload, b.payload);
  io.out(lines.length ? `${lines.join("\n")}\n` : "no change\n");
  return EXIT.ok;
}

// ---------------------------------------------------------------------------------------------- publish

async function publish(args: string[], io: Io): Promise<number> {
  const { values: v, positionals } = parseCommand(
    args,
    { nats: { type: "string" }, network: { type: "string" }, base: { type: "string" } },
    { min: 1, max: 1, names: "one list file" },
  );
  const path = positionals[0]!;
  const url = required(v.nats, "--nats");
  const network = required(v.network, "--network");
  const text = await readText(io.cwd, path, "trust list");
  const candidate = parseTrustListProposal(text);
  if (!candidate.ok) throw new CliError("ERR_INPUT", `${path}: ${candidate.detail} [${candidate.code}]`);
  if (candidate.payload.network !== network)
    throw new CliError(
      "ERR_REFUSED",
      `${path} is a list of network ${candidate.payload.network}, not ${network}`,
    );
  const base = v.base === undefined ? undefined : await loadList(io, v.base, "base list");
  const now = nowOf(io);

  // Checked before connecting when a base is given, so a list below threshold never reaches the broker.
  if (base) await requireAccepted(io, text, now, base.payload, `--base ${v.base}`);

  io.out(`connecting to ${url}\n`);
  const nc = await connectNats(url, io);
  try {
    const bucket = trustBucketName(network);
    io.out(`opening bucket ${bucket} (history 16, file storage)\n`);
    const kvm = new Kvm(nc);
    // docs/protocol.md §3.6: exactly the settings every node creates it with, so either may come first.
    const kv = await kvm.create(bucket, { history: 16, storage: "file" }).catch((err: unknown) => {
      throw new CliError("ERR_NATS", `cannot open bucket ${bucket}: ${errorText(err)}`);
    });
    const entry = await kv.get(TRUST_LIST_KEY);
    const live = entry && entry.operation === "PUT" && entry.value.length > 0 ? entry : null;
    let inBucket: TrustListPayload | undefined;
    if (live) {
      const parsed = parseTrustList(live.string());
      if (parsed.ok) {
        inBucket = parsed.payload;
        io.out(`bucket holds version ${parsed.payload.version} (revision ${live.revision})\n`);
        if (trustListDigest(parsed.signed) === trustListDigest(candidate.signed)) {
          io.out("that is this very list: nothing to do\n");
          return EXIT.ok;
        }
        if (parsed.payload.network !== network)
          throw new CliError("ERR_REFUSED", `the bucket holds a list of network ${parsed.payload.network}`);
        if (parsed.payload.version >= candidate.payload.version)
          throw new CliError(
            "ERR_REFUSED",
            `the bucket already holds version ${parsed.payload.version}; nodes would ignore version ${candidate.payload.version}`,
          );
      } else {
        io.out(`bucket holds something that is not a trust list (${parsed.code}); it will be replaced\n`);
      }
    } else {
      io.out("bucket holds no list yet\n");
    }

    if (!base) {
      if (inBucket) await requireAccepted(io, text, now, inBucket, "the list in the bucket");
      else await requireAccepted(io, text, now, undefined, "its own admins (first list in the bucket)");
    }

    const value = canonicalTrustListJson(candidate.signed);
    io.out(`writing version ${candidate.payload.version} to ${bucket} key ${TRUST_LIST_KEY}\n`);
    // Compare-and-set on the revision read above: two admins publishing at once cannot silently
    // overwrite each other; the second one is told and re-runs the command.
    const revision = await (live
      ? kv.update(TRUST_LIST_KEY, value, live.revision)
      : kv.create(TRUST_LIST_KEY, value)
    ).catch((err: unknown) => {
      throw new CliError(
        "ERR_NATS",
        `the bucket changed while publishing (${errorText(err)}); run publish again`,
      );
    });
    const back = await kv.get(TRUST_LIST_KEY);
    if (!back || back.string() !== value)
      throw new CliError("ERR_NATS", "read-back after writing does not match the list; check the bucket");
    io.out(
      `published version ${candidate.payload.version} of ${network} (revision ${revision}, sha256 ${trustListDigest(candidate.signed)})\n`,
    );
    return EXIT.ok;
  } finally {
    await nc.close().catch(() => undefined);
  }
}

async function requireAccepted(
  io: Io,
  text: string,
  now: number,
  base: TrustListPayload | undefined,
  against: string,
): Promise<void> {
  const result = await judge(text, now, base);
  if (!result.ok)
    throw new CliError(
      "ERR_REFUSED",
      `not published: checked against ${against}: ${result.code}: ${result.detail}`,
    );
  io.out(`checked against ${against}: OK\n`);
  for (const line of result.lines) io.out(`  ${line}\n`);
}

async function connectNats(url: string, io: Io): Promise<NatsConnection> {
  const { REFNET_NATS_USER: user, REFNET_NATS_PASSWORD: pass, REFNET_NATS_TOKEN: token } = io.env;
  try {
    return await connect({
      servers: url,
      name: "refnet-admin",
      ...(user !== undefined ? { user, pass } : {}),
      ...(token !== undefined ? { token } : {}),
      timeout: 5000,
      maxReconnectAttempts: 0,
    });
  } catch (err) {
    throw new CliError("ERR_NATS", `cannot connect to ${url}: ${errorText(err)}`);
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

// ---------------------------------------------------------------------------------------------- nats-config

async function natsConfig(args: string[], io: Io): Promise<number> {
  const { values: v, positionals } = parseCommand(
    args,
    {
      credentials: { type: "string" },
      out: { type: "string" },
      mode: { type: "string" },
      network: { type: "string" },
      "store-dir": { type: "string" },
      listen: { type: "string" },
    },
    { min: 1, max: 1, names: "one list file" },
  );
  const list = await loadList(io, positionals[0]!, "trust list");
  const mode = v.mode ?? "single";
  if (mode !== "single" && mode !== "hub") throw new UsageError("--mode is single or hub");
  const creds = (await readJson(io.cwd, required(v.credentials, "--credentials"), "credentials")) as {
    admin?: { user?: unknown; passwordHash?: unknown; password?: unknown };
    orgs?: Record<string, { passwordHash?: unknown; password?: unknown }>;
  };
  if (!creds || typeof creds !== "object" || !creds.admin || typeof creds.admin.user !== "string") {
    throw new CliError("ERR_INPUT", "credentials: needs admin.user and a password hash");
  }
  const credential = (c: { passwordHash?: unknown; password?: unknown } | undefined, who: string) => {
    if (c && typeof c.passwordHash === "string") return { passwordHash: c.passwordHash };
    if (c && typeof c.password === "string") return { password: c.password };
    throw new CliError("ERR_INPUT", `credentials: no passwordHash for ${who}`);
  };
  const orgs: Record<string, NatsCredential> = {};
  for (const [orgId, c] of Object.entries(creds.orgs ?? {})) orgs[orgId] = credential(c, orgId);
  let text: string;
  try {
    text = generateNatsConfig(list.payload, {
      network: v.network ?? list.payload.network,
      mode,
      credentials: orgs,
      adminUser: { user: creds.admin.user, ...credential(creds.admin, "admin") },
      ...(v["store-dir"] ? { jetstreamStoreDir: v["store-dir"] } : {}),
      ...(v.listen ? { listen: v.listen } : {}),
    });
  } catch (err) {
    if (err instanceof NatsConfigError) throw new CliError("ERR_INPUT", `${err.message} [${err.code}]`);
    throw err;
  }
  const written = await writeNewFile(io.cwd, required(v.out, "--out"), text, 0o600);
  const active = list.payload.partners.filter((p) => p.status === "active").length;
  io.out(
    `wrote ${written}: nats-server ${mode} configuration for ${list.payload.network} version ${list.payload.version}, ` +
      `${active} partner user(s) and the admin user\n` +
      "check it with `nats-server -t -c <file>`, then reload the server (`nats-server --signal reload`)\n",
  );
  return EXIT.ok;
}
