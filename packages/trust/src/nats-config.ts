// Broker permissions from the trust list (docs/protocol.md §3.8): one NATS user per active
// organisation, allowed exactly the subjects its node uses and nothing else, and one admin user that
// provisions the JetStream resources and publishes the trust list. Defence in depth only: no protocol
// property depends on it, but it keeps a compromised or careless node from reading other inboxes,
// rewriting the trust bucket, or reshaping the inbox stream.
//
// The model, per organisation X of network N (every other subject is denied, because nats-server
// denies whatever an allow list does not name):
// - publish into the inbox of every other *active* partner; not into its own inbox (a node never
//   sends to itself), not to suspended or revoked partners (nodes send them nothing, §6.2);
// - the JetStream API calls of its own inbox: stream info of the inbox stream, info / create / update
//   of its own durable `inbox-X` through the filtered create subject (the server checks the filter in
//   the subject against the config, so X cannot point its consumer at another inbox), pull requests
//   and acks on `inbox-X` only;
// - the trust bucket read-only (stream info, direct get, ordered watch consumers); the directory
//   bucket readable, and writable only at its own key;
// - no stream create, update, delete or purge, no message get on the inbox stream: the admin
//   provisions the stream and the buckets. Otherwise a node could create the inbox stream first with,
//   say, a `republish` to a subject it can read, or a short `max_age`;
// - subscribe only to replies under its own inbox prefix (`_INBOX_X.>`), so it cannot read the pull
//   deliveries or API replies of another organisation. The node must connect with
//   `inboxPrefix: natsInboxPrefix(X)`.
//
// Suspended and revoked partners get no user at all. A suspended organisation's pending inbox
// messages stay in the work-queue stream and are delivered when the suspension is lifted; letting it
// drain them meanwhile would hand ciphertext to whoever holds a credential that may be the very
// reason for the suspension.
import { ID_PATTERN } from "@refnet/protocol/types";
import { TrustList } from "./trust-list.ts";
import type { TrustListPayload } from "./types.ts";

export const NATS_CONFIG_ERROR_CODES = {
  /** An id that is not an id of docs/protocol.md §1.1, or a list of another network. */
  network: "ERR_NATS_CONFIG_NETWORK",
  /** Permissions were asked for an organisation that is not an active partner. */
  notActive: "ERR_NATS_CONFIG_NOT_ACTIVE",
  /** An active partner has no credential, or a credential is unusable. */
  credential: "ERR_NATS_CONFIG_CREDENTIAL",
  /** The admin user name collides with an organisation, or a setting cannot go into a config file. */
  setting: "ERR_NATS_CONFIG_SETTING",
} as const;

export type NatsConfigErrorCode = (typeof NATS_CONFIG_ERROR_CODES)[keyof typeof NATS_CONFIG_ERROR_CODES];

