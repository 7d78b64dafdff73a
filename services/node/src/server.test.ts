// A running node (listening on a free port, a real nats-server): readiness, the GraphQL-over-HTTP
// audits of graphql-http, live events over SSE, and a graceful stop.
import { NatsServer } from "@refnet/dev-env";
import { serverAudits } from "graphql-http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createStaff } from "./auth.ts";
import { type RunningNode, startNode } from "./server.ts";
import {
  createTestWorld,
  draftInput,
  ORIGIN,
  SHELTER_B,
  silentLogger,
  type TestWorld,
} from "./test-support.ts";

let world: TestWorld;
let nats: NatsServer;
let node: RunningNode;
let token: string;

beforeAll(async () => {
  world = await createTestWorld();
  nats = await NatsServer.start();
  const config = await world.prepare(ORIGIN, { REFNET_HTTP_PORT: "0", REFNET_NATS_URL: nats.url });
  node = await startNode(config, { logger: silentLogger(), sweepIntervalMs: 50 });
  token = (await createStaff(node.ctx.db, { username: "auditor", role: "caseworker" })).token;
});
afterAll(async () => {
  await node?.stop();
  await nats?.cleanup();
  await world?.close();
});

async function waitFor(check: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("timed out");
}

describe("a running node", () => {
  it("listens on the port it was given (0: a free one) and becomes ready once NATS is connected", async () => {
    expect(node.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(node.graphqlUrl).toBe(`${node.url}/graphql`);
    await waitFor(async () => (await fetch(`${node.url}/readyz`)).status === 200);
    const body = await (await fetch(`${node.url}/readyz`)).json();
    expect(body).toMatchObject({ ready: true, database: true, nats: true, reasons: [] });
    expect((await fetch(`${node.url}/healthz`)).status).toBe(200);
  });

  it("passes every MUST of the GraphQL-over-HTTP audits (with a staff token)", async () => {
    const authorised: typeof fetch = (input, init = {}) => {
      const headers = new Headers(init.headers);
      headers.set("authorization", `Bearer ${token}`);
      return fetch(input, { ...init, headers });
    };
    const audits = serverAudits({ url: node.graphqlUrl, fetchFn: authorised });
    const failures: string[] = [];
    let must = 0;
    for (const audit of audits) {
      const result = await audit.fn();
      if (!audit.name.startsWith("MUST")) continue;
      must++;
      if (result.status !== "ok") failures.push(`${audit.name}: ${result.reason}`);
    }
    expect(must).toBeGreaterThan(10);
    expect(failures).toEqual([]);
  });

  const gql = async (query: string, variables: Record<string, unknown>) =>
    (
      await fetch(node.graphqlUrl, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify({ query, variables }),
      })
    ).json();

  /** Drafts a referral through GraphQL; its id. */
  const draftOne = async (): Promise<string> => {
    const input = draftInput(world.clock);
    const draft = await gql(`mutation($input: DraftReferralInput!) { draftReferral(input: $input) { id } }`, {
      input: {
        ...input,
        urgency: "URGENT",
        services: ["SHELTER", "MEDICAL"],
        respondBy: new Date(input.respondBy).toISOString(),
        subject: { ...input.subject, ageBand: "AGE_26_59" },
        consent: {
          ...input.consent,
          scopes: ["IDENTITY"],
          purposes: ["SHELTER", "MEDICAL"],
          method: "WRITTEN",
          expiresAt: new Date(input.consent.expiresAt).toISOString(),
        },
      },
    });
    return draft.data.draftReferral.id as string;
  };

  it("streams referral events over SSE, filtered by referral", async () => {
    const abort = new AbortController();
    const res = await fetch(node.graphqlUrl, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "text/event-stream",
        authorization: `Bearer ${token}`,
      },
      body: JSON.stringify({
        query: "subscription { referralEvents { referralId kind status actorOrgId } }",
      }),
      signal: abort.signal,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/text\/event-stream/);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    const events: { kind: string; referralId: string; status: string }[] = [];
    const reading = (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += decoder.decode(value, { stream: true });
        for (const m of buffer.matchAll(/event: next\ndata: (.*)\n/g)) {
          events.push(JSON.parse(m[1]!).data.referralEvents);
        }
        buffer = buffer.slice(buffer.lastIndexOf("\n\n") + 2);
        if (events.length >= 2) return;
      }
    })();
    // Give the subscription a moment to be registered before acting.
    await new Promise((r) => setTimeout(r, 200));
    const id = await draftOne();
    await gql("mutation($id: ID!) { sendReferral(id: $id) { id } }", { id });
    await reading;
    abort.abort();
    expect(events).toEqual([
      { referralId: id, kind: "created", status: "DRAFT", actorOrgId: ORIGIN },
      { referralId: id, kind: "sent", status: "SENT", actorOrgId: ORIGIN },
    ]);
  });

  it("serves Prometheus metrics: aggregate counts with closed label values only", async () => {
    const res = await fetch(`${node.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(text).toMatch(/^refnet_ready 1$/m);
    expect(text).toMatch(/^refnet_trust_list_version 1$/m);
    // The SSE test above drafted and sent one referral.
    expect(text).toMatch(/^refnet_referrals\{direction="outgoing",state="(sent|delivered)"\} 1$/m);
    expect(text).toMatch(/^# TYPE refnet_outbox_messages gauge$/m);
    // Every sample line is `name{label="closed value",...} number`: no free text, ids or references.
    for (const line of text.split("\n").filter((l) => l && !l.startsWith("#"))) {
      expect(line).toMatch(/^refnet_[a-z_]+(\{([a-z_]+="[a-z0-9_.-]+",?)+\})? \d+(\.\d+)?$/);
    }
  });

  it("asks for the metrics token when one is configured", async () => {
    const metricsToken = "m".repeat(24);
    const guarded = await startNode(
      await world.prepare(SHELTER_B, {
        REFNET_HTTP_PORT: "0",
        REFNET_NATS_URL: nats.url,
        REFNET_METRICS_TOKEN: metricsToken,
      }),
      { logger: silentLogger() },
    );
    try {
      expect((await fetch(`${guarded.url}/metrics`)).status).toBe(401);
      const wrong = await fetch(`${guarded.url}/metrics`, { headers: { authorization: "Bearer nope" } });
      expect(wrong.status).toBe(401);
      const right = await fetch(`${guarded.url}/metrics`, {
        headers: { authorization: `Bearer ${metricsToken}` },
      });
      expect(right.status).toBe(200);
      expect(await right.text()).toContain("# TYPE refnet_ready gauge");
    } finally {
      await guarded.stop();
    }
  });

  it("refuses a subscription without a token", async () => {
    const res = await fetch(node.graphqlUrl, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "text/event-stream" },
      body: JSON.stringify({ query: "subscription { referralEvents { kind } }" }),
    });
    const text = await res.text();
    expect(text).toContain("ERR_UNAUTHENTICATED");
    expect(text).not.toContain('event: next\ndata: {"data"');
  });

  it("stops gracefully, and only once", async () => {
    const second = await startNode(
      await world.prepare("shelter-alpha", { REFNET_HTTP_PORT: "0", REFNET_NATS_URL: nats.url }),
      {
        logger: silentLogger(),
      },
    );
    const url = second.url;
    await Promise.all([second.stop(), second.stop()]);
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });
});
