// Key ids of docs/protocol.md §1: a `kid` is the RFC 7638 thumbprint of the public key, always.
import type { JWK } from "jose";
import { publicJwkOf, thumbprint } from "./keys.ts";
import { TRUST_PROBLEM_CODES, type TrustProblem, trustProblem } from "./problems.ts";
import type { TrustListPayload } from "./types.ts";

/** A JWK `kid` member that is not the key's thumbprint would make `kid` mean two keys (docs/protocol.md §1). */
export async function checkKeyIds(payload: TrustListPayload): Promise<TrustProblem | undefined> {
  const entries: [string, JWK][] = [
    ...payload.admins.map((a, i): [string, JWK] => [`admins.${i}.jwk`, a.jwk]),
    ...payload.partners.flatMap((p, i) =>
      p.keys.map((k, j): [string, JWK] => [`partners.${i}.keys.${j}.jwk`, k.jwk]),
    ),
  ];
  for (const [path, jwk] of entries) {
    if (jwk.kid !== undefined && jwk.kid !== (await thumbprint(publicJwkOf(jwk))))
      return trustProblem(TRUST_PROBLEM_CODES.keys, `${path}.kid is not the key's RFC 7638 thumbprint`);
  }
  return undefined;
}