export class NatsConfigError extends Error {
  override readonly name = "NatsConfigError";
  constructor(
    readonly code: NatsConfigErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/**
 * A password as the client sends it, or its bcrypt hash (`$2a$`/`$2b$`/`$2y$`, as produced by
 * `nats server passwd` or `htpasswd -nbBC 11`), which is what a config file should hold.
 */
export type NatsCredential = { password: string } | { passwordHash: string };

export interface NatsPermissions {
  publish: { allow: string[] };
  subscribe: { allow: string[] };
}

export interface NatsConfigOptions {
  /** Must equal the list's network; guards against generating one network's config from another's list. */
  network: string;
  /** By org id. Every active partner needs one; entries for other org ids are ignored. */
  credentials: Readonly<Record<string, NatsCredential>>;
  /** The user of the admins' tools: provisions JetStream, writes the trust bucket. Full access. */
  adminUser: { user: string } & NatsCredential;
  /** JetStream store directory; `/var/lib/refnet-nats` by default. */
  jetstreamStoreDir?: string;
  /** Client listen address; `0.0.0.0:4222` by default. */
  listen?: string;
  /** `hub` adds a leaf node listener on which each organisation's leaf connects as its own user. */
  mode: "single" | "hub";
  /** Leaf node listen address in hub mode; `0.0.0.0:7422` by default. */
  leafListen?: string;
  /**
   * Hub mode: the hub's JetStream domain (`refnet` by default). nats-server 2.9 keeps `$JS.API` and
   * `$KV` traffic from crossing a leaf connection, so organisations' nodes reach the hub's JetStream
   * as `$JS.<domain>.API` (nats.js: `jetstream(nc, { domain })`).
   */
  jsDomain?: string;
  /** `refnet-hub` by default. */
  serverName?: string;
  /** TLS for clients and leaf nodes; strongly recommended anywhere but on one machine. */
  tls?: { certFile: string; keyFile: string };
}

export interface LeafNodeConfigOptions {
  network: string;
  orgId: string;
  /** The hub's leaf node URLs, e.g. `tls://hub.example.org:7422`, without credentials. */
  hubUrls: string[];
  /** The organisation's NATS password in clear (the leaf is the client of the hub). */
  password: string;
  /** Where the organisation's node connects; `127.0.0.1:4222` by default. */
  listen?: string;
}

const DEFAULT_STORE_DIR = "/var/lib/refnet-nats";
const DEFAULT_JS_DOMAIN = "refnet";
const MIN_PASSWORD_LENGTH = 16;
// What goes between double quotes in a nats-server config without escaping: printable ASCII other
// than the quote, the backslash and `$` (which would start a variable reference in some positions).
const PLAIN_PASSWORD = /^[\x21\x23\x25-\x5b\x5d-\x7e]+$/;
const BCRYPT_HASH = /^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/;
const USER_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
const CONFIG_VALUE = /^[A-Za-z0-9_./:@-]+$/;

/** The reply subject prefix of an organisation's connection; its node passes it as `inboxPrefix`. */
export function natsInboxPrefix(orgId: string): string {
  return `_INBOX_${requireId(orgId, "org id")}`;
}

/** What the NATS user of `orgId` may publish and subscribe to (see the model at the top of this file). */
export function natsPermissionsFor(
  network: string,
  orgId: string,
  list: TrustList | TrustListPayload,
  options: { jsDomain?: string } = {},
): NatsPermissions {
  const payload = payloadOf(list, network);
  requireId(orgId, "org id");
  const me = payload.partners.find((p) => p.orgId === orgId);
  if (me?.status !== "active") {
    throw new NatsConfigError(
      NATS_CONFIG_ERROR_CODES.notActive,
      `${orgId} is not an active partner of trust list version ${payload.version}`,
    );
  }
  const inboxStream = `refnet-${network}-inbox`;
  const consumer = `inbox-${orgId}`;
  const trust = `refnet-${network}-trust`;
  const directory = `refnet-${network}-directory`;
  const partnerInboxes = payload.partners
    .filter((p) => p.status === "active" && p.orgId !== orgId)
    .map((p) => `refnet.${network}.inbox.${requireId(p.orgId, "org id")}`)
    .sort();
  const own = [
    // The account info call that `jetstreamManager()` makes first.
    "$JS.API.INFO",
    `$JS.API.STREAM.INFO.${inboxStream}`,
    `$JS.API.CONSUMER.INFO.${inboxStream}.${consumer}`,
    // Create and update (nats.js on a 2.9 server): the filter is part of the subject, and the
    // server refuses a config whose filter differs from it.
    `$JS.API.CONSUMER.CREATE.${inboxStream}.${consumer}.refnet.${network}.inbox.${orgId}`,
    `$JS.API.CONSUMER.MSG.NEXT.${inboxStream}.${consumer}`,
    `$JS.ACK.${inboxStream}.${consumer}.>`,
    ...bucketReadSubjects(trust),
    ...bucketReadSubjects(directory),
    `$KV.${directory}.${orgId}`,
  ];
  // Through a leaf node the hub only answers JetStream calls addressed to its domain
  // (`$JS.<domain>.API.…`, and `$JS.<domain>.API.$KV.…` for KV writes), which it maps back.
  const jsDomain =
    options.jsDomain === undefined ? undefined : requireId(options.jsDomain, "JetStream domain");
  const viaDomain = jsDomain
    ? own.flatMap((s) =>
        s.startsWith("$JS.API.")
          ? [`$JS.${jsDomain}.API.${s.slice("$JS.API.".length)}`]
          : s.startsWith("$KV.")
            ? [`$JS.${jsDomain}.API.${s}`]
            : [],
      )
    : [];
  return {
    publish: { allow: [...partnerInboxes, ...own, ...viaDomain] },
    subscribe: { allow: [`${natsInboxPrefix(orgId)}.>`] },
  };
}

function bucketReadSubjects(bucket: string): string[] {
  const stream = `KV_${bucket}`;
  return [
    `$JS.API.STREAM.INFO.${stream}`,
    // `kv.get`: last value of a key (subject form) and a given revision (request form).
    `$JS.API.DIRECT.GET.${stream}`,
    `$JS.API.DIRECT.GET.${stream}.$KV.${bucket}.>`,
    // `kv.watch` and `kv.keys`: ordered consumers, named by the client, filtered inside the bucket.
    `$JS.API.CONSUMER.CREATE.${stream}.*.$KV.${bucket}.>`,
    `$JS.API.CONSUMER.INFO.${stream}.*`,
    // Flow control replies of those push consumers.
    `$JS.FC.${stream}.>`,
  ];
}

/** nats-server configuration text for the network, from the trust list (docs/protocol.md §3.8). */
export function generateNatsConfig(list: TrustList | TrustListPayload, options: NatsConfigOptions): string {
  const payload = payloadOf(list, options.network);
  const network = options.network;
  const admin = options.adminUser;
  if (!USER_NAME.test(admin.user)) {
    throw new NatsConfigError(NATS_CONFIG_ERROR_CODES.setting, "the admin user name is not a plain name");
  }
  if (payload.partners.some((p) => p.orgId === admin.user)) {
    throw new NatsConfigError(NATS_CONFIG_ERROR_CODES.setting, "the admin user name is also an org id");
  }
  const jsDomain =
    options.mode === "hub" ? requireId(options.jsDomain ?? DEFAULT_JS_DOMAIN, "JetStream domain") : undefined;
  const active = payload.partners.filter((p) => p.status === "active").sort(byOrgId);
  const leftOut = payload.partners.filter((p) => p.status !== "active").sort(byOrgId);

  const users: string[] = [
    userBlock(admin.user, admin, { publish: { allow: [">"] }, subscribe: { allow: [">"] } }, [
      "Network admins' tools: provision the inbox stream and the buckets, publish the trust list.",
    ]),
  ];
  for (const p of active) {
    const credential = options.credentials[p.orgId];
    if (!credential) {
      throw new NatsConfigError(
        NATS_CONFIG_ERROR_CODES.credential,
        `no NATS credential for the active partner ${p.orgId}`,
      );
    }
    users.push(userBlock(p.orgId, credential, natsPermissionsFor(network, p.orgId, payload, { jsDomain })));
  }

  const listen = configValue(options.listen ?? "0.0.0.0:4222", "listen");
  const storeDir = configValue(options.jetstreamStoreDir ?? DEFAULT_STORE_DIR, "jetstreamStoreDir");
  const serverName = configValue(options.serverName ?? "refnet-hub", "serverName");
  const tls = options.tls
    ? [
        "tls {",
        `  cert_file: ${quote(configValue(options.tls.certFile, "tls.certFile"))}`,
        `  key_file: ${quote(configValue(options.tls.keyFile, "tls.keyFile"))}`,
        "}",
      ]
    : [
        "# TLS is required anywhere but on a single machine:",
        "# tls { cert_file: /etc/refnet/nats/server-cert.pem, key_file: /etc/refnet/nats/server-key.pem }",
      ];

  const lines = [
    `# nats-server configuration of the refnet network ${network}, generated from trust list version ${payload.version}.`,
    "# Do not edit by hand: regenerate it when the trust list changes, then `nats-server --signal reload`.",
    "# Permissions: docs/protocol.md §3.8 and packages/trust/src/nats-config.ts.",
    ...(leftOut.length > 0
      ? [
          `# Without a NATS user (suspended or revoked): ${leftOut.map((p) => `${p.orgId} (${p.status})`).join(", ")}.`,
        ]
      : []),
    `server_name: ${quote(serverName)}`,
    `listen: ${quote(listen)}`,
    "",
    "jetstream {",
    `  store_dir: ${quote(storeDir)}`,
    ...(jsDomain ? [`  domain: ${quote(jsDomain)}`] : []),
    "}",
    "",
    "# Envelopes are at most 512 KiB (docs/protocol.md §2); leave room for headers.",
    "max_payload: 1MB",
    "",
    ...tls,
    "",
    "authorization {",
    "  users: [",
    ...users.map((u) => indent(u, 4)),
    "  ]",
    "}",
  ];
  if (options.mode === "hub") {
    const leafListen = configValue(options.leafListen ?? "0.0.0.0:7422", "leafListen");
    lines.push(
      "",
      "# Each organisation's leaf node logs in as its organisation's user above; the hub applies that",
      "# user's permissions to everything the leaf sends and receives.",
      "leafnodes {",
      `  listen: ${quote(leafListen)}`,
      ...(options.tls
        ? [
            "  tls {",
            `    cert_file: ${quote(options.tls.certFile)}`,
            `    key_file: ${quote(options.tls.keyFile)}`,
            "  }",
          ]
        : []),
      "}",
    );
  }
  return `${lines.join("\n")}\n`;
}

/**
 * The nats-server configuration an organisation runs next to its node in hub mode: no JetStream of its
 * own (JetStream API calls go through to the hub), clients on localhost, one remote to the hub.
 */
export function generateLeafNodeConfig(options: LeafNodeConfigOptions): string {
  const network = requireId(options.network, "network");
  const orgId = requireId(options.orgId, "org id");
  const password = requirePlainPassword(options.password, orgId);
  if (options.hubUrls.length === 0) {
    throw new NatsConfigError(NATS_CONFIG_ERROR_CODES.setting, "at least one hub URL is needed");
  }
  const urls = options.hubUrls.map((raw) => {
    const url = new URL(configValue(raw, "hubUrls"));
    if (url.username || url.password) {
      throw new NatsConfigError(NATS_CONFIG_ERROR_CODES.setting, "hub URLs must not carry credentials");
    }
    url.username = orgId;
    url.password = password;
    return url.toString().replace(/\/$/, "");
  });
  const listen = configValue(options.listen ?? "127.0.0.1:4222", "listen");
  return `${[
    `# Leaf node of ${orgId} in the refnet network ${network}. Its node connects here with`,
    `# REFNET_NATS_URL=nats://${listen}; the hub enforces ${orgId}'s permissions on the leaf connection.`,
    "# Keep this file readable by the nats-server user only: it holds the organisation's NATS password.",
    `server_name: ${quote(`refnet-leaf-${orgId}`)}`,
    `listen: ${quote(listen)}`,
    "max_payload: 1MB",
    "",
    "leafnodes {",
    "  remotes: [",
    `    { urls: [${urls.map(quote).join(", ")}] }`,
    "  ]",
    "}",
  ].join("\n")}\n`;
}

function userBlock(
  user: string,
  credential: NatsCredential,
  perms: NatsPermissions,
  comments: string[] = [],
): string {
  const secret =
    "passwordHash" in credential
      ? requireBcrypt(credential.passwordHash, user)
      : requirePlainPassword(credential.password, user);
  // One subject a line: the file is what an admin reviews before a reload.
  const list = (subjects: string[]) => ["[", ...subjects.map((x) => `        ${quote(x)}`), "      ]"];
  return [
    ...comments.map((c) => `# ${c}`),
    "{",
    `  user: ${quote(user)}`,
    `  password: ${quote(secret)}`,
    "  permissions: {",
    "    publish: {",
    `      allow: ${list(perms.publish.allow).join("\n")}`,
    "    }",
    "    subscribe: {",
    `      allow: ${list(perms.subscribe.allow).join("\n")}`,
    "    }",
    "  }",
    "}",
  ].join("\n");
}

