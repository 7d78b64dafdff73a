// `npm run bench`: the two-node handoff benchmark (docs/performance.md).
//
// 1. Crypto-only ceiling: seal and open of the same messages a handoff needs (an offer one way, a
//    receipt the other), on one core, no database and no broker.
// 2. Raw JetStream publish with ack of envelopes of the same size, in sequence and pipelined.
// 3. Handoffs through two real node processes and a real nats-server: an offer drafted and sent through
//    GraphQL at the origin, stored at the shelter, and its receipt back at the origin ("delivered").
//    Throughput flat out, and latency p50/p95/p99 at a fixed 100 referrals/s.
// 4. Each node's resident memory and its time to ready.
// 5. Revocation: on five node processes, the time from the KV write of a new trust list (suspending
//    and restoring a partner, then revoking it) until every node has it in force (docs/protocol.md §6).
import { readFileSync } from "node:fs";
import os from "node:os";
import { performance } from "node:perf_hooks";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { connect } from "@nats-io/transport-node";
import { NatsServer, TestNetwork } from "@refnet/dev-env";
import {
  inboxSubject,
  type OpenContext,
  type OutgoingMessage,
  openEnvelope,
  sealEnvelope,
  TRUST_LIST_KEY,
  trustBucketName,
} from "@refnet/protocol";
import {
  buildNextTrustList,
  canonicalTrustListJson,
  coSignTrustList,
  createTestNetworkTrust,
  signTrustList,
  TrustList,
  type TrustListPayload,
} from "@refnet/trust";
import { importJWK } from "jose";
import { DRAFT, NETWORK_ORGS, ORIGIN, referralInput, SEND, SHELTER_A } from "../helpers.ts";

const NETWORK = "bench-net";
const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, "").split("=") as [string, string]));
const CRYPTO_N = Number(args.get("crypto") ?? 400);
const WARMUP_N = Number(args.get("warmup") ?? 2000);
const FLAT_N = Number(args.get("handoffs") ?? 600);
const PACED_N = Number(args.get("paced") ?? 500);
const PACED_RATE = Number(args.get("rate") ?? 100);

/** CPU time (user + system, ms) a process has used so far, from /proc; all its threads. */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  // utime and stime, in clock ticks (100 per second on Linux).
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
const fmt = (n: number, d = 1) => n.toFixed(d);

