// The generated broker permissions against the real nats-server (Debian's 2.9.10): each organisation
// can do what its node does (docs/protocol.md §3) and nothing that would let it read another inbox or
// rewrite the trust list.
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  AckPolicy,
  DeliverPolicy,
  type JetStreamManager,
  jetstream,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
} from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { NatsServer } from "@refnet/dev-env";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestNetworkTrust } from "./fixtures.ts";
import {
  generateLeafNodeConfig,
  generateNatsConfig,
  NATS_CONFIG_ERROR_CODES,
  NatsConfigError,
  natsInboxPrefix,
  natsPermissionsFor,
} from "./nats-config.ts";
import type { TrustListPayload } from "./types.ts";

const NETWORK = "natsperm";
const STREAM = `refnet-${NETWORK}-inbox`;
const TRUST_BUCKET = `refnet-${NETWORK}-trust`;
const DIRECTORY_BUCKET = `refnet-${NETWORK}-directory`;
const inbox = (org: string) => `refnet.${NETWORK}.inbox.${org}`;

// A bcrypt test vector (perl's crypt with a $2b$ salt), so the hashed-password path runs for real.
const ADMIN = {
  user: "refnet-admin",
  password: "refnet-test-admin-password",
  passwordHash: "$2b$10$TestVectorSaltForRefne5Zse5G/J3y5FR6ZJLlOVObxHpPpYkE.",
};

let payload: TrustListPayload;
const passwords: Record<string, string> = {};
let server: NatsServer;
let dir: string;
const open: NatsConnection[] = [];

async function connectAs(user: string, password: string, inboxPrefix?: string): Promise<NatsConnection> {
  const nc = await connect({
    servers: server.url,
    user,
    pass: password,
    reconnect: false,
    timeout: 3000,
    ...(inboxPrefix ? { inboxPrefix } : {}),
  });
  open.push(nc);
  return nc;
}

function connectOrg(org: string): Promise<NatsConnection> {
  return connectAs(org, passwords[org]!, natsInboxPrefix(org));
}

/** The admin's provisioning: the inbox stream and buckets exactly as docs/protocol.md §3.2, §3.6, §3.7. */
async function provision(nc: NatsConnection): Promise<void> {
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({
    name: STREAM,
    subjects: [`refnet.${NETWORK}.inbox.>`],
    retention: RetentionPolicy.Workqueue,
    storage: StorageType.File,
    duplicate_window: 120 * 1e9,
  });
  const kvm = new Kvm(nc);
  await kvm.create(TRUST_BUCKET, { history: 16, storage: StorageType.File });
  await kvm.create(DIRECTORY_BUCKET, { history: 4, storage: StorageType.File });
}

/** What a node does at start for its own inbox (services/node federation/nats-setup.ts). */
async function ensureOwnConsumer(jsm: JetStreamManager, org: string, ackWaitMs = 30_000): Promise<void> {
  await jsm.streams.info(STREAM);
  const name = `inbox-${org}`;
  try {
    const info = await jsm.consumers.info(STREAM, name);
    if (info.config.ack_wait !== ackWaitMs * 1e6) {
      await jsm.consumers.update(STREAM, name, { ack_wait: ackWaitMs * 1e6 });
    }
    return;
  } catch (err) {
    if (!/not found/i.test((err as Error).message)) throw err;
  }
  await jsm.consumers.add(STREAM, {
    durable_name: name,
    filter_subject: inbox(org),
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: ackWaitMs * 1e6,
    max_deliver: -1,
    max_ack_pending: 1000,
  });
}

