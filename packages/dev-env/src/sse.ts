// GraphQL subscriptions over Server-Sent Events, as graphql-yoga serves them ("distinct connections"
// mode: one POST per subscription, `event: next` / `event: complete` frames).
import type { GraphQLResponseError } from "./errors.ts";
import { DevEnvError } from "./errors.ts";

export interface SubscriptionResult<TData = unknown> {
  data?: TData | null;
  errors?: GraphQLResponseError[];
}

export interface GqlSubscription {
  /** Ends the subscription (closes the HTTP request). */
  close(): void;
  /** Settles when the stream ends: resolves on `complete` or close(), rejects on a broken stream. */
  readonly done: Promise<void>;
}

export interface SubscribeRequest {
  url: string;
  query: string;
  variables?: Record<string, unknown>;
  token?: string | undefined;
  /** How long to wait for the server's first frame; default 10 s. */
  connectTimeoutMs?: number;
}

/**
 * Opens a subscription and resolves once the server has sent its first frame. graphql-yoga starts
 * pulling the source stream before it sends anything, so an event published after this resolves is
 * not missed: callers can subscribe, then act, then wait for the event.
 */
export async function subscribeSse<TData = unknown>(
  req: SubscribeRequest,
  onResult: (result: SubscriptionResult<TData>) => void,
): Promise<GqlSubscription> {
  const abort = new AbortController();
  const headers: Record<string, string> = {
    "content-type": "application/json",
    accept: "text/event-stream",
  };
  if (req.token) headers.authorization = `Bearer ${req.token}`;
  const connectTimer = setTimeout(
    () => abort.abort(new Error("no first frame in time")),
    req.connectTimeoutMs ?? 10_000,
  );
  let res: Response;
  try {
    res = await fetch(req.url, {
      method: "POST",
      headers,
      body: JSON.stringify({ query: req.query, variables: req.variables ?? {} }),
      signal: abort.signal,
    });
  } catch (err) {
    clearTimeout(connectTimer);
    throw new DevEnvError("ERR_HTTP", `subscription request failed: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const type = res.headers.get("content-type") ?? "";
  if (!res.ok || !type.includes("text/event-stream") || !res.body) {
    clearTimeout(connectTimer);
    const body = await res.text().catch(() => "");
    abort.abort();
    throw new DevEnvError(
      "ERR_HTTP",
      `subscription refused: HTTP ${res.status} ${type} ${body.slice(0, 300)}`,
    );
  }

  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  let gotFrame = false;
  let firstFrame: (() => void) | undefined;
  const opened = new Promise<void>((resolve) => {
    firstFrame = resolve;
  });
  let closedByUs = false;

  const dispatch = (frame: string): "complete" | undefined => {
    let event = "message";
    const data: string[] = [];
    for (const line of frame.split("\n")) {
      if (line === "" || line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon === -1 ? line : line.slice(0, colon);
      const value = colon === -1 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (field === "event") event = value;
      else if (field === "data") data.push(value);
    }
    if (event === "complete") return "complete";
    if (event === "next" && data.length > 0) {
      onResult(JSON.parse(data.join("\n")) as SubscriptionResult<TData>);
    }
    return undefined;
  };

  const done = (async () => {
    try {
      for (;;) {
        const { value, done: ended } = await reader.read();
        if (ended) return;
        gotFrame = true;
        firstFrame?.();
        buffer += decoder.decode(value, { stream: true });
        let cut = buffer.indexOf("\n\n");
        while (cut !== -1) {
          const frame = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          if (dispatch(frame) === "complete") return;
          cut = buffer.indexOf("\n\n");
        }
      }
    } catch (err) {
      if (closedByUs) return;
      throw err;
    } finally {
      clearTimeout(connectTimer);
      firstFrame?.();
      abort.abort();
    }
  })();
  // The caller may never look at `done`; an unobserved rejection must not crash the process.
  done.catch(() => undefined);

  await Promise.race([opened, done]);
  clearTimeout(connectTimer);
  if (!gotFrame) {
    abort.abort();
    throw new DevEnvError("ERR_HTTP", "the subscription stream sent nothing in time, or ended at once");
  }
  return {
    close() {
      closedByUs = true;
      abort.abort();
    },
    done,
  };
}