async function cryptoCeiling() {
  const now = Math.floor(Date.now() / 1000);
  const fx = await createTestNetworkTrust({
    network: NETWORK,
    orgs: NETWORK_ORGS.slice(0, 2),
    nowSeconds: now,
  });
  const list = await TrustList.create(fx.payload, fx.signed);
  const keysOf = async (org: string) => ({
    sig: {
      kid: fx.orgKeys[org]!.sig.kid,
      key: (await importJWK(fx.orgKeys[org]!.sig.privateJwk, "EdDSA")) as CryptoKey,
    },
    enc: (await importJWK(fx.orgKeys[org]!.enc.privateJwk, "ECDH-ES+A256KW")) as CryptoKey,
    encKid: fx.orgKeys[org]!.enc.kid,
    encPub: { kid: fx.orgKeys[org]!.enc.kid, key: fx.orgKeys[org]!.enc.publicJwk },
  });
  const o = await keysOf(ORIGIN);
  const s = await keysOf(SHELTER_A);
  const ctxFor = (self: string, k: typeof o): OpenContext => ({
    self,
    network: NETWORK,
    nowSeconds: () => Math.floor(Date.now() / 1000),
    decryptionKey: async (kid) => (kid === k.encKid ? k.enc : undefined),
    signerKey: async (kid) => list.signerKey(kid),
    trustVersion: () => list.version,
    isReplay: async () => false,
  });
  const input = referralInput(SHELTER_A);
  const subject = {
    ref: "p-bench-0001",
    languages: input.subject.languages,
    ageBand: "26-59" as const,
    givenName: input.subject.givenName,
    familyName: input.subject.familyName,
    nationality: input.subject.nationality,
    documents: input.subject.documents,
    phone: input.subject.phone,
    email: input.subject.email,
    currentLocation: input.subject.currentLocation,
    health: input.subject.health,
  };
  const offer = (i: number): OutgoingMessage<"referral.offer"> => {
    const id = `bench-referral-${String(i).padStart(8, "0")}`;
    return {
      type: "referral.offer",
      aud: SHELTER_A,
      thid: id,
      consent: {
        id: `bench-consent-${String(i).padStart(8, "0")}`,
        subjectRef: subject.ref,
        scopes: ["identity", "contact", "health"],
        purposes: ["shelter", "medical"],
        recipients: [SHELTER_A],
        grantedAt: now - 60,
        expiresAt: now + 86400 * 365,
        method: "written",
        language: "en",
        textVersion: "v3",
      },
      body: {
        referral: { id, urgency: "urgent", services: ["shelter", "medical"], summary: input.summary },
        subject,
      },
    };
  };
  const sealOpts = (from: typeof o, fromOrg: string, to: typeof o) => ({
    iss: fromOrg,
    signingKey: from.sig,
    recipientKey: to.encPub,
    trustVersion: list.version,
    nowSeconds: Math.floor(Date.now() / 1000),
  });
  // warm-up
  for (let i = 0; i < 50; i++) {
    const { envelope } = await sealEnvelope(offer(i), sealOpts(o, ORIGIN, s));
    await openEnvelope(envelope, inboxSubject(NETWORK, SHELTER_A), ctxFor(SHELTER_A, s));
  }
  // The ceiling is the best of three rounds: a shared machine can only make a round slower.
  let best = 0;
  let bytes = 0;
  for (let round = 0; round < 3; round++) {
    bytes = 0;
    const t0 = performance.now();
    for (let i = 0; i < CRYPTO_N; i++) {
      const sealed = await sealEnvelope(offer(i), sealOpts(o, ORIGIN, s));
      bytes += sealed.envelope.length;
      const opened = await openEnvelope(
        sealed.envelope,
        inboxSubject(NETWORK, SHELTER_A),
        ctxFor(SHELTER_A, s),
      );
      if (!opened.ok) throw new Error(`bench offer refused: ${opened.code}`);
      const receipt = await sealEnvelope(
        {
          type: "message.receipt",
          aud: ORIGIN,
          thid: sealed.claims.thid,
          body: { ack: [sealed.claims.jti] },
        },
        sealOpts(s, SHELTER_A, o),
      );
      const back = await openEnvelope(receipt.envelope, inboxSubject(NETWORK, ORIGIN), ctxFor(ORIGIN, o));
      if (!back.ok) throw new Error(`bench receipt refused: ${back.code}`);
    }
    best = Math.max(best, CRYPTO_N / ((performance.now() - t0) / 1000));
  }
  const envelopeBytes = Math.round(bytes / CRYPTO_N);
  const { envelope } = await sealEnvelope(offer(0), sealOpts(o, ORIGIN, s));
  return { handoffsPerSec: best, envelopeBytes, sample: envelope };
}

async function rawJetStream(sample: string) {
  const server = await NatsServer.start({ port: 0 });
  try {
    const nc = await connect({ servers: server.url });
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: "bench", subjects: ["bench.>"] });
    const js = jetstream(nc);
    const N = 2000;
    let t0 = performance.now();
    for (let i = 0; i < N; i++) await js.publish("bench.x", sample, { msgID: `s-${i}` });
    const sequential = N / ((performance.now() - t0) / 1000);
    t0 = performance.now();
    await Promise.all(
      Array.from({ length: N }, (_, i) => js.publish("bench.y", sample, { msgID: `p-${i}` })),
    );
    const pipelined = N / ((performance.now() - t0) / 1000);
    await nc.close();
    return { sequential, pipelined };
  } finally {
    await server.stop();
    await server.cleanup();
  }
}