/** A core publish the server refuses shows up as a permissions error on the connection. */
async function expectPublishRefused(nc: NatsConnection, subject: string): Promise<void> {
  const refused = (async () => {
    for await (const s of nc.status()) {
      if (s.type === "error" && /permission/i.test(String(s.error))) return String(s.error);
    }
    return "";
  })();
  nc.publish(subject, "x");
  await nc.flush();
  const msg = await Promise.race([
    refused,
    new Promise<string>((r) => setTimeout(() => r("no error"), 2000)),
  ]);
  expect(msg).toMatch(/Permissions Violation for Publish to "?\S*/);
  expect(msg).toContain(subject);
}

beforeAll(async () => {
  const trust = await createTestNetworkTrust({
    network: NETWORK,
    orgs: ["org-a", "org-b", "org-c", "org-d", "org-e"].map((orgId) => ({
      orgId,
      name: `Organisation ${orgId}`,
      country: "GR",
      roles: ["origin", "destination"],
    })),
  });
  payload = {
    ...trust.payload,
    partners: trust.payload.partners.map((p) =>
      p.orgId === "org-d"
        ? { ...p, status: "revoked" as const }
        : p.orgId === "org-e"
          ? { ...p, status: "suspended" as const }
          : p,
    ),
  };
  for (const p of payload.partners) passwords[p.orgId] = randomBytes(24).toString("base64url");
  dir = await mkdtemp(join(tmpdir(), "refnet-nats-config-"));
  const storeDir = join(dir, "store");
  const config = generateNatsConfig(payload, {
    network: NETWORK,
    mode: "single",
    jetstreamStoreDir: storeDir,
    credentials: Object.fromEntries(Object.entries(passwords).map(([org, password]) => [org, { password }])),
    adminUser: { user: ADMIN.user, passwordHash: ADMIN.passwordHash },
  });
  const configFile = join(dir, "nats.conf");
  await writeFile(configFile, config, { mode: 0o600 });
  server = await NatsServer.start({
    dir,
    configFile,
    storeDir,
    jetstreamFromConfig: true,
    probeAuth: { user: ADMIN.user, pass: ADMIN.password },
  });
  await provision(await connectAs(ADMIN.user, ADMIN.password));
}, 30_000);

afterAll(async () => {
  for (const nc of open) if (!nc.isClosed()) await nc.close().catch(() => undefined);
  await server?.cleanup();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("natsPermissionsFor", () => {
  it("lets an org publish to its active partners' inboxes only and read replies under its own prefix", () => {
    const perms = natsPermissionsFor(NETWORK, "org-a", payload);
    expect(perms.publish.allow).toContain(inbox("org-b"));
    expect(perms.publish.allow).toContain(inbox("org-c"));
    expect(perms.publish.allow).not.toContain(inbox("org-a"));
    expect(perms.publish.allow).not.toContain(inbox("org-d"));
    expect(perms.publish.allow).not.toContain(inbox("org-e"));
    expect(perms.subscribe.allow).toEqual(["_INBOX_org-a.>"]);
    expect(perms.publish.allow.some((s) => s.startsWith("$JS.API.STREAM.CREATE"))).toBe(false);
    expect(perms.publish.allow.some((s) => s.startsWith(`$KV.${TRUST_BUCKET}`))).toBe(false);
  });

  it("adds the hub's domain form of every JetStream call and KV write for leaf nodes", () => {
    const plain = natsPermissionsFor(NETWORK, "org-a", payload);
    const hub = natsPermissionsFor(NETWORK, "org-a", payload, { jsDomain: "refnet" });
    expect(hub.publish.allow).toEqual(expect.arrayContaining(plain.publish.allow));
    expect(hub.publish.allow).toContain(`$JS.refnet.API.CONSUMER.MSG.NEXT.${STREAM}.inbox-org-a`);
    expect(hub.publish.allow).toContain(`$JS.refnet.API.$KV.${DIRECTORY_BUCKET}.org-a`);
    const trustWrites = [`$KV.${TRUST_BUCKET}.`, `$JS.refnet.API.$KV.${TRUST_BUCKET}.`];
    expect(hub.publish.allow.filter((s) => trustWrites.some((w) => s.startsWith(w)))).toEqual([]);
    expect(hub.subscribe).toEqual(plain.subscribe);
  });

  it("refuses suspended, revoked and unknown orgs, and another network's list", () => {
    for (const org of ["org-d", "org-e", "org-zzz"]) {
      expect(() => natsPermissionsFor(NETWORK, org, payload)).toThrow(
        expect.objectContaining({ code: NATS_CONFIG_ERROR_CODES.notActive }),
      );
    }
    expect(() => natsPermissionsFor("other-net", "org-a", payload)).toThrow(NatsConfigError);
  });
});

describe("generateNatsConfig", () => {
  const creds = () =>
    Object.fromEntries(Object.entries(passwords).map(([org, password]) => [org, { password }]));

  it("leaves suspended and revoked orgs without a user", () => {
    const text = generateNatsConfig(payload, {
      network: NETWORK,
      mode: "single",
      credentials: creds(),
      adminUser: { user: ADMIN.user, password: ADMIN.password },
    });
    expect(text).toContain('user: "org-a"');
    expect(text).not.toContain('user: "org-d"');
    expect(text).not.toContain('user: "org-e"');
    expect(text).not.toContain(passwords["org-d"]);
    expect(text).not.toContain("leafnodes");
  });

  it("adds a leaf node listener in hub mode", () => {
    const text = generateNatsConfig(payload, {
      network: NETWORK,
      mode: "hub",
      credentials: creds(),
      adminUser: { user: ADMIN.user, password: ADMIN.password },
      leafListen: "0.0.0.0:7422",
    });
    expect(text).toMatch(/leafnodes \{\n {2}listen: "0.0.0.0:7422"/);
    expect(text).toContain('domain: "refnet"');
    expect(text).toContain(`$JS.refnet.API.CONSUMER.MSG.NEXT.${STREAM}.inbox-org-a`);
  });

  it("refuses a missing credential, a weak password, a bad hash and an admin named like an org", () => {
    const base = {
      network: NETWORK,
      mode: "single" as const,
      adminUser: { user: ADMIN.user, password: ADMIN.password },
    };
    const { "org-b": _dropped, ...missing } = creds();
    const cases: [Parameters<typeof generateNatsConfig>[1], string][] = [
      [{ ...base, credentials: missing }, NATS_CONFIG_ERROR_CODES.credential],
      [
        { ...base, credentials: { ...creds(), "org-b": { password: "short" } } },
        NATS_CONFIG_ERROR_CODES.credential,
      ],
      [
        { ...base, credentials: { ...creds(), "org-b": { password: 'has"a-quote-in-it-long-enough' } } },
        NATS_CONFIG_ERROR_CODES.credential,
      ],
      [
        { ...base, credentials: { ...creds(), "org-b": { passwordHash: "$1$md5" } } },
        NATS_CONFIG_ERROR_CODES.credential,
      ],
      [
        { ...base, credentials: creds(), adminUser: { user: "org-a", password: ADMIN.password } },
        "ERR_NATS_CONFIG_SETTING",
      ],
    ];
    for (const [opts, code] of cases) {
      expect(() => generateNatsConfig(payload, opts)).toThrow(expect.objectContaining({ code }));
    }
  });

  it("refuses an org id that could inject subjects or config", () => {
    const bad = { ...payload, partners: [{ ...payload.partners[0]!, orgId: "org-a.>" }] };
    expect(() =>
      generateNatsConfig(bad, {
        network: NETWORK,
        mode: "single",
        credentials: { "org-a.>": { password: ADMIN.password } },
        adminUser: { user: ADMIN.user, password: ADMIN.password },
      }),
    ).toThrow(expect.objectContaining({ code: NATS_CONFIG_ERROR_CODES.network }));
  });
});

describe("generateLeafNodeConfig", () => {
  it("points the leaf at the hub as the org's user, with no JetStream of its own", () => {
    const text = generateLeafNodeConfig({
      network: NETWORK,
      orgId: "org-a",
      hubUrls: ["tls://hub.example.org:7422"],
      password: passwords["org-a"]!,
    });
    expect(text).toContain(`"tls://org-a:${passwords["org-a"]}@hub.example.org:7422"`);
    expect(text).toContain('listen: "127.0.0.1:4222"');
    expect(text).not.toContain("jetstream");
  });
});

describe("against nats-server 2.9 with the generated config", () => {
  it("runs a node's whole inbox cycle as its org user: setup, publish to a partner, pull, ack", async () => {
    const a = await connectOrg("org-a");
    const b = await connectOrg("org-b");
    await ensureOwnConsumer(await jetstreamManager(a), "org-a");
    const jsmB = await jetstreamManager(b);
    await ensureOwnConsumer(jsmB, "org-b");
    // A second start with another ack wait goes through the update path.
    await ensureOwnConsumer(jsmB, "org-b", 20_000);

    const ack = await jetstream(a).publish(inbox("org-b"), "ciphertext-for-b", { msgID: "jti-a-to-b-0001" });
    expect(ack.stream).toBe(STREAM);
    expect(ack.duplicate).toBe(false);

    const consumer = await jetstream(b).consumers.get(STREAM, "inbox-org-b");
    const messages = await consumer.consume({ max_messages: 8 });
    for await (const m of messages) {
      expect(m.string()).toBe("ciphertext-for-b");
      await m.ackAck();
      break;
    }
    const info = await jsmB.consumers.info(STREAM, "inbox-org-b");
    expect(info.num_pending + info.num_ack_pending).toBe(0);
  });

  it("does not let an org publish into its own inbox or a revoked or suspended org's inbox", async () => {
    const a = await connectOrg("org-a");
    for (const org of ["org-a", "org-d", "org-e"]) {
      await expect(jetstream(a).publish(inbox(org), "x", { timeout: 2000 })).rejects.toThrow(
        /permission|timeout|no responders/i,
      );
      await expectPublishRefused(a, inbox(org));
    }
  });

  it("does not let an org read another org's inbox in any way", async () => {
    const admin = await connectAs(ADMIN.user, ADMIN.password);
    await jetstream(admin).publish(inbox("org-c"), "ciphertext-for-c", { msgID: "jti-admin-to-c-01" });
    const a = await connectOrg("org-a");
    const jsmA = await jetstreamManager(a);

    // Pull from org-c's consumer (it may not even learn whether it exists).
    await expect(jsmA.consumers.info(STREAM, "inbox-org-c")).rejects.toThrow(/permission/i);
    await expectPublishRefused(a, `$JS.API.CONSUMER.MSG.NEXT.${STREAM}.inbox-org-c`);
    // Its own consumer pointed at org-c's subject: the filter is in the permitted subject.
    await expect(
      jsmA.consumers.add(STREAM, {
        durable_name: "inbox-org-a",
        filter_subject: inbox("org-c"),
        ack_policy: AckPolicy.Explicit,
      }),
    ).rejects.toThrow(/permission/i);
    // The same through the permitted subject with a config that names another filter: the server refuses.
    const viaOwnSubject = await a.request(
      `$JS.API.CONSUMER.CREATE.${STREAM}.inbox-org-a.${inbox("org-a")}`,
      JSON.stringify({
        stream_name: STREAM,
        config: { durable_name: "inbox-org-a", filter_subject: inbox("org-c"), ack_policy: "explicit" },
      }),
      { timeout: 2000 },
    );
    expect(viaOwnSubject.json<{ error?: { code: number } }>().error?.code).toBe(400);
    // Legacy create subjects, an ephemeral consumer, or a plain subscription to the inbox subjects.
    for (const subject of [
      `$JS.API.CONSUMER.DURABLE.CREATE.${STREAM}.inbox-org-a`,
      `$JS.API.CONSUMER.CREATE.${STREAM}`,
      `$JS.API.CONSUMER.CREATE.${STREAM}.spy.${inbox("org-c")}`,
      `$JS.API.STREAM.MSG.GET.${STREAM}`,
      `$JS.API.DIRECT.GET.${STREAM}`,
    ]) {
      await expectPublishRefused(a, subject);
    }
    const spy = a.subscribe(`refnet.${NETWORK}.inbox.>`);
    await expect(spy.closed).resolves.toBeInstanceOf(Error);
    // Other orgs' reply subjects (where org-c's pulled messages arrive) are closed to it too.
    const replies = a.subscribe("_INBOX_org-c.>");
    await expect(replies.closed).resolves.toBeInstanceOf(Error);

    // And org-c's message is still there for org-c.
    const c = await connectOrg("org-c");
    await ensureOwnConsumer(await jetstreamManager(c), "org-c");
    const next = await (await jetstream(c).consumers.get(STREAM, "inbox-org-c")).next({ expires: 2000 });
    expect(next?.string()).toBe("ciphertext-for-c");
    await next?.ackAck();
  });

  it("does not let an org change or delete the inbox stream", async () => {
    const jsmA = await jetstreamManager(await connectOrg("org-a"));
    await expect(jsmA.streams.update(STREAM, { max_age: 1e9 })).rejects.toThrow(/permission/i);
    await expect(jsmA.streams.delete(STREAM)).rejects.toThrow(/permission/i);
    await expect(jsmA.streams.purge(STREAM)).rejects.toThrow(/permission/i);
    await expect(jsmA.consumers.delete(STREAM, "inbox-org-b")).rejects.toThrow(/permission/i);
  });

  it("lets an org read and watch the trust list, and only the admin write it", async () => {
    const adminKv = await new Kvm(await connectAs(ADMIN.user, ADMIN.password)).open(TRUST_BUCKET);
    await adminKv.put("list", JSON.stringify({ version: 1 }));

    const a = await connectOrg("org-a");
    const kv = await new Kvm(a).create(TRUST_BUCKET, { history: 16, storage: StorageType.File });
    expect((await kv.get("list"))?.string()).toBe(JSON.stringify({ version: 1 }));
    const watch = await kv.watch({ key: "list" });
    const seen: string[] = [];
    const done = (async () => {
      for await (const e of watch) {
        seen.push(e.string());
        if (seen.length === 2) return;
      }
    })();
    await adminKv.put("list", JSON.stringify({ version: 2 }));
    await done;
    expect(seen).toEqual([JSON.stringify({ version: 1 }), JSON.stringify({ version: 2 })]);
    watch.stop();

    await expect(kv.put("list", "forged")).rejects.toThrow(/permission|timeout|no responders/i);
    await expect(kv.delete("list")).rejects.toThrow(/permission|timeout|no responders/i);
    await expectPublishRefused(a, `$KV.${TRUST_BUCKET}.list`);
    await expect((await jetstreamManager(a)).streams.purge(`KV_${TRUST_BUCKET}`)).rejects.toThrow(
      /permission/i,
    );
    expect((await adminKv.get("list"))?.string()).toBe(JSON.stringify({ version: 2 }));
  });

  it("lets an org write its own directory key only, and read the others", async () => {
    const a = await connectOrg("org-a");
    const b = await connectOrg("org-b");
    const kvA = await new Kvm(a).create(DIRECTORY_BUCKET, { history: 4, storage: StorageType.File });
    const kvB = await new Kvm(b).create(DIRECTORY_BUCKET, { history: 4, storage: StorageType.File });
    await kvA.put("org-a", "profile-of-a");
    expect((await kvB.get("org-a"))?.string()).toBe("profile-of-a");
    const keys: string[] = [];
    for await (const k of await kvB.keys()) keys.push(k);
    expect(keys).toEqual(["org-a"]);
    await expect(kvB.put("org-a", "forged")).rejects.toThrow(/permission|timeout|no responders/i);
    await expectPublishRefused(b, `$KV.${DIRECTORY_BUCKET}.org-a`);
    expect((await kvA.get("org-a"))?.string()).toBe("profile-of-a");
  });

  it("does not let an org create the network's streams", async () => {
    const jsmA = await jetstreamManager(await connectOrg("org-a"));
    await expect(jsmA.streams.add({ name: `refnet-${NETWORK}-other`, subjects: ["spy.>"] })).rejects.toThrow(
      /permission/i,
    );
  });

  it("refuses revoked and suspended orgs at connect, and wrong passwords", async () => {
    for (const org of ["org-d", "org-e"]) {
      await expect(connectAs(org, passwords[org]!)).rejects.toThrow(/authorization/i);
    }
    await expect(connectAs("org-a", passwords["org-b"]!)).rejects.toThrow(/authorization/i);
  });
});
