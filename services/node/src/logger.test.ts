import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppContext } from "./context.ts";
import { createLogger } from "./logger.ts";
import { buildServer, type NodeServer } from "./server.ts";
import { createTestWorld, ORIGIN, type TestWorld } from "./test-support.ts";

const lines: string[] = [];
const sink = new Writable({
  write(chunk, _enc, done) {
    lines.push(String(chunk));
    done();
  },
});

let world: TestWorld;
let node: AppContext;
let app: NodeServer;
let token: string;

beforeAll(async () => {
  world = await createTestWorld();
  node = await world.node(ORIGIN, {
    logger: createLogger({ level: "debug", orgId: ORIGIN, destination: sink }),
  });
  app = await buildServer(node);
  token = (await world.staff(node)).token;
});
afterAll(async () => {
  await app?.close();
  await world?.close();
});

describe("logs", () => {
  it("carry neither GET variables (a person's data may be in them) nor the bearer token", async () => {
    const query = encodeURIComponent("query($id: ID!) { referral(id: $id) { id } }");
    const variables = encodeURIComponent(JSON.stringify({ id: "Zuwenaya-Okonkwo-Marlowe" }));
    const res = await app.inject({
      method: "GET",
      url: `/graphql?query=${query}&variables=${variables}`,
      headers: { authorization: `Bearer ${token}`, accept: "application/graphql-response+json" },
    });
    expect(res.statusCode).toBe(200);
    const text = lines.join("");
    expect(text).toContain('"url":"/graphql"');
    expect(text).not.toContain("Zuwenaya");
    expect(text).not.toContain(token);
  });

  it("redact an authorization header whatever logs it", () => {
    const before = lines.length;
    node.logger.info({ headers: { authorization: `Bearer ${token}` } }, "a request");
    const text = lines.slice(before).join("");
    expect(text).toContain("[redacted]");
    expect(text).not.toContain(token);
  });
});
