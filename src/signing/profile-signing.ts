import type { Profile } from '../verification/types';

export type TokenSlot = 'access_token' | 'channel_token';

/** What Kong JWT Signer's parameters say about re-signing one token slot of a profile. */
export interface SlotSigning {
  /** `*_signing` and a non-empty `*_upstream_header`. */
  enabled: boolean;
  /** Keyset name, an http(s) URL of a private JWKS, or undefined for our default keyset. */
  keyset: string | undefined;
  keysetAuth: { username?: string; password?: string };
  algorithm: string;
  issuer: string | undefined;
  upstreamLeeway: number;
  upstreamHeader: string | undefined;
  originalHeader: string | undefined;
  add: Record<string, string>;
  set: Record<string, string>;
  remove: string[];
}

const str = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined;
const map = (value: unknown): Record<string, string> =>
  value && typeof value === 'object' ? (value as Record<string, string>) : {};

export function slotSigning(profile: Profile, slot: TokenSlot): SlotSigning {
  const p = profile as Record<string, unknown>;
  const upstreamHeader = str(p[`${slot}_upstream_header`]);
  return {
    enabled: p[`${slot}_signing`] !== false && upstreamHeader !== undefined,
    keyset: str(p[`${slot}_keyset`]),
    keysetAuth: {
      username: str(p[`${slot}_keyset_client_username`]),
      password: str(p[`${slot}_keyset_client_password`]),
    },
    algorithm: str(p[`${slot}_signing_algorithm`]) ?? 'RS256',
    issuer: str(p[`${slot}_issuer`]),
    upstreamLeeway:
      typeof p[`${slot}_upstream_leeway`] === 'number'
        ? (p[`${slot}_upstream_leeway`] as number)
        : 0,
    upstreamHeader,
    originalHeader: str(p[`original_${slot}_upstream_header`]),
    add: map(p[`add_${slot}_claims`]),
    set: map(p[`set_${slot}_claims`]),
    remove: Array.isArray(p[`remove_${slot}_claims`])
      ? (p[`remove_${slot}_claims`] as string[])
      : [],
  };
}

export const globalClaimEdits = (
  profile: Profile,
): { add: Record<string, string>; set: Record<string, string> } => ({
  add: map((profile as Record<string, unknown>).add_claims),
  set: map((profile as Record<string, unknown>).set_claims),
});

/**
 * `Name:Bearer` → `Bearer <jwt>`, `Name:Basic` → `Basic <jwt>`, bare `Name` → the JWT alone (Kong's
 * `*_upstream_header` formats).
 */
export function upstreamHeader(setting: string, token: string): [name: string, value: string] {
  const colon = setting.lastIndexOf(':');
  if (colon > 0) {
    const scheme = setting.slice(colon + 1).toLowerCase();
    if (scheme === 'bearer') return [setting.slice(0, colon), `Bearer ${token}`];
    if (scheme === 'basic') return [setting.slice(0, colon), `Basic ${token}`];
  }
  return [setting, token];
}
