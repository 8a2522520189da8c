import { createHash, randomUUID } from 'node:crypto';

export interface OptumClaimsInput {
  nowSeconds: number;
  ttlSeconds: number;
  issuer: string;
  audience: string | undefined;
  consumer?: { id: string; username?: string; custom_id?: string };
  /** Lowercase hex SHA-256 of the upstream request body; "" when there is no body. */
  payloadHash: string;
}

/** Lowercase hex SHA-256 of a raw body; the empty string for no body, as Optum's plugin does. */
export function payloadHashOf(body: Buffer | undefined): string {
  if (!body || body.length === 0) return '';
  return createHash('sha256').update(body).digest('hex');
}

/**
 * The claims of Optum's Kong Upstream JWT: proof the gateway sent this request with this body.
 * The consumer is there under Optum's top-level names (`consumerid`, `consumername`), which
 * upstreams built for its plugin read, and as our `consumer` object.
 */
export function optumClaims(input: OptumClaimsInput): Record<string, unknown> {
  const claims: Record<string, unknown> = {
    iat: input.nowSeconds,
    exp: input.nowSeconds + input.ttlSeconds,
    jti: randomUUID(),
    iss: input.issuer,
    payloadhash: input.payloadHash,
  };
  if (input.audience !== undefined) claims.aud = input.audience;
  if (input.consumer) {
    const { id, username, custom_id } = input.consumer;
    claims.consumerid = id;
    if (username) claims.consumername = username;
    claims.consumer = {
      id,
      ...(username ? { username } : {}),
      ...(custom_id ? { custom_id } : {}),
    };
  }
  return claims;
}
