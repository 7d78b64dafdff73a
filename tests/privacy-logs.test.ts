// No personal data in logs or metrics: a full handoff with recognisable names, documents and phone
// numbers runs through node processes logging at `trace` and a nats-server tracing every message it
// routes; then every line any of them wrote, and every node's /metrics output, is searched for the
// person's details. Error paths are exercised on purpose (invalid input that contains the data, a GET
// request with the data in its query string, a hostile message in clear text on an inbox), since that
// is where data most often slips into a log.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jetstream } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { TestNetwork } from "@refnet/dev-env";
import { inboxSubject } from "@refnet/protocol";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ACCEPT,
  DECLINE,
  DRAFT,
  filesUnder,
  GET,
  NETWORK_ORGS,
  ORIGIN,
  PERSON,
  PROGRESS,
  referralInput,
  SHELTER_A,
  SHELTER_B,
  sendReferral,
  waitForStatus,
} from "./helpers.ts";

/** Details of another fictional person, sent in clear text by a hostile publisher. */
const HOSTILE = { givenName: "Threnody", familyName: "Vasquez-Ilunga", phone: "+39 333 555 7321" };

/** Every form in which the person's details could show up in a log line. */
function needles(values: string[]): string[] {
  const forms = new Set<string>();
  for (const v of values) {
    forms.add(v);
    forms.add(v.toLowerCase());
    forms.add(JSON.stringify(v).slice(1, -1));
    forms.add(encodeURIComponent(v));
    forms.add(Buffer.from(v).toString("base64"));
  }
  for (const v of values) forms.add(v.replace(/\s+/g, ""));
  return [...forms].filter((f) => f.length >= 6);
}

describe("logs and metrics", () => {
  let root: string;
  let net: TestNetwork;
  const metrics: Record<string, string> = {};

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "refnet-privacy-"));
    net = await TestNetwork.start({
      orgs: NETWORK_ORGS,
      nodeMode: "process",
      logLevel: "trace",
      natsLogging: "trace",
      rootDir: root,
    });

    // The whole life of one referral, and a declined one.
    const id = await sendReferral(net, SHELTER_A);
    await waitForStatus(net, id, "DELIVERED", [ORIGIN, SHELTER_A]);
    await net.gql(SHELTER_A, GET, { id });
    await net.gql(SHELTER_A, ACCEPT, { id, note: "We have a bed" });
    await waitForStatus(net, id, "ACCEPTED", [ORIGIN, SHELTER_A]);
    for (const status of ["ARRIVED", "IN_PROGRESS"]) {
      await net.gql(SHELTER_A, PROGRESS, { id, status });
      await waitForStatus(net, id, status, [ORIGIN, SHELTER_A]);
    }
    await net.gql(SHELTER_A, PROGRESS, { id, status: "COMPLETED", outcome: "SUCCESSFUL" });
    await waitForStatus(net, id, "COMPLETED", [ORIGIN, SHELTER_A]);
    const declined = await sendReferral(net, SHELTER_B);
    await waitForStatus(net, declined, "DELIVERED", [ORIGIN, SHELTER_B]);
    await net.gql(SHELTER_B, DECLINE, { id: declined });
    await waitForStatus(net, declined, "DECLINED", [ORIGIN, SHELTER_B]);

    // Invalid input that carries the person's data: the error must name the field, not echo the value.
    const bad = referralInput(SHELTER_A);
    const invalid = await net.gql(
      ORIGIN,
      DRAFT,
      {
        input: {
          ...bad,
          subject: { ...bad.subject, dateOfBirth: PERSON.givenName, nationality: PERSON.familyName },
        },
      },
      { allowErrors: true },
    );
    expect(invalid.errors?.length).toBeGreaterThan(0);
    expect(JSON.stringify(invalid.errors)).not.toContain(PERSON.givenName);
    expect(JSON.stringify(invalid.errors)).not.toContain(PERSON.familyName);

    // A GET request carries its variables in the URL, which request logging must not keep.
    const origin = net.node(ORIGIN);
    const url = new URL(origin.graphqlUrl);
    url.searchParams.set("query", "query Q($id: ID!) { referral(id: $id) { id } }");
    url.searchParams.set("variables", JSON.stringify({ id: `${PERSON.givenName} ${PERSON.phone}` }));
    const get = await fetch(url, { headers: { authorization: `Bearer ${origin.token}` } });
    expect(get.status).toBe(200);

    // A hostile sender puts clear text about another person on a shelter's inbox: refused and
    // quarantined, never logged by the node (the broker's own trace shows what was published to it).
    const nc = await connect({ servers: net.nats.url });
    try {
      await jetstream(nc).publish(inboxSubject(net.network, SHELTER_A), JSON.stringify(HOSTILE));
    } finally {
      await nc.close();
    }
    await net.waitFor(
      async () => {
        const h = await (await fetch(`${net.node(SHELTER_A).url}/readyz`)).json();
        return (h as { quarantined: number }).quarantined >= 1;
      },
      { timeoutMs: 15_000, intervalMs: 100, what: "the clear-text message quarantined" },
    );

    for (const n of net.nodes()) {
      const res = await fetch(`${n.url}/metrics`);
      expect(res.status).toBe(200);
      metrics[n.orgId] = await res.text();
    }
    // Stop everything so that shutdown lines are written too before the files are read.
    await net.stop();
  }, 240_000);

  afterAll(async () => {
    await net?.stop();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it("wrote real, verbose logs (the search below looks at something)", async () => {
    const natsLog = await readFile(join(root, "nats", "nats-server.log"), "utf8");
    // Protocol tracing shows every message routed to an inbox, payload included.
    expect(natsLog).toMatch(/PUB refnet\.demo-net\.inbox\.shelter-alpha/);
    // ... so clear text published to the broker does show there: the search below would find a leak.
    expect(natsLog).toContain(HOSTILE.givenName);
    for (const orgId of net.orgIds) {
      const log = await readFile(net.node(orgId).logFile, "utf8");
      expect(log).toContain('"msg":"node listening"');
      expect(log.split("\n").length).toBeGreaterThan(20);
    }
    const shelterLog = await readFile(net.node(SHELTER_A).logFile, "utf8");
    expect(shelterLog).toMatch(/"msg":"message refused"/);
    expect(metrics[SHELTER_A]).toMatch(/^refnet_quarantined_messages\{code="[a-z.-]+"\} 1$/m);
    expect(metrics[ORIGIN]).toMatch(/^refnet_referrals\{direction="outgoing",state="completed"\} 1$/m);
  });

  it("holds none of the person's details in any log line or metric", async () => {
    const found: string[] = [];
    const logs = (await filesUnder(root)).filter((f) => f.endsWith(".log"));
    expect(logs.length).toBeGreaterThanOrEqual(net.orgIds.length + 1);
    const sources: [string, string][] = [];
    for (const f of logs) sources.push([f.slice(root.length + 1), await readFile(f, "utf8")]);
    for (const [orgId, text] of Object.entries(metrics)) sources.push([`${orgId} /metrics`, text]);
    const person = needles([
      PERSON.givenName,
      PERSON.familyName,
      PERSON.phone,
      PERSON.passport,
      PERSON.email,
      PERSON.location,
      PERSON.notes,
    ]);
    const hostile = needles(Object.values(HOSTILE));
    for (const [name, text] of sources) {
      const search = name.startsWith("nats/") ? person : [...person, ...hostile];
      for (const needle of search) {
        if (text.includes(needle)) found.push(`${name}: ${JSON.stringify(needle)}`);
      }
    }
    expect(found).toEqual([]);
  });
});
