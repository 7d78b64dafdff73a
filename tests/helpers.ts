// Shared pieces of the cross-node scenarios: the GraphQL operations a caseworker runs, and a
// fictional person whose details are easy to search for in logs and on the broker.
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import type { TestNetwork } from "@refnet/dev-env";

export const ORIGIN = "ngo-origin";
export const SHELTER_A = "shelter-alpha";
export const SHELTER_B = "shelter-beta";

export const NETWORK_ORGS = [
  { orgId: ORIGIN, name: "Safe Passage Initiative", country: "NG", roles: ["origin" as const] },
  { orgId: SHELTER_A, name: "Casa Alfa Shelter", country: "IT", roles: ["destination" as const] },
  { orgId: SHELTER_B, name: "Beta House", country: "ES", roles: ["destination" as const] },
];

/** Recognisable, fictional personal data: none of it may ever appear in clear on the broker or in logs. */
export const PERSON = {
  givenName: "Zuwenaya",
  familyName: "Okonkwo-Marlowe",
  phone: "+234 801 555 0199",
  passport: "PX9931775QZ",
  email: "zuwenaya.marlowe@example.org",
  location: "Hotel Quixotic, Via Fittizia 17",
  notes: "Prefers a female caseworker; arrived via Tripoli route",
};

export const DRAFT = /* GraphQL */ `
  mutation Draft($input: DraftReferralInput!) {
    draftReferral(input: $input) { id status disclosedFields subject { ref givenName phone } }
  }
`;
export const SEND = /* GraphQL */ `
  mutation Send($id: ID!) { sendReferral(id: $id) { id status } }
`;
export const ACCEPT = /* GraphQL */ `
  mutation Accept($id: ID!, $note: String) { acceptReferral(id: $id, note: $note, arrangements: "Bed 4, room 2") { id status } }
`;
export const DECLINE = /* GraphQL */ `
  mutation Decline($id: ID!) { declineReferral(id: $id, reason: LACK_OF_CAPACITY, note: "Full until next month") { id status declineReason } }
`;
export const WITHDRAW = /* GraphQL */ `
  mutation Withdraw($id: ID!) { withdrawReferral(id: $id, reason: "Person found a closer service") { id status } }
`;
export const PROGRESS = /* GraphQL */ `
  mutation Progress($id: ID!, $status: ProgressStatus!, $outcome: Outcome) {
    reportProgress(id: $id, status: $status, outcome: $outcome) { id status outcome }
  }
`;
export const GET = /* GraphQL */ `
  query Get($id: ID!) {
    referral(id: $id) {
      id direction status originOrgId destinationOrgId urgency services declineReason outcome
      subject { ref givenName familyName phone documents { type number } notes }
      consent { id scopes purposes recipients }
      timeline { kind status actorOrgId at }
    }
  }
`;

export function referralInput(destination: string, opts: { scopes?: string[]; recipients?: string[] } = {}) {
  const inAWeek = new Date(Date.now() + 7 * 86400_000).toISOString();
  const inAYear = new Date(Date.now() + 365 * 86400_000).toISOString();
  return {
    destinationOrgId: destination,
    urgency: "URGENT",
    services: ["SHELTER", "MEDICAL"],
    summary: "Adult woman needs a safe bed and a medical check",
    respondBy: inAWeek,
    subject: {
      languages: ["en", "yo"],
      ageBand: "AGE_26_59",
      givenName: PERSON.givenName,
      familyName: PERSON.familyName,
      nationality: "NG",
      documents: [{ type: "passport", number: PERSON.passport, issuingCountry: "NG" }],
      phone: PERSON.phone,
      email: PERSON.email,
      currentLocation: PERSON.location,
      health: { conditions: ["asthma"] },
      notes: PERSON.notes,
    },
    consent: {
      scopes: opts.scopes ?? ["IDENTITY", "CONTACT", "HEALTH"],
      purposes: ["SHELTER", "MEDICAL"],
      recipients: opts.recipients ?? [destination],
      expiresAt: inAYear,
      method: "WRITTEN",
      language: "en",
      textVersion: "consent-form-v3",
    },
  };
}

type Gql = TestNetwork["gql"];

/** What the GET query returns. */
export interface ReferralView {
  id: string;
  direction: string;
  status: string;
  originOrgId: string;
  destinationOrgId: string;
  declineReason: string | null;
  outcome: string | null;
  subject: {
    ref: string;
    givenName: string | null;
    familyName: string | null;
    phone: string | null;
    notes: string | null;
  };
  consent: { id: string; scopes: string[]; purposes: string[]; recipients: string[] };
  timeline: { kind: string; status: string; actorOrgId: string; at: string }[];
}

/** Drafts and sends a referral from ORIGIN; returns its id. */
export async function sendReferral(
  net: TestNetwork,
  destination: string,
  opts?: { scopes?: string[] },
): Promise<string> {
  const gql: Gql = net.gql.bind(net);
  const draft = await gql(ORIGIN, DRAFT, { input: referralInput(destination, opts) });
  const id = (draft.data as { draftReferral: { id: string } }).draftReferral.id;
  await gql(ORIGIN, SEND, { id });
  return id;
}

export async function statusOf(net: TestNetwork, orgId: string, id: string): Promise<string | null> {
  const res = await net.gql(orgId, GET, { id });
  const r = (res.data as { referral: { status: string } | null }).referral;
  return r ? r.status : null;
}

/** Waits until the referral shows `status` on every org named. */
export async function waitForStatus(
  net: TestNetwork,
  id: string,
  status: string,
  orgs: string[],
  timeoutMs = 15_000,
): Promise<void> {
  await net.waitFor(
    async () => {
      for (const org of orgs) {
        if ((await statusOf(net, org, id)) !== status) return false;
      }
      return true;
    },
    { timeoutMs, intervalMs: 50, what: `referral ${id} ${status} on ${orgs.join(", ")}` },
  );
}

/** Every file below `dir`, recursively. */
export async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await filesUnder(p)));
    else out.push(p);
  }
  return out;
}
