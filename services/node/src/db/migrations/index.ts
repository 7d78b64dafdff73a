// The node's migrations, in order. A new migration gets the next number and a line here; a migration
// that has run is never edited (the Migrator refuses a history that changed).
import type { Migration } from "kysely";
import * as m001 from "./001-initial.ts";
import * as m002 from "./002-outbox-order.ts";
import * as m003 from "./003-trust-refusals.ts";
import * as m004 from "./004-audit.ts";
import * as m005 from "./005-person-data-keys.ts";
import * as m006 from "./006-consent.ts";

export const migrations: Record<string, Migration> = {
  "001-initial": m001,
  "002-outbox-order": m002,
  "003-trust-refusals": m003,
  "004-audit": m004,
  "005-person-data-keys": m005,
  "006-consent": m006,
};
