// The one read of the revocations this node received (docs/protocol.md §5.4.3 rule 2), shared by the
// inbox's receiver checks (federation/inbox.ts) and the domain that records them (domain/erasure.ts).
import type { Kysely, Transaction } from "kysely";
import type { Database } from "./schema.ts";

/** Whether `origin` revoked consent `consentId` at this node, in whole or in part (§5.4.3 rule 2). */
export async function isConsentRevoked(
  db: Kysely<Database> | Transaction<Database>,
  origin: string,
  consentId: string,
): Promise<boolean> {
  const row = await db
    .selectFrom("consent_revoked_by_origin")
    .select("consent_id")
    .where("origin_org_id", "=", origin)
    .where("consent_id", "=", consentId)
    .executeTakeFirst();
  return row !== undefined;
}
