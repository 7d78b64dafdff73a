// The node's logger. Logs never carry a person's data, a token or a key: request URLs lose their
// query string (a GET GraphQL request carries its variables there) and credentials are redacted.
import pino, { type DestinationStream, type Logger } from "pino";
import type { LogLevel } from "./config.ts";

export function createLogger(opts: {
  level: LogLevel;
  orgId: string;
  destination?: DestinationStream;
}): Logger {
  return pino(
    {
      level: opts.level,
      base: { org: opts.orgId },
      redact: {
        paths: [
          "req.headers.authorization",
          "req.headers.cookie",
          "headers.authorization",
          "headers.cookie",
          "authorization",
          "*.authorization",
          "token",
          "*.token",
          "password",
          "*.password",
        ],
        censor: "[redacted]",
      },
      serializers: {
        req: (req: { method?: string; url?: string; id?: string }) => ({
          method: req.method,
          url: typeof req.url === "string" ? req.url.split("?")[0] : undefined,
          id: req.id,
        }),
      },
    },
    opts.destination,
  );
}
