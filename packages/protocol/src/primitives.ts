// Building blocks of the wire schemas, shared by @refnet/protocol and @refnet/consent (which imports
// this leaf module through "@refnet/protocol/primitives" so that the two packages form no import cycle).
// Encoding conventions are those of docs/protocol.md §0.4.
import { z } from "zod";

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function codePoints(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // A high surrogate followed by a low one is one code point (the pair was checked well-formed first).
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) i++;
    n++;
  }
  return n;
}

/**
 * A string of `min`–`max` Unicode code points (not UTF-16 units: docs/protocol.md §0.4), without lone
 * surrogates (I-JSON, RFC 7493).
 */
export function boundedText(min: number, max: number) {
  return z.string().superRefine((s, ctx) => {
    // Cheap pre-check: a string of more than 2·max UTF-16 units has more than max code points.
    if (s.length > 2 * max) {
      ctx.addIssue({ code: "too_big", origin: "string", maximum: max, inclusive: true, input: s });
      return;
    }
    if (LONE_SURROGATE.test(s)) {
      ctx.addIssue({ code: "invalid_format", format: "well-formed-unicode", input: s });
      return;
    }
    const n = codePoints(s);
    if (n < min)
      ctx.addIssue({ code: "too_small", origin: "string", minimum: min, inclusive: true, input: s });
    else if (n > max)
      ctx.addIssue({ code: "too_big", origin: "string", maximum: max, inclusive: true, input: s });
  });
}

/** A string matching `pattern` (every pattern here is ASCII and anchored, so no length check is needed). */
export function patterned(pattern: RegExp, maxLength?: number) {
  const s = z.string().regex(pattern);
  return maxLength === undefined ? s : s.max(maxLength);
}

/** Integer seconds since the epoch, non-negative, at most 2^53 − 1 (docs/protocol.md §0.4). */
export const seconds = z.int().nonnegative();

/** An array of `min`–`max` items, pairwise distinct (items are strings: compared by value). */
export function uniqueArray<T extends z.ZodType<string>>(item: T, min: number, max: number) {
  return z
    .array(item)
    .min(min)
    .max(max)
    .refine((a) => new Set(a).size === a.length, { message: "duplicate entries" });
}

/** RFC 3339 `full-date`. */
export const fullDate = z.iso.date();
/** RFC 3339 `date-time` with an offset (`Z` or ±hh:mm). */
export const dateTime = z.iso.datetime({ offset: true });

/**
 * Turns validation issues into a detail that names paths and rule kinds only, never values: the
 * detail goes to quarantine records, logs and problem reports (docs/protocol.md §2.9), and a value may
 * be a person's data. Names of unknown members are not echoed either (they are sender-chosen text);
 * only their number is.
 */
export function describeIssues(issues: readonly z.core.$ZodIssue[], prefix: string, limit = 3): string {
  const parts = issues.slice(0, limit).map((issue) => {
    const path = formatPath(prefix, issue.path);
    if (issue.code === "unrecognized_keys") {
      const n = issue.keys.length;
      return `${path}: ${n} unknown member${n === 1 ? "" : "s"}`;
    }
    if (issue.code === "invalid_format") return `${path}: invalid format`;
    if (issue.code === "invalid_type") return `${path}: expected ${issue.expected}`;
    if (issue.code === "too_small") return `${path}: too small`;
    if (issue.code === "too_big") return `${path}: too big`;
    if (issue.code === "invalid_value") return `${path}: not an allowed value`;
    if (issue.code === "invalid_union") return `${path}: matches no allowed form`;
    return `${path}: ${issue.code === "custom" ? safeCustomMessage(issue.message) : issue.code}`;
  });
  const more = issues.length > limit ? ` (+${issues.length - limit} more)` : "";
  return parts.join("; ") + more;
}

function formatPath(prefix: string, path: readonly PropertyKey[]): string {
  let out = prefix;
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    // Path segments are member names the schema itself defines (unknown members produce no path of
    // their own), so they are safe to print; anything odd is masked all the same.
    else if (typeof seg === "string" && /^[A-Za-z0-9_]{1,64}$/.test(seg)) out += out ? `.${seg}` : seg;
    else out += out ? ".?" : "?";
  }
  return out || "(root)";
}

// Custom refinements in this code base carry fixed messages; anything else is reduced to a kind.
function safeCustomMessage(message: string): string {
  return /^[a-z0-9 ,:()_.<>=≤-]{1,120}$/i.test(message) ? message : "invalid";
}
