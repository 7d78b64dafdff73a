// `npm run demo`: a small refnet network on this machine (an origin NGO in Nigeria, shelters in Italy
// and Spain), a referral handed from one to the other with narration, then the network stays up so
// you can query it yourself. Every person in it is fictional.
import { chmod, mkdir, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { GraphQLRequestError } from "./errors.ts";
import { REPO_ROOT, TestNetwork, type TestOrg } from "./network.ts";

const NETWORK = "demo-net";
const ORIGIN = "ngo-origin";
const SHELTER_A = "shelter-alpha";
const SHELTER_B = "shelter-beta";
const ORGS: TestOrg[] = [
  { orgId: ORIGIN, name: "Safe Passage Initiative", country: "NG", roles: ["origin"] },
  { orgId: SHELTER_A, name: "Casa Alfa Shelter", country: "IT", roles: ["destination"] },
  { orgId: SHELTER_B, name: "Beta House", country: "ES", roles: ["destination"] },
];

const DEMO_DIR = join(REPO_ROOT, ".refnet", "demo");
const DEMO_JSON = join(REPO_ROOT, ".refnet", "demo.json");

// --- output -------------------------------------------------------------------------------------

const tty = process.stdout.isTTY === true && process.env.NO_COLOR === undefined;
const paint = (code: string) => (s: string) => (tty ? `\x1b[${code}m${s}\x1b[0m` : s);
const bold = paint("1");
const dim = paint("2");
const green = paint("32");
const cyan = paint("36");
const yellow = paint("33");
const red = paint("31");

let stepNo = 0;
function step(title: string): void {
  stepNo++;
  console.log(`\n${bold(cyan(`${stepNo}. ${title}`))}`);
}
function say(text: string): void {
  console.log(`   ${text}`);
}
function detail(text: string): void {
  console.log(`   ${dim(text)}`);
}

function orgLabel(orgId: string): string {
  const o = ORGS.find((x) => x.orgId === orgId);
  return o ? `${o.name} (${o.orgId}, ${o.country})` : orgId;
}

// --- GraphQL operations (schema.graphql) --------------------------------------------------------

const PARTNERS = /* GraphQL */ `
  query Partners { organization { orgId name country } partners(role: DESTINATION) { orgId name country status } }
`;
const DRAFT = /* GraphQL */ `
  mutation Draft($input: DraftReferralInput!) {
    draftReferral(input: $input) { id status disclosedFields consent { scopes purposes recipients } }
  }
`;
const SEND = /* GraphQL */ `
  mutation Send($id: ID!) { sendReferral(id: $id) { id status } }
`;
const ACCEPT = /* GraphQL */ `
  mutation Accept($id: ID!, $note: String, $arrangements: String) {
    acceptReferral(id: $id, note: $note, arrangements: $arrangements) { id status }
  }
`;
const DECLINE = /* GraphQL */ `
  mutation Decline($id: ID!, $reason: DeclineReason!, $note: String) {
    declineReferral(id: $id, reason: $reason, note: $note) { id status declineReason }
  }
`;
const PROGRESS = /* GraphQL */ `
  mutation Progress($id: ID!, $status: ProgressStatus!, $note: String) {
    reportProgress(id: $id, status: $status, note: $note) { id status }
  }
`;
const STATUS = /* GraphQL */ `
  query Status($id: ID!) { referral(id: $id) { status } }
`;
const INCOMING = /* GraphQL */ `
  query Incoming($id: ID!) {
    referral(id: $id) {
      direction status originOrgId urgency services summary
      subject { ref languages ageBand givenName familyName phone documents { type } health notes }
      consent { scopes purposes recipients expiresAt }
    }
  }
`;
const CONSENT_OF = /* GraphQL */ `
  query ConsentOf($id: ID!) { referral(id: $id) { consent { id } } }
`;
const REVOKE = /* GraphQL */ `
  mutation Revoke($id: ID!, $scopes: [ConsentScope!]) {
    revokeConsent(id: $id, scopes: $scopes) { scopes recipients { orgId status } }
  }
`;
const REVOCATIONS = /* GraphQL */ `
  query Revocations($id: ID!) {
    consent(id: $id) { effectiveScopes revocations { recipients { orgId status erasedAt } } }
  }
`;
const SUBJECT_CONTACT = /* GraphQL */ `
  query SubjectContact($id: ID!) { referral(id: $id) { subject { givenName phone email currentLocation } } }
`;
const AUDIT = /* GraphQL */ `
  {
    auditVerification { ok entries checkpoints headSeq }
    auditLog(first: 100) { edges { node { kind } } }
  }
`;
const TIMELINE = /* GraphQL */ `
  query Timeline($id: ID!) {
    referral(id: $id) { status declineReason arrangements timeline { kind status actorOrgId note at } }
  }
`;

interface Timeline {
  status: string;
  declineReason: string | null;
  arrangements: string | null;
  timeline: { kind: string; status: string; actorOrgId: string; note: string | null; at: string }[];
}

/** A fictional person: none of these details belong to anyone. */
function referralInput(destination: string, scopes: string[], services: string[]) {
  const day = 86_400_000;
  return {
    destinationOrgId: destination,
    urgency: "URGENT",
    services,
    summary: "Adult woman, recently out of a trafficking situation, needs a safe bed and a medical check",
    respondBy: new Date(Date.now() + 3 * day).toISOString(),
    subject: {
      languages: ["en", "yo"],
      ageBand: "AGE_26_59",
      givenName: "Demo",
      familyName: "Person-Placeholder",
      nationality: "NG",
      documents: [{ type: "passport", number: "X0000000", issuingCountry: "NG" }],
      phone: "+234 800 000 0000",
      email: "demo.person@example.org",
      currentLocation: "Fictional Street 1, Lagos",
      health: { conditions: ["asthma"], medication: ["salbutamol inhaler"] },
      notes: "Caseworker's own notes: these stay at the origin unless CASE_NOTES is consented to.",
    },
    consent: {
      scopes,
      purposes: services,
      recipients: [destination],
      expiresAt: new Date(Date.now() + 180 * day).toISOString(),
      method: "WRITTEN",
      language: "en",
      textVersion: "consent-form-v3",
    },
  };
}

// --- the scripted handoff -----------------------------------------------------------------------

async function statusOn(net: TestNetwork, orgId: string, id: string): Promise<string | null> {
  const res = await net.gql<{ referral: { status: string } | null }>(orgId, STATUS, { id });
  return res.data?.referral?.status ?? null;
}

async function showStates(net: TestNetwork, id: string, orgs: string[]): Promise<void> {
  for (const org of orgs) {
    say(`${orgLabel(org).padEnd(48)} ${bold(String(await statusOn(net, org, id)))}`);
  }
}

async function waitForStatus(net: TestNetwork, id: string, status: string, orgs: string[]): Promise<void> {
  const started = Date.now();
  await net.waitFor(
    async () => {
      for (const org of orgs) if ((await statusOn(net, org, id)) !== status) return false;
      return true;
    },
    { timeoutMs: 30_000, intervalMs: 100, what: `status ${status} on ${orgs.join(" and ")}` },
  );
  detail(`(both sides showed ${status} after ${Date.now() - started} ms)`);
}

async function showTimeline(net: TestNetwork, orgId: string, id: string): Promise<void> {
  const res = await net.gql<{ referral: Timeline | null }>(orgId, TIMELINE, { id });
  const r = res.data?.referral;
  if (!r) return;
  say(`Timeline as ${orgLabel(orgId)} sees it:`);
  for (const e of r.timeline) {
    const note = e.note ? dim(`  "${e.note}"`) : "";
    say(`  ${dim(e.at)}  ${e.kind.padEnd(12)} ${e.status.padEnd(12)} by ${e.actorOrgId}${note}`);
  }
}

async function handoff(net: TestNetwork): Promise<void> {
  step(`The caseworker at ${orgLabel(ORIGIN)} looks for partners abroad`);
  const partners = await net.gql<{
    organization: { orgId: string; name: string; country: string };
    partners: { orgId: string; name: string; country: string; status: string }[];
  }>(ORIGIN, PARTNERS);
  for (const p of partners.data?.partners ?? []) {
    say(`${p.name.padEnd(28)} ${p.country}  ${p.orgId.padEnd(16)} ${p.status}`);
  }
  detail("(the list comes from the trust list the network admins signed; nothing is looked up centrally)");

  step(`Drafting a referral to ${orgLabel(SHELTER_A)}, under the person's consent`);
  say("The person agreed in writing to share IDENTITY, CONTACT and HEALTH details, for SHELTER and MEDICAL");
  say(`services, with ${SHELTER_A} only. The caseworker's notes (CASE_NOTES) were not part of the consent.`);
  const draft = await net.gql<{
    draftReferral: { id: string; status: string; disclosedFields: string[] };
  }>(ORIGIN, DRAFT, {
    input: referralInput(SHELTER_A, ["IDENTITY", "CONTACT", "HEALTH"], ["SHELTER", "MEDICAL"]),
  });
  const first = draft.data!.draftReferral;
  say(`Draft ${bold(first.id)} is ${bold(first.status)}.`);
  say(`Fields that will leave the NGO: ${first.disclosedFields.join(", ")}`);
  detail("(notes is not among them: fields outside the consent are dropped before anything is stored)");

  step("Sending it");
  const sent = await net.gql<{ sendReferral: { status: string } }>(ORIGIN, SEND, { id: first.id });
  say(
    `The origin now shows ${bold(sent.data!.sendReferral.status)}. The node signs the message (JWS, Ed25519),`,
  );
  say("encrypts it to the shelter's key (JWE, X25519) and puts it on NATS JetStream. The broker only ever");
  say("holds ciphertext. The shelter's node decrypts it, checks it, stores it and sends a receipt.");
  await waitForStatus(net, first.id, "DELIVERED", [ORIGIN, SHELTER_A]);
  await showStates(net, first.id, [ORIGIN, SHELTER_A]);

  step(`What ${orgLabel(SHELTER_A)} received`);
  const incoming = await net.gql<{
    referral: Record<string, unknown> & { subject: Record<string, unknown> };
  }>(SHELTER_A, INCOMING, { id: first.id });
  const r = incoming.data!.referral;
  say(
    `direction ${r.direction}, from ${r.originOrgId}, ${r.urgency}, services ${JSON.stringify(r.services)}`,
  );
  for (const [field, value] of Object.entries(r.subject)) {
    const shown = value === null ? yellow("(not shared)") : JSON.stringify(value);
    say(`  subject.${field.padEnd(16)} ${shown}`);
  }

  step(`${orgLabel(SHELTER_A)} accepts`);
  await net.gql(SHELTER_A, ACCEPT, {
    id: first.id,
    note: "We have a bed and a nurse on site",
    arrangements: "Bed 4, room 2; pick-up at the airport on arrival",
  });
  await waitForStatus(net, first.id, "ACCEPTED", [ORIGIN, SHELTER_A]);
  await showStates(net, first.id, [ORIGIN, SHELTER_A]);

  step("The person arrives; the shelter reports it");
  await net.gql(SHELTER_A, PROGRESS, { id: first.id, status: "ARRIVED", note: "Arrived safely" });
  await waitForStatus(net, first.id, "ARRIVED", [ORIGIN, SHELTER_A]);
  await showStates(net, first.id, [ORIGIN, SHELTER_A]);
  await showTimeline(net, ORIGIN, first.id);

  step(`A second referral, to ${orgLabel(SHELTER_B)}, with IDENTITY only`);
  const draftB = await net.gql<{ draftReferral: { id: string; disclosedFields: string[] } }>(ORIGIN, DRAFT, {
    input: referralInput(SHELTER_B, ["IDENTITY"], ["SHELTER"]),
  });
  const second = draftB.data!.draftReferral;
  say(`Draft ${bold(second.id)}; fields that will leave the NGO: ${second.disclosedFields.join(", ")}`);
  await net.gql(ORIGIN, SEND, { id: second.id });
  await waitForStatus(net, second.id, "DELIVERED", [ORIGIN, SHELTER_B]);
  await showStates(net, second.id, [ORIGIN, SHELTER_B]);

  step(`${orgLabel(SHELTER_B)} declines: no capacity`);
  await net.gql(SHELTER_B, DECLINE, {
    id: second.id,
    reason: "LACK_OF_CAPACITY",
    note: "Full until next month",
  });
  await waitForStatus(net, second.id, "DECLINED", [ORIGIN, SHELTER_B]);
  await showStates(net, second.id, [ORIGIN, SHELTER_B]);
  const declined = await net.gql<{ referral: Timeline | null }>(ORIGIN, TIMELINE, { id: second.id });
  say(`Reason the origin sees: ${bold(String(declined.data?.referral?.declineReason))}`);
  await showTimeline(net, ORIGIN, second.id);

  step(`And ${orgLabel(SHELTER_B)} never heard of the first referral`);
  say(`referral(${first.id}) on ${SHELTER_B}: ${String(await statusOn(net, SHELTER_B, first.id))}`);
  step("The person withdraws consent to share their CONTACT details");
  const consentId = (
    await net.gql<{ referral: { consent: { id: string } } }>(ORIGIN, CONSENT_OF, { id: first.id })
  ).data!.referral.consent.id;
  const revoked = await net.gql<{
    revokeConsent: { scopes: string[]; recipients: { orgId: string; status: string }[] };
  }>(ORIGIN, REVOKE, { id: consentId, scopes: ["CONTACT"] });
  for (const rcp of revoked.data!.revokeConsent.recipients) {
    say(`consent.revoke sent to ${rcp.orgId}: ${bold(rcp.status)}`);
  }
  const started = Date.now();
  let erasedAt: string | null = null;
  await net.waitFor(
    async () => {
      const res = await net.gql<{
        consent: {
          revocations: { recipients: { orgId: string; status: string; erasedAt: string | null }[] }[];
        };
      }>(ORIGIN, REVOCATIONS, { id: consentId });
      const rcp = res.data?.consent.revocations[0]?.recipients.find((x) => x.orgId === SHELTER_A);
      erasedAt = rcp?.status === "ERASED" ? rcp.erasedAt : null;
      return erasedAt !== null;
    },
    { timeoutMs: 30_000, intervalMs: 100, what: "the shelter's erasure receipt" },
  );
  say(`${orgLabel(SHELTER_A)} answered consent.erased: ${bold("ERASED")} at ${erasedAt}`);
  detail(`(after ${Date.now() - started} ms; an organisation that does not answer in time shows OVERDUE)`);
  const after = await net.gql<{ referral: { subject: Record<string, unknown> } }>(
    SHELTER_A,
    SUBJECT_CONTACT,
    {
      id: first.id,
    },
  );
  for (const [field, value] of Object.entries(after.data!.referral.subject)) {
    const shown = value === null ? yellow("(erased)") : JSON.stringify(value);
    say(`  ${SHELTER_A} subject.${field.padEnd(16)} ${shown}`);
  }
  detail("(gone from the shelter's database, not hidden; the old values' key is destroyed within seconds)");

  step(`What the audit trail of ${orgLabel(ORIGIN)} shows`);
  const audit = await net.gql<{
    auditVerification: { ok: boolean; entries: number; checkpoints: number };
    auditLog: { edges: { node: { kind: string } }[] };
  }>(ORIGIN, AUDIT);
  const kinds = new Map<string, number>();
  for (const e of audit.data!.auditLog.edges) kinds.set(e.node.kind, (kinds.get(e.node.kind) ?? 0) + 1);
  say(
    `${audit.data!.auditVerification.entries} hash-chained entries, intact: ${bold(String(audit.data!.auditVerification.ok))}`,
  );
  say(`  ${[...kinds].map(([k, n]) => `${n} ${k}`).join(", ")}`);
  detail(
    "(every disclosure, read of a person's fields, consent change and erasure; `refnet audit verify` checks it offline)",
  );
}

// --- start, write demo.json, narrate, stay up ---------------------------------------------------

async function writeDemoJson(net: TestNetwork): Promise<void> {
  const info = {
    network: net.network,
    nats: net.nats.url,
    nodes: net.nodes().map((n) => ({
      orgId: n.orgId,
      name: n.name,
      country: n.country,
      roles: n.roles,
      graphqlUrl: n.graphqlUrl,
      token: n.token,
    })),
  };
  await mkdir(join(REPO_ROOT, ".refnet"), { recursive: true });
  // It holds admin tokens: readable by this user only.
  await writeFile(DEMO_JSON, `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
  await chmod(DEMO_JSON, 0o600);
}

function printHowTo(net: TestNetwork): void {
  const rel = relative(process.cwd(), DEMO_JSON) || DEMO_JSON;
  console.log(`\n${bold(green("The network is up. Query it yourself:"))}`);
  for (const [i, n] of net.nodes().entries()) {
    say(
      `${n.name.padEnd(26)} ${n.graphqlUrl}   (nodes[${i}] in ${rel}; log: ${relative(REPO_ROOT, n.logFile)})`,
    );
  }
  say(`NATS: ${net.nats.url}   (log: ${relative(REPO_ROOT, net.nats.logFile)})`);
  console.log("");
  say("URL=$(node -e 'console.log(require(\"./.refnet/demo.json\").nodes[0].graphqlUrl)')");
  say("TOKEN=$(node -e 'console.log(require(\"./.refnet/demo.json\").nodes[0].token)')");
  say(`curl -s "$URL" -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' \\`);
  say(
    `  -d '{"query":"{ referrals(first: 10) { edges { node { id direction status partner { name } } } } }"}'`,
  );
  say("(nodes[1] and nodes[2] are the shelters; README.md has more queries)");
  console.log(`\n${dim("Press Ctrl-C to stop every node and the broker.")}`);
}

async function main(): Promise<void> {
  let net: TestNetwork | undefined;
  let starting: Promise<TestNetwork> | undefined;
  let shuttingDown = false;

  const shutdown = async (code: number) => {
    if (shuttingDown) {
      // Second Ctrl-C: leave now; the exit hook kills whatever is left.
      process.exit(code || 130);
    }
    shuttingDown = true;
    console.log(`\n${dim("Stopping the nodes, then the broker...")}`);
    try {
      if (!net && starting) net = await starting.catch(() => undefined);
      await net?.stop();
      console.log(
        dim(`Stopped. The data is kept under ${relative(process.cwd(), DEMO_DIR)}/ until the next run.`),
      );
    } catch (err) {
      console.error(red(`Shutdown error: ${(err as Error).message}`));
      code = code || 1;
    }
    process.exit(code);
  };
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.on(sig, () => void shutdown(0));
  }

  console.log(bold("refnet demo: a referral across borders, between three partner organizations"));
  say("Starting a nats-server and three nodes, each with its own keys, database and port...");
  const started = Date.now();
  starting = TestNetwork.start({
    network: NETWORK,
    orgs: ORGS,
    nodeMode: "process",
    rootDir: DEMO_DIR,
    // Own process groups: Ctrl-C reaches only this script, which then stops nodes before the broker.
    detached: true,
  });
  try {
    net = await starting;
  } catch (err) {
    console.error(red(`\nThe network did not start: ${(err as Error).message}`));
    console.error(
      `Logs are under ${relative(process.cwd(), DEMO_DIR)}/ (<org>/node.log, nats/nats-server.log).`,
    );
    process.exit(1);
  }
  if (shuttingDown) return;
  await writeDemoJson(net);
  say(`Up in ${((Date.now() - started) / 1000).toFixed(1)} s. Network "${NETWORK}":`);
  for (const n of net.nodes()) say(`  ${orgLabel(n.orgId).padEnd(48)} ${n.graphqlUrl}`);
  detail(`(connection details and admin tokens: ${relative(process.cwd(), DEMO_JSON)})`);

  try {
    await handoff(net);
  } catch (err) {
    const codes = err instanceof GraphQLRequestError ? ` [${err.codes.join(", ")}]` : "";
    console.error(red(`\nThe scripted handoff failed${codes}: ${(err as Error).message}`));
    console.error(
      `Node logs: ${net
        .nodes()
        .map((n) => relative(process.cwd(), n.logFile))
        .join(", ")}`,
    );
    await shutdown(1);
    return;
  }
  printHowTo(net);
  // Stay up: the signal handlers end the process.
  await new Promise<never>(() => {});
}

await main();