async function handoffs() {
  const t0 = performance.now();
  const net = await TestNetwork.start({
    network: NETWORK,
    orgs: NETWORK_ORGS.slice(0, 2),
    nodeMode: "process",
    logLevel: "warn",
  });
  const startupMs = performance.now() - t0;
  try {
    const readyMs = net.readyTimes?.() ?? {};
    const sendOne = async (): Promise<{ id: string; sentAt: number }> => {
      const draft = await net.gql(ORIGIN, DRAFT, { input: referralInput(SHELTER_A) });
      const id = (draft.data as { draftReferral: { id: string } }).draftReferral.id;
      const sentAt = performance.now();
      await net.gql(ORIGIN, SEND, { id });
      return { id, sentAt };
    };
    // Delivery is observed through the origin's live event stream (SSE), as a caseworker's screen would.
    const delivered = await net.subscribeDelivered(ORIGIN);
    try {
      const concurrency = Number(args.get("concurrency") ?? 64);
      /** `n` handoffs by `concurrency` caseworker sessions sending back to back. */
      const sessions = async (n: number) => {
        let next = 0;
        await Promise.all(
          Array.from({ length: concurrency }, async () => {
            while (next < n) {
              next++;
              const r = await sendOne();
              await delivered.wait(r.id);
            }
          }),
        );
      };
      // Warm-up: a node that has been running has its hot code optimised by V8; a fresh one needs a
      // couple of thousand handoffs to get there (about 1.5 times slower at first), and the crypto
      // ceiling is likewise measured warm.
      await sessions(WARMUP_N);

      // Flat out. Who spends the machine's CPU meanwhile: each node, nats-server, and this process
      // (the caseworker sessions).
      const pids: Record<string, number> = Object.fromEntries(
        net.nodes().flatMap((n) => (n.pid !== undefined ? [[n.orgId, n.pid]] : [])),
      );
      if (net.nats.pid !== undefined) pids["nats-server"] = net.nats.pid;
      const cpuBefore = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuMs(pid)]));
      const clientBefore = process.cpuUsage();
      const tFlat = performance.now();
      await sessions(FLAT_N);
      const flatSecs = (performance.now() - tFlat) / 1000;
      const throughput = FLAT_N / flatSecs;
      const client = process.cpuUsage(clientBefore);
      const cpuPerHandoff: Record<string, number> = {
        ...Object.fromEntries(
          Object.entries(pids).map(([k, pid]) => [k, (cpuMs(pid) - cpuBefore[k]!) / FLAT_N]),
        ),
        "bench client": (client.user + client.system) / 1000 / FLAT_N,
      };

      // Paced at PACED_RATE/s: latency from "send" to "delivered" back at the origin.
      const lat: number[] = [];
      const tPaced = performance.now();
      const pending: Promise<void>[] = [];
      for (let i = 0; i < PACED_N; i++) {
        const due = tPaced + (i * 1000) / PACED_RATE;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        pending.push(
          (async () => {
            const draft = await net.gql(ORIGIN, DRAFT, { input: referralInput(SHELTER_A) });
            const id = (draft.data as { draftReferral: { id: string } }).draftReferral.id;
            const t = performance.now();
            await net.gql(ORIGIN, SEND, { id });
            await delivered.wait(id);
            lat.push(performance.now() - t);
          })(),
        );
      }
      await Promise.all(pending);
      lat.sort((a, b) => a - b);
      const memory = await net.residentMemory();
      return { throughput, lat, memory, startupMs, readyMs, cpuPerHandoff, flatSecs };
    } finally {
      delivered.close();
    }
  } finally {
    await net.stop();
  }
}

const REVOCATION_ROUNDS = Number(args.get("revocations") ?? 7);

async function revocation() {
  const orgs = [
    ...NETWORK_ORGS,
    { orgId: "legal-east", name: "Legal Aid East", country: "RO", roles: ["origin" as const] },
    { orgId: "shelter-gamma", name: "Gamma Refuge", country: "GR", roles: ["destination" as const] },
  ];
  const target = "shelter-gamma";
  const net = await TestNetwork.start({ network: NETWORK, orgs, nodeMode: "process", logLevel: "warn" });
  const nc = await connect({ servers: net.nats.url });
  try {
    const kv = await new Kvm(nc).open(trustBucketName(NETWORK));
    let payload: TrustListPayload = net.trust.payload;
    const worst: number[] = [];
    for (let round = 0; round < REVOCATION_ROUNDS; round++) {
      // Revocation is final, so the rounds before the last suspend and restore the same partner (the
      // same path through every node: a new list, a partner's status changed) and the last revokes it.
      const kind = round === REVOCATION_ROUNDS - 1 ? "revoke" : round % 2 === 0 ? "suspend" : "restore";
      const next = await buildNextTrustList(
        payload,
        [{ kind, orgId: target }],
        Math.floor(Date.now() / 1000),
      );
      const keys = net.trust.adminKeys;
      let signed = await signTrustList(next, [keys[round % 3]!.privateJwk]);
      signed = await coSignTrustList(signed, keys[(round + 1) % 3]!.privateJwk);
      payload = next;
      // Each node is asked for the version in force (/readyz) as fast as it answers, from the moment
      // of the write until it shows the new one.
      const applied = new Map<string, number>();
      const t0 = performance.now();
      const put = kv.put(TRUST_LIST_KEY, canonicalTrustListJson(signed));
      await Promise.all(
        net.nodes().map(async (n) => {
          while (performance.now() - t0 < 10_000) {
            const r = (await (await fetch(`${n.url}/readyz`)).json()) as { trust: { version: number } };
            if (r.trust.version === next.version) {
              applied.set(n.orgId, performance.now() - t0);
              return;
            }
            await new Promise((r) => setTimeout(r, 2));
          }
          throw new Error(`${n.orgId} did not apply trust list version ${next.version} within 10 s`);
        }),
      );
      await put;
      worst.push(Math.max(...applied.values()));
    }
    worst.sort((a, b) => a - b);
    return { worst, nodes: orgs.length };
  } finally {
    await nc.close();
    await net.stop();
  }
}

