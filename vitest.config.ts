import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["packages/*/src/**/*.test.ts", "services/*/src/**/*.test.ts", "tests/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Cross-node scenarios start their own nats-server and nodes; on two cores they run one file at a time.
    fileParallelism: false,
    pool: "forks",
  },
});
