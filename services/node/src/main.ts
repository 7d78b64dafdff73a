// The node process: configuration from REFNET_* variables, then startNode, until SIGINT or SIGTERM.
import { loadConfig } from "./config.ts";
import { ConfigError } from "./errors.ts";
import { startNode } from "./server.ts";

async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`refnet node: ${err.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
  const node = await startNode(config);
  if (config.unknownVariables.length > 0) {
    node.ctx.logger.warn(
      { variables: config.unknownVariables },
      "unknown REFNET_* variables are ignored (a typo?)",
    );
  }
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    node.ctx.logger.info({ signal }, "stopping");
    // A stuck shutdown must not keep a supervisor waiting forever.
    const force = setTimeout(() => process.exit(1), 15_000);
    force.unref();
    node.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        node.ctx.logger.error({ err: err instanceof Error ? err.name : "unknown" }, "stop failed");
        process.exit(1);
      },
    );
  };
  process.once("SIGINT", () => stop("SIGINT"));
  process.once("SIGTERM", () => stop("SIGTERM"));
}

main().catch((err: unknown) => {
  // Start-up failures (key file, KEK, vault, trust list, database) carry messages written for operators.
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`refnet node: could not start: ${message}\n`);
  // A KEK file that is missing, open to others or malformed is configuration, like a bad variable.
  process.exit(err instanceof ConfigError ? 78 : 1);
});
