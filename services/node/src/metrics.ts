// Prometheus metrics of a node (text exposition format 0.0.4), served at /metrics.
//
// Every figure is an aggregate count read from the node's own database or state at scrape time, so
// it survives restarts and needs no in-memory counters. Labels only ever carry closed vocabularies
// (referral states, message types, problem codes, outbox states): never an org's partner list, a
// referral id, a subject reference or any other value that could point at a person.
import { REFERRAL_STATES } from "@refnet/protocol";
import type { AppContext } from "./context.ts";
import { readiness } from "./health.ts";

/** A metric family: HELP, TYPE and its samples. */
interface Family {
  name: string;
  help: string;
  type: "gauge" | "counter";
  samples: { labels?: Record<string, string>; value: number }[];
}

// Closed vocabularies: a label value read from a row is only exported when it is one of these, so a
// corrupted or hostile value can never reach a scraper.
const DIRECTIONS = new Set(["outgoing", "incoming"]);
const STATES: ReadonlySet<string> = new Set(REFERRAL_STATES);
const OUTBOX_STATES = new Set(["pending", "sent", "failed"]);
const MESSAGE_TYPE = /^[a-z]+\.[a-z]+$/;
const PROBLEM_CODE = /^e\.[a-z]+(\.[a-z-]+)*$/;

export async function renderMetrics(ctx: AppContext): Promise<string> {
  const r = await readiness(ctx);
  const families: Family[] = [
    gauge("refnet_ready", "1 when the node is ready (database, NATS and an unexpired trust list).", [
      { value: r.ready ? 1 : 0 },
    ]),
    gauge("refnet_database_up", "1 when the database answers.", [{ value: r.database ? 1 : 0 }]),
    gauge("refnet_nats_connected", "1 when the node is connected to NATS.", [{ value: r.nats ? 1 : 0 }]),
    gauge("refnet_trust_list_version", "Version of the trust list in force.", [{ value: r.trust.version }]),
    gauge("refnet_trust_list_expires_seconds", "Expiry of the trust list in force (Unix seconds).", [
      { value: Math.floor(r.trust.expiresAt / 1000) },
    ]),
    gauge("refnet_trust_list_expired", "1 when the trust list in force has expired (the node is frozen).", [
      { value: r.trust.expired ? 1 : 0 },
    ]),
  ];
  if (r.database) {
    const db = ctx.db;
    const [referrals, outbox, inbox, quarantine] = await Promise.all([
      db
        .selectFrom("referral")
        .select(["direction", "status", (eb) => eb.fn.countAll<number>().as("n")])
        .groupBy(["direction", "status"])
        .execute(),
      db
        .selectFrom("outbox")
        .select(["status", (eb) => eb.fn.countAll<number>().as("n")])
        .groupBy("status")
        .execute(),
      db
        .selectFrom("inbox")
        .select(["type", (eb) => eb.fn.countAll<number>().as("n")])
        .groupBy("type")
        .execute(),
      db
        .selectFrom("quarantine")
        .select(["code", (eb) => eb.fn.countAll<number>().as("n")])
        .groupBy("code")
        .execute(),
    ]);
    families.push(
      gauge(
        "refnet_referrals",
        "Referrals held by this node, by direction and state.",
        referrals
          .filter((x) => DIRECTIONS.has(x.direction) && STATES.has(x.status))
          .map((x) => ({ labels: { direction: x.direction, state: x.status }, value: Number(x.n) })),
      ),
      gauge(
        "refnet_outbox_messages",
        "Outgoing messages in the outbox, by state (sent rows are kept for the record).",
        outbox
          .filter((x) => OUTBOX_STATES.has(x.status))
          .map((x) => ({ labels: { state: x.status }, value: Number(x.n) })),
      ),
      gauge(
        "refnet_inbox_messages",
        "Messages accepted from partners and still remembered for replay protection, by type.",
        inbox
          .filter((x) => MESSAGE_TYPE.test(x.type))
          .map((x) => ({ labels: { type: x.type }, value: Number(x.n) })),
      ),
      gauge(
        "refnet_quarantined_messages",
        "Messages this node refused, kept in quarantine, by problem code.",
        quarantine
          .filter((x) => PROBLEM_CODE.test(x.code))
          .map((x) => ({ labels: { code: x.code }, value: Number(x.n) })),
      ),
    );
  }
  const mem = process.memoryUsage();
  families.push(
    gauge("refnet_process_resident_memory_bytes", "Resident memory of the node process.", [
      { value: mem.rss },
    ]),
    gauge("refnet_process_heap_used_bytes", "V8 heap in use.", [{ value: mem.heapUsed }]),
    gauge("refnet_process_uptime_seconds", "Seconds since the node process started.", [
      { value: Math.floor(process.uptime()) },
    ]),
  );
  return families.map(render).join("");
}

function gauge(name: string, help: string, samples: Family["samples"]): Family {
  return { name, help, type: "gauge", samples };
}

function render(f: Family): string {
  const lines = [`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} ${f.type}`];
  for (const s of f.samples) {
    const labels = s.labels
      ? `{${Object.entries(s.labels)
          .map(([k, v]) => `${k}="${escapeLabel(v)}"`)
          .join(",")}}`
      : "";
    lines.push(`${f.name}${labels} ${Number.isFinite(s.value) ? s.value : 0}`);
  }
  return `${lines.join("\n")}\n`;
}

/** Label values escape backslash, double quote and newline (exposition format 0.0.4). */
function escapeLabel(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}
