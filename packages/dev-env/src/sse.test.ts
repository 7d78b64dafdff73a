// The SSE client against a real HTTP server speaking graphql-yoga's framing (ping, `event: next`,
// `event: complete`), with frames split across TCP writes the way a busy server sends them.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { DevEnvError } from "./errors.ts";
import { type SubscriptionResult, subscribeSse } from "./sse.ts";
import { waitFor } from "./wait.ts";

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

async function serve(
  handler: (req: IncomingMessage, res: ServerResponse, body: string) => void,
): Promise<string> {
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => {
      body += c.toString("utf8");
    });
    req.on("end", () => handler(req, res, body));
  });
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server!.address() as AddressInfo).port}/graphql`;
}

describe("subscribeSse", () => {
  it("sends the operation with the token, and parses split frames in order until complete", async () => {
    let seen: { auth?: string; accept?: string; body?: unknown } = {};
    let emit: ((chunk: string) => void) | undefined;
    const url = await serve((req, res, body) => {
      seen = { auth: req.headers.authorization, accept: req.headers.accept, body: JSON.parse(body) };
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(":\n\n");
      emit = (chunk) => res.write(chunk);
    });
    const results: SubscriptionResult<{ n: number }>[] = [];
    const sub = await subscribeSse<{ n: number }>(
      { url, query: "subscription { n }", variables: { a: 1 }, token: "rn_test" },
      (r) => results.push(r),
    );
    expect(seen).toEqual({
      auth: "Bearer rn_test",
      accept: "text/event-stream",
      body: { query: "subscription { n }", variables: { a: 1 } },
    });
    emit!('event: next\ndata: {"data":{"n":1}}\n\nevent: ne');
    emit!('xt\ndata: {"data":{"n":2}}\n');
    emit!('\n:\n\nevent: next\ndata: {"errors":[{"message":"x","extensions":{"code":"ERR_FORBIDDEN"}}]}\n\n');
    emit!("event: complete\ndata:\n\n");
    await sub.done;
    expect(results).toEqual([
      { data: { n: 1 } },
      { data: { n: 2 } },
      { errors: [{ message: "x", extensions: { code: "ERR_FORBIDDEN" } }] },
    ]);
  });

  it("close() ends the stream without an error", async () => {
    let closed = false;
    const url = await serve((req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(":\n\n");
      req.socket.on("close", () => {
        closed = true;
      });
    });
    const sub = await subscribeSse({ url, query: "subscription { n }" }, () => {});
    sub.close();
    await sub.done;
    await waitFor(() => closed, { timeoutMs: 2_000, what: "server sees the connection close" });
  });

  it("rejects a response that is not an event stream, with a coded error", async () => {
    const url = await serve((_req, res) => {
      res.writeHead(401, { "content-type": "application/json" });
      res.end('{"errors":[{"message":"A valid staff bearer token is required."}]}');
    });
    const err = await subscribeSse({ url, query: "subscription { n }" }, () => {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DevEnvError);
    expect((err as DevEnvError).code).toBe("ERR_HTTP");
    expect((err as Error).message).toMatch(/HTTP 401/);
  });

  it("rejects when the server sends nothing in time", async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.flushHeaders();
    });
    const err = await subscribeSse(
      { url, query: "subscription { n }", connectTimeoutMs: 200 },
      () => {},
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DevEnvError);
    expect((err as DevEnvError).code).toBe("ERR_HTTP");
  });

  it("reports a stream the server breaks off through done", async () => {
    let res!: ServerResponse;
    const url = await serve((_req, r) => {
      res = r;
      r.writeHead(200, { "content-type": "text/event-stream" });
      r.write(":\n\n");
    });
    const sub = await subscribeSse({ url, query: "subscription { n }" }, () => {});
    res.socket?.destroy();
    // A server that vanishes mid-stream either errors the read or ends it; neither may hang.
    await Promise.race([
      sub.done.catch(() => undefined),
      new Promise((_, reject) => setTimeout(() => reject(new Error("done did not settle")), 5_000)),
    ]);
  });
});
