// Test helper (audit-log.test.ts): a separate process that appends entries to a node's SQLite file,
// one transaction each, while other processes do the same. Prints how many it appended.
import pino from "pino";
import { openDatabase } from "../db/index.ts";
import { AuditLog } from "./audit-log.ts";

const [path, worker, count] = process.argv.slice(2);
const opened = openDatabase({ database: { kind: "sqlite", path: path! } });
const audit = new AuditLog({
  db: opened.db,
  clock: { now: () => Date.now() },
  logger: pino({ level: "silent" }),
  network: "test-net",
  orgId: "ngo-origin",
  // This process holds no key: it never reaches a checkpoint count.
  signingKey: () => {
    throw new Error("no key in this process");
  },
  checkpoints: { everyEntries: 1_000_000, everySeconds: 86_400 },
});
let n = 0;
for (let i = 0; i < Number(count); i++) {
  await audit.record([
    {
      kind: "read",
      actor: { type: "staff", id: `worker-${worker}` },
      referralId: `ref-${worker}-${i}`,
      detail: { fields: ["ageBand"] },
    },
  ]);
  n++;
}
await opened.close();
process.stdout.write(`${n}\n`);