async function main() {
  if (args.get("only") === "revocation") {
    const rev = await revocation();
    console.log(`revocation: ${rev.worst.map((w) => fmt(w)).join(", ")} ms (worst node per list)`);
    return;
  }
  console.log("refnet bench: two-node handoff (origin → shelter offer, receipt back)\n");
  const crypto = await cryptoCeiling();
  console.log(
    `crypto-only ceiling   ${fmt(crypto.handoffsPerSec)} handoffs/s (seal+open of offer and receipt, one core, best of 3 rounds; envelope ${crypto.envelopeBytes} B)`,
  );
  const raw = await rawJetStream(crypto.sample);
  console.log(
    `raw JetStream publish ${fmt(raw.sequential, 0)} msg/s in sequence, ${fmt(raw.pipelined, 0)} msg/s pipelined`,
  );
  const h = await handoffs();
  const ratio = h.throughput / crypto.handoffsPerSec;
  console.log(
    `handoffs              ${fmt(h.throughput)} handoffs/s flat out (${fmt(ratio, 2)} of the crypto ceiling)`,
  );
  console.log(
    `latency @${PACED_RATE}/s       p50 ${fmt(pct(h.lat, 50))} ms  p95 ${fmt(pct(h.lat, 95))} ms  p99 ${fmt(pct(h.lat, 99))} ms  (${h.lat.length} referrals, send → delivered)`,
  );
  const cpuTotal = Object.values(h.cpuPerHandoff).reduce((a, b) => a + b, 0);
  console.log(
    `cpu per handoff       ${Object.entries(h.cpuPerHandoff)
      .map(([k, ms]) => `${k} ${fmt(ms, 2)} ms`)
      .join(
        ", ",
      )}; ${fmt(cpuTotal, 1)} ms in all: ${os.availableParallelism()} cores allow at most ${fmt((os.availableParallelism() * 1000) / cpuTotal)} handoffs/s`,
  );
  for (const [org, rss] of Object.entries(h.memory)) {
    console.log(`resident memory       ${org}: ${fmt(rss / 1024 / 1024)} MB`);
  }
  for (const [org, ms] of Object.entries(h.readyMs)) {
    console.log(`ready in              ${org}: ${fmt(ms as number, 0)} ms (process start → /readyz 200)`);
  }
  const rev = await revocation();
  console.log(
    `revocation            every one of ${rev.nodes} nodes has the new list ${fmt(pct(rev.worst, 50))} ms (median) / ${fmt(rev.worst.at(-1)!)} ms (worst) after the KV write (${rev.worst.length} lists: suspend, restore, …, revoke)`,
  );
  const checks = [
    ["throughput ≥ 0.7 of crypto ceiling", ratio >= 0.7],
    [`p99 < 50 ms at ${PACED_RATE}/s`, pct(h.lat, 99) < 50],
    ["resident memory < 200 MB per node", Object.values(h.memory).every((m) => m < 200 * 1024 * 1024)],
    ["ready < 2 s", Object.values(h.readyMs).every((m) => (m as number) < 2000)],
    ["revocation in force on every node < 1 s", rev.worst.at(-1)! < 1000],
  ] as const;
  console.log("");
  for (const [name, ok] of checks) console.log(`${ok ? "PASS" : "MISS"}  ${name}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
