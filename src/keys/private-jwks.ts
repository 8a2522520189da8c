import { readFile } from 'node:fs/promises';
import { calculateJwkThumbprint, importJWK, type JWK } from 'jose';
import type { OutboundHttp } from '../common/outbound-http';
import { expectedKeyShape, isSigningAlgorithm, type SigningAlgorithm } from '../config/algorithms';
import { thumbprintInput, toPublicJwk } from './public-jwk';
import type { SigningKey } from './signing-key';

export interface PrivateJwksSource {
  /** An http(s) URL, or a `file:` URL (KrakenD's `jwk_local_path`). */
  url: string;
  /** Only keys of this algorithm are used; otherwise each key's own `alg` must be supported. */
  algorithm?: SigningAlgorithm;
  allowHttp?: boolean;
  pinnedFingerprints?: readonly string[];
  extraCa?: string;
  headers?: Record<string, string>;
}

export class PrivateJwksError extends Error {
  constructor(url: string, reason: string, options?: { cause?: unknown }) {
    super(`private JWKS ${url}: ${reason}`, options);
    this.name = 'PrivateJwksError';
  }
}

const PRIVATE_MEMBER: Record<string, string> = { RSA: 'd', EC: 'd', OKP: 'd', oct: 'k' };

async function toSigningKey(
  jwk: JWK,
  source: PrivateJwksSource,
  now: number,
): Promise<SigningKey | undefined> {
  const alg = jwk.alg ?? source.algorithm;
  if (!isSigningAlgorithm(alg)) return undefined;
  if (source.algorithm && alg !== source.algorithm) return undefined;
  const shape = expectedKeyShape(alg);
  if (jwk.kty !== shape.kty || (shape.crv && jwk.crv !== shape.crv)) return undefined;
  const privateMember = PRIVATE_MEMBER[jwk.kty];
  if (!privateMember || typeof (jwk as Record<string, unknown>)[privateMember] !== 'string')
    return undefined;
  const kid = jwk.kid ?? (await calculateJwkThumbprint(thumbprintInput(jwk), 'sha256'));
  const key = await importJWK({ ...jwk, alg }, alg);
  return {
    kid,
    alg,
    key,
    publicJwk: toPublicJwk({ ...jwk, kid, alg, use: 'sig' }),
    status: 'current',
    createdAt: now,
  };
}

/**
 * An externally managed private JWKS (Kong's keyset URL, KrakenD's `jwk_url` or `jwk_local_path`),
 * held in memory only. A failed refresh keeps the last good keys.
 */
export async function loadPrivateJwks(
  http: OutboundHttp,
  source: PrivateJwksSource,
  now: number,
): Promise<SigningKey[]> {
  let document: unknown;
  try {
    document = source.url.startsWith('file:')
      ? (JSON.parse(await readFile(new URL(source.url), 'utf8')) as unknown)
      : await http.fetchJson({
          url: source.url,
          headers: source.headers,
          allowHttp: source.allowHttp,
          pinnedFingerprints: source.pinnedFingerprints,
          extraCa: source.extraCa,
        });
  } catch (cause) {
    throw new PrivateJwksError(source.url, (cause as Error).message, { cause });
  }
  const keys = (document as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys)) throw new PrivateJwksError(source.url, 'answer has no "keys" array');
  const usable: SigningKey[] = [];
  for (const candidate of keys) {
    if (typeof candidate !== 'object' || candidate === null) continue;
    try {
      const key = await toSigningKey(candidate as JWK, source, now);
      if (key) usable.push(key);
    } catch {
      // A malformed member key is skipped; the set fails below only when nothing usable remains.
    }
  }
  if (usable.length === 0) {
    throw new PrivateJwksError(
      source.url,
      `holds no private key for ${source.algorithm ?? 'a supported algorithm'}`,
    );
  }
  return usable;
}