function payloadOf(list: TrustList | TrustListPayload, network: string): TrustListPayload {
  const payload = list instanceof TrustList ? list.payload : list;
  requireId(network, "network");
  if (payload.network !== network) {
    throw new NatsConfigError(NATS_CONFIG_ERROR_CODES.network, "the trust list belongs to another network");
  }
  // Ids become subjects and config text: anything but an id of §1.1 (say `>` or a quote) must stop here.
  for (const p of payload.partners) requireId(p.orgId, "org id");
  return payload;
}

function requireId(id: string, what: string): string {
  if (!ID_PATTERN.test(id)) {
    throw new NatsConfigError(NATS_CONFIG_ERROR_CODES.network, `not a valid ${what} (docs/protocol.md §1.1)`);
  }
  return id;
}

function requirePlainPassword(password: string, user: string): string {
  if (password.length < MIN_PASSWORD_LENGTH || !PLAIN_PASSWORD.test(password)) {
    throw new NatsConfigError(
      NATS_CONFIG_ERROR_CODES.credential,
      `the NATS password of ${user} must be at least ${MIN_PASSWORD_LENGTH} printable ASCII characters without quotes, backslashes or '$'`,
    );
  }
  return password;
}

function requireBcrypt(hash: string, user: string): string {
  if (!BCRYPT_HASH.test(hash)) {
    throw new NatsConfigError(
      NATS_CONFIG_ERROR_CODES.credential,
      `the password hash of ${user} is not a bcrypt hash`,
    );
  }
  return hash;
}

function configValue(value: string, what: string): string {
  if (!CONFIG_VALUE.test(value)) {
    throw new NatsConfigError(
      NATS_CONFIG_ERROR_CODES.setting,
      `${what} holds characters a config value may not`,
    );
  }
  return value;
}

function quote(value: string): string {
  return `"${value}"`;
}

function indent(text: string, spaces: number): string {
  const pad = " ".repeat(spaces);
  return text
    .split("\n")
    .map((l) => pad + l)
    .join("\n");
}

function byOrgId(a: { orgId: string }, b: { orgId: string }): number {
  return a.orgId < b.orgId ? -1 : a.orgId > b.orgId ? 1 : 0;
}
