import SQLite from "better-sqlite3";
import { TestNetwork } from "@refnet/dev-env";
import { DRAFT, NETWORK_ORGS, ORIGIN, referralInput, SEND, SHELTER_A } from "../helpers.ts";
const probe = new SQLite(":memory:");
const Stmt = Object.getPrototypeOf(probe.prepare("select 1"));
const counts = new Map<string, number>();
let on = false;
for (const m of ["run", "all", "get", "iterate"]) {
  const orig = Stmt[m];
  Stmt[m] = function (this: { source: string; database: { name: string } }, ...a: unknown[]) {
    if (on) { const k = `${this.database.name.includes("origin") ? "O" : "S"} ${m} ${this.source.slice(0, 110)}`; counts.set(k, (counts.get(k) ?? 0) + 1); }
    return orig.apply(this, a);
  };
}
const net = await TestNetwork.start({ network: "count", orgs: NETWORK_ORGS.slice(0, 2), logLevel: "warn" });
const delivered = await net.subscribeDelivered(ORIGIN);
const one = async () => {
  const d = await net.gql(ORIGIN, DRAFT, { input: referralInput(SHELTER_A) });
  const id = (d.data as { draftReferral: { id: string } }).draftReferral.id;
  await net.gql(ORIGIN, SEND, { id });
  await delivered.wait(id);
};
for (let i = 0; i < 5; i++) await one();
await new Promise((r) => setTimeout(r, 500));
on = true;
const N = 20;
for (let i = 0; i < N; i++) await one();
await new Promise((r) => setTimeout(r, 300));
on = false;
let tot = { O: 0, S: 0 } as Record<string, number>;
for (const [k, v] of [...counts].sort()) { console.log((v / N).toFixed(2).padStart(6), k); tot[k[0]!] += v / N; }
console.log(tot);
delivered.close();
await net.stop();
