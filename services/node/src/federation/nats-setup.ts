// Creates (idempotently) the JetStream resources a node needs, exactly as docs/protocol.md §3 fixes
// them, so that any node of the network can be the first to start.
import {
  AckPolicy,
  DeliverPolicy,
  JetStreamApiError,
  type JetStreamClient,
  type JetStreamManager,
  RetentionPolicy,
  StorageType,
} from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import {
  directoryBucketName,
  inboxConsumerName,
  inboxStreamName,
  inboxSubject,
  trustBucketName,
} from "@refnet/protocol";

const NANOS_PER_MS = 1_000_000;
/** JetStream de-duplication window; the protocol asks for at least 2 minutes. */
export const DUPLICATE_WINDOW_MS = 2 * 60 * 1000;

export interface InboxSetupOptions {
  network: string;
  orgId: string;
  /** How long JetStream waits for an ack before it redelivers (a crash between store and ack). */
  ackWaitMs: number;
}

export async function ensureInboxStream(jsm: JetStreamManager, network: string): Promise<void> {
  const name = inboxStreamName(network);
  const config = {
    name,
    subjects: [`refnet.${network}.inbox.>`],
    retention: RetentionPolicy.Workqueue,
    storage: StorageType.File,
    duplicate_window: DUPLICATE_WINDOW_MS * NANOS_PER_MS,
  };
  try {
    const info = await jsm.streams.info(name);
    // A stream made with other settings would silently break delivery guarantees: refuse to run on it.
    const c = info.config;
    if (
      c.retention !== config.retention ||
      c.storage !== config.storage ||
      c.duplicate_window < config.duplicate_window ||
      !config.subjects.every((s) => c.subjects?.includes(s))
    ) {
      throw new Error(
        `JetStream stream ${name} exists with settings other than docs/protocol.md §3 requires ` +
          "(work-queue retention, file storage, duplicate window of at least 2 minutes)",
      );
    }
    return;
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  try {
    await jsm.streams.add(config);
  } catch (err) {
    if (err instanceof Error && /permission/i.test(err.message)) {
      throw new Error(
        `JetStream stream ${name} does not exist and this node's NATS user may not create it: ` +
          "the network admin creates the stream and the KV buckets before nodes start (infra/nats/README.md)",
      );
    }
    // Another node created it between our info and add: identical config is fine.
    if (err instanceof JetStreamApiError && (await streamExists(jsm, name))) return;
    throw err;
  }
}

export async function ensureInboxConsumer(jsm: JetStreamManager, opts: InboxSetupOptions): Promise<string> {
  const stream = inboxStreamName(opts.network);
  const name = inboxConsumerName(opts.orgId);
  const config = {
    durable_name: name,
    filter_subject: inboxSubject(opts.network, opts.orgId),
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: opts.ackWaitMs * NANOS_PER_MS,
    // Unlimited redelivery: a message is only ever removed by our explicit ack, after it is stored.
    max_deliver: -1,
    max_ack_pending: 1000,
  };
  try {
    const info = await jsm.consumers.info(stream, name);
    if (info.config.ack_wait !== config.ack_wait) {
      await jsm.consumers.update(stream, name, { ack_wait: config.ack_wait });
    }
    return name;
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  await jsm.consumers.add(stream, config);
  return name;
}

/** The trust list and directory buckets; every node may create them, admins publish into the first. */
export async function ensureBuckets(nc: NatsConnection | JetStreamClient, network: string) {
  // A JetStream client carries the hub's domain when there is one; a connection means no domain.
  const kvm = new Kvm(nc);
  const trust = await kvm.create(trustBucketName(network), { history: 16, storage: StorageType.File });
  const directory = await kvm.create(directoryBucketName(network), { history: 4, storage: StorageType.File });
  return { trust, directory };
}

async function streamExists(jsm: JetStreamManager, name: string): Promise<boolean> {
  try {
    await jsm.streams.info(name);
    return true;
  } catch {
    return false;
  }
}

function isNotFound(err: unknown): boolean {
  if (err instanceof JetStreamApiError) {
    return err.status === 404 || /not found/i.test(err.message);
  }
  return err instanceof Error && /not found/i.test(err.message);
}
