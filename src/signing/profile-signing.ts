import { familyOf, type Profile, type TokenKind } from '../config/profile-parameters';

export type TokenSlot = TokenKind;

/** What Kong JWT Signer's parameters say about re-signing one token of a profile. */
export interface SlotSigning {
  /** `*_signing` and a non-empty `*_upstream_header`. */
  enabled: boolean;
  /** A keyset name, or an http(s) URL of a private JWKS. */
  keyset: string;
  keysetAuth: { username?: string; password?: string };
  algorithm: string;
  issuer: string;
  upstreamLeeway: number;
  upstreamHeader: string | undefined;
  originalHeader: string | undefined;
  add: Readonly<Record<string, string>>;
  set: Readonly<Record<string, string>>;
  remove: readonly string[];
}

/** Per profile version (an edited profile is a new object): read once, not on every request. */
const settingsByProfile = new WeakMap<Profile, Partial<Record<TokenSlot, SlotSigning>>>();

export function slotSigning(profile: Profile, slot: TokenSlot): SlotSigning {
  let slots = settingsByProfile.get(profile);
  if (!slots) settingsByProfile.set(profile, (slots = {}));
  return (slots[slot] ??= Object.freeze(readSlotSigning(profile, slot)));
}

function readSlotSigning(profile: Profile, slot: TokenSlot): SlotSigning {
  const f = familyOf(profile, slot);
  const upstreamHeader = f['{t}_upstream_header'] || undefined;
  return {
    enabled: f['{t}_signing'] && upstreamHeader !== undefined,
    keyset: f['{t}_keyset'],
    keysetAuth: {
      username: f['{t}_keyset_client_username'] ?? undefined,
      password: f['{t}_keyset_client_password'] ?? undefined,
    },
    algorithm: f['{t}_signing_algorithm'],
    issuer: f['{t}_issuer'],
    upstreamLeeway: f['{t}_upstream_leeway'],
    upstreamHeader,
    originalHeader: f['original_{t}_upstream_header'] || undefined,
    add: f['add_{t}_claims'],
    set: f['set_{t}_claims'],
    remove: f['remove_{t}_claims'],
  };
}

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
