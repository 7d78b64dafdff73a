// The broker topology of a real network on one machine (infra/nats/README.md): a hub nats-server run
// by the network admins, with a JetStream domain and one NATS user per organisation generated from the
// trust list, and one leaf nats-server per organisation that its node connects to. The admin user
// provisions the inbox stream and the buckets before any node starts, as in production, because the
// organisations' users may not create streams.
import { randomBytes } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { ensureBuckets, ensureInboxStream } from "@refnet/node";
import { generateLeafNodeConfig, generateNatsConfig, type TrustListPayload } from "@refnet/trust";
import { NatsServer } from "./nats-server.ts";
import { freePort } from "./wait.ts";

/** The hub's JetStream domain, as generateNatsConfig sets it by default. */
export const HUB_JS_DOMAIN = "refnet";

export interface HubAndLeaves {
  hub: NatsServer;
  /** By org id: the leaf nats-server that organisation's node connects to (no credentials needed). */
  leaves: Map<string, NatsServer>;
  /** The admins' user on the hub (full access): provisioning, trust list publishing, inspection. */
  admin: { user: string; pass: string };
  jsDomain: string;
}

export async function startHubAndLeaves(opts: {
  dir: string;
  network: string;
  list: TrustListPayload;
  detached: boolean;
}): Promise<HubAndLeaves> {
  const admin = { user: "refnet-admin", pass: randomBytes(24).toString("base64url") };
  const active = opts.list.partners.filter((p) => p.status === "active").map((p) => p.orgId);
  const passwords = new Map(active.map((org) => [org, randomBytes(24).toString("base64url")]));
  const hubDir = join(opts.dir, "hub");
  const storeDir = join(hubDir, "store");
  await mkdir(hubDir, { recursive: true, mode: 0o700 });
  const port = await freePort();
  const leafPort = await freePort();
  const configFile = join(hubDir, "nats.conf");
  await writeFile(
    configFile,
    generateNatsConfig(opts.list, {
      network: opts.network,
      mode: "hub",
      credentials: Object.fromEntries([...passwords].map(([org, password]) => [org, { password }])),
      adminUser: { user: admin.user, password: admin.pass },
      jetstreamStoreDir: storeDir,
      listen: `127.0.0.1:${port}`,
      leafListen: `127.0.0.1:${leafPort}`,
      jsDomain: HUB_JS_DOMAIN,
    }),
    { mode: 0o600 },
  );
  const hub = await NatsServer.start({
    dir: hubDir,
    port,
    configFile,
    storeDir,
    jetstreamFromConfig: true,
    probeAuth: admin,
    detached: opts.detached,
  });
  const leaves = new Map<string, NatsServer>();
  try {
    const nc = await connect({ servers: hub.url, user: admin.user, pass: admin.pass, reconnect: false });
    try {
      await ensureInboxStream(await jetstreamManager(nc), opts.network);
      await ensureBuckets(nc, opts.network);
    } finally {
      await nc.close();
    }
    for (const [orgId, password] of passwords) {
      const leafDir = join(opts.dir, `leaf-${orgId}`);
      await mkdir(leafDir, { recursive: true, mode: 0o700 });
      const leafClientPort = await freePort();
      const leafConfig = join(leafDir, "nats.conf");
      await writeFile(
        leafConfig,
        generateLeafNodeConfig({
          network: opts.network,
          orgId,
          hubUrls: [`nats://127.0.0.1:${leafPort}`],
          password,
          listen: `127.0.0.1:${leafClientPort}`,
        }),
        { mode: 0o600 },
      );
      leaves.set(
        orgId,
        await NatsServer.start({
          dir: leafDir,
          port: leafClientPort,
          configFile: leafConfig,
          jetstream: false,
          detached: opts.detached,
        }),
      );
    }
  } catch (err) {
    for (const leaf of leaves.values()) await leaf.cleanup().catch(() => undefined);
    await hub.cleanup().catch(() => undefined);
    throw err;
  }
  return { hub, leaves, admin, jsDomain: HUB_JS_DOMAIN };
}
