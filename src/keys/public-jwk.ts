import type { JWK } from 'jose';

/** Public members per key type (RFC 7517/7518). Anything not listed never leaves the service. */
const PUBLIC_MEMBERS: Record<string, readonly string[]> = {
  RSA: ['kty', 'n', 'e'],
  EC: ['kty', 'crv', 'x', 'y'],
  OKP: ['kty', 'crv', 'x'],
};
const METADATA_MEMBERS = ['kid', 'use', 'alg', 'x5c', 'x5t#S256'] as const;

/** The publishable part of a JWK, by allow-list; undefined for symmetric keys. */
export function toPublicJwk(jwk: JWK): JWK | undefined {
  const members = jwk.kty ? PUBLIC_MEMBERS[jwk.kty] : undefined;
  if (!members) return undefined;
  const source = jwk as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const name of [...members, ...METADATA_MEMBERS]) {
    if (source[name] !== undefined) out[name] = source[name];
  }
  return out;
}

/** Members RFC 7638 hashes for the thumbprint, so `kid` never depends on optional members. */
export const thumbprintInput = (jwk: JWK): JWK => {
  const required: Record<string, readonly string[]> = { ...PUBLIC_MEMBERS, oct: ['kty', 'k'] };
  const out: Record<string, unknown> = {};
  for (const name of required[jwk.kty ?? ''] ?? [])
    out[name] = (jwk as Record<string, unknown>)[name];
  return out;
};
