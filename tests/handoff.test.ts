// A referral travels from an origin NGO to shelters in other countries, through real nodes and a
// real nats-server, on SQLite and on PostgreSQL.
import { readFile } from "node:fs/promises";
import { TestNetwork } from "@refnet/dev-env";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ACCEPT,
  DECLINE,
  filesUnder,
  GET,
  NETWORK_ORGS,
  ORIGIN,
  PERSON,
  PROGRESS,
  type ReferralView,
  SHELTER_A,
  SHELTER_B,
  sendReferral,
  WITHDRAW,
  waitForStatus,
} from "./helpers.ts";

const postgresUrl = process.env.REFNET_TEST_POSTGRES_URL;
const databases: { name: string; database: "sqlite" | { postgresUrl: string } }[] = [
  { name: "SQLite", database: "sqlite" },
];
if (postgresUrl) databases.push({ name: "PostgreSQL", database: { postgresUrl } });
else if (process.env.CI === "true") throw new Error("REFNET_TEST_POSTGRES_URL must be set in CI");

describe.each(databases)("referral handoff on $name", ({ database }) => {
  let net: TestNetwork;

  beforeAll(async () => {
    net = await TestNetwork.start({ orgs: NETWORK_ORGS, database });
  });
  afterAll(async () => {
    await net?.stop();
  });

  it("is accepted, and both sides agree on every state through to completion", async () => {
    const id = await sendReferral(net, SHELTER_A);
    await waitForStatus(net, id, "DELIVERED", [ORIGIN, SHELTER_A]);

    const incoming = await net.gql(SHELTER_A, GET, { id });
    const r = (incoming.data as { referral: ReferralView }).referral;
    expect(r.direction).toBe("INCOMING");
    expect(r.originOrgId).toBe(ORIGIN);
    expect(r.subject.givenName).toBe(PERSON.givenName);
    expect(r.subject.phone).toBe(PERSON.phone);
    // case_notes was not consented to: it never left the origin.
    expect(r.subject.notes).toBeNull();
    expect(r.consent.recipients).toEqual([SHELTER_A]);

    await net.gql(SHELTER_A, ACCEPT, { id, note: "We have a bed" });
    await waitForStatus(net, id, "ACCEPTED", [ORIGIN, SHELTER_A]);
    await net.gql(SHELTER_A, PROGRESS, { id, status: "ARRIVED" });
    await waitForStatus(net, id, "ARRIVED", [ORIGIN, SHELTER_A]);
    await net.gql(SHELTER_A, PROGRESS, { id, status: "IN_PROGRESS" });
    await waitForStatus(net, id, "IN_PROGRESS", [ORIGIN, SHELTER_A]);
    await net.gql(SHELTER_A, PROGRESS, { id, status: "COMPLETED", outcome: "SUCCESSFUL" });
    await waitForStatus(net, id, "COMPLETED", [ORIGIN, SHELTER_A]);

    const origin = (await net.gql(ORIGIN, GET, { id })).data as { referral: ReferralView };
    expect(origin.referral.outcome).toBe("SUCCESSFUL");
    const kinds = origin.referral.timeline.map((e) => e.kind);
    expect(kinds).toEqual(
      expect.arrayContaining([
        "created",
        "sent",
        "delivered",
        "accepted",
        "arrived",
        "in_progress",
        "completed",
      ]),
    );
    // The other shelter never heard of it.
    const other = await net.gql(SHELTER_B, GET, { id });
    expect((other.data as { referral: unknown }).referral).toBeNull();
  });

  it("is declined with a reason, seen on both sides", async () => {
    const id = await sendReferral(net, SHELTER_B);
    await waitForStatus(net, id, "DELIVERED", [ORIGIN, SHELTER_B]);
    await net.gql(SHELTER_B, DECLINE, { id });
    await waitForStatus(net, id, "DECLINED", [ORIGIN, SHELTER_B]);
    const origin = (await net.gql(ORIGIN, GET, { id })).data as { referral: { declineReason: string } };
    expect(origin.referral.declineReason).toBe("LACK_OF_CAPACITY");
  });

  it("is withdrawn by the origin, seen on both sides", async () => {
    const id = await sendReferral(net, SHELTER_A);
    await waitForStatus(net, id, "DELIVERED", [ORIGIN, SHELTER_A]);
    await net.gql(ORIGIN, WITHDRAW, { id });
    await waitForStatus(net, id, "WITHDRAWN", [ORIGIN, SHELTER_A]);
    // A shelter cannot accept a withdrawn referral.
    const res = await net.gql(SHELTER_A, ACCEPT, { id }, { allowErrors: true });
    expect(res.errors?.[0]?.extensions?.code).toBe("ERR_INVALID_STATE");
  });

  it("never puts a byte of the person's data on the broker in clear", async () => {
    // Keep the shelter offline so the envelopes stay in the stream, then read every stored byte.
    await net.stopNode(SHELTER_B);
    const id = await sendReferral(net, SHELTER_B);
    await net.waitFor(async () => (await net.streamMessageCount()) > 0, { timeoutMs: 10_000 });
    const raw = await net.readRawStream();
    expect(raw.length).toBeGreaterThan(0);
    const files = await filesUnder(net.nats.storeDir);
    const blobs = [...raw.map((m) => Buffer.from(m)), ...(await Promise.all(files.map((f) => readFile(f))))];
    for (const blob of blobs) {
      const text = blob.toString("latin1");
      for (const secret of Object.values(PERSON)) {
        expect(text.includes(secret)).toBe(false);
      }
      expect(text.includes("referral.offer")).toBe(false);
    }
    for (const m of raw) {
      // Every message is a compact JWE and nothing else.
      expect(Buffer.from(m).toString("utf8")).toMatch(
        /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/,
      );
    }
    await net.startNode(SHELTER_B);
    await waitForStatus(net, id, "DELIVERED", [ORIGIN, SHELTER_B]);
  });
});
