import { createHash, timingSafeEqual } from 'node:crypto';

export type BearerCheck = 'ok' | 'missing' | 'invalid';

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/**
 * Checks an `Authorization: Bearer …` header against a configured token in constant time
 * (comparing digests, so neither content nor length leaks through timing).
 */
export function checkBearerToken(authorization: string | undefined, expected: string): BearerCheck {
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(authorization ?? '');
  if (!match) return 'missing';
  return timingSafeEqual(digest(match[1]!), digest(expected)) ? 'ok' : 'invalid';
}
