import type { KeyStatus } from '../database/signing-key.entity';
import type { RotationSettings } from '../config/rotation';

/**
 * Clock skew a downstream verifier may allow past `exp` (Envoy's jwt_authn default is 60 s), so a
 * retired key stays published that much longer than the longest token it signed.
 */
export const RETENTION_LEEWAY_SECONDS = 60;

/** What the policy needs to know about one key of a keyset. */
export interface KeyTimeline {
  readonly kid: string;
  readonly status: KeyStatus;
  readonly generation: number;
  /** current: when it started signing; next: when it will. */
  readonly activeFrom: number | null;
  /** previous: when it stopped signing. */
  readonly retiredAt: number | null;
}

export type RotationStep =
  /** The pending next key's time has come: it becomes current, the current one previous. */
  | { kind: 'promote'; kid: string }
  /** Generate the next key now and publish it; it starts signing at `activeFrom`. */
  | { kind: 'prepublish'; activeFrom: number }
  /** Previous keys neither retained by count nor possibly needed by an unexpired token. */
  | { kind: 'prune'; kids: string[] }
  /** A retired keyset whose keys no unexpired token can need any more: it goes. */
  | { kind: 'remove' };

const MS = 1000;

/**
 * How often each instance syncs its keysets with the store and applies due steps
 * (RotationScheduler's tick): a key one instance publishes is in every instance's JWKS one tick
 * later.
 */
export const ROTATION_TICK_MS = 5000;

/**
 * On a store several instances share, the shortest time a key is published before it signs: one
 * tick for every instance to load it, one more for a tick running late. Applied to manual and
 * scheduled rotations alike, so no instance signs with a key another one does not publish yet.
 */
export const SHARED_STORE_PREPUBLISH_SECONDS = (2 * ROTATION_TICK_MS) / MS;

/** When the keyset rotates next: the pending key's start, else current start + period. */
export function scheduledRotationAt(
  keys: readonly KeyTimeline[],
  settings: RotationSettings,
): number | null {
  const next = keys.find((k) => k.status === 'next');
  if (next) return next.activeFrom;
  const current = keys.find((k) => k.status === 'current');
  if (settings.periodSeconds === null || current?.activeFrom == null) return null;
  return current.activeFrom + settings.periodSeconds * MS;
}

/** When a retired key may leave the JWKS by age (it may still be kept by `retain`). */
export const retentionEndsAt = (retiredAt: number, settings: RotationSettings): number =>
  retiredAt + (settings.maxTokenLifetimeSeconds + RETENTION_LEEWAY_SECONDS) * MS;

/**
 * The next step a keyset needs at `now`, or undefined when it is up to date. A key never starts
 * signing less than `prepublish` after it was published: when the scheduler runs late, the start
 * moves later rather than the publication window shrinking. A keyset retired at `retiredAt` only
 * waits until every token its keys signed has expired.
 */
export function dueStep(
  keys: readonly KeyTimeline[],
  settings: RotationSettings,
  now: number,
  retiredAt: number | null = null,
): RotationStep | undefined {
  if (retiredAt !== null)
    return now >= retentionEndsAt(retiredAt, settings) ? { kind: 'remove' } : undefined;
  const next = keys.find((k) => k.status === 'next');
  if (next && next.activeFrom !== null && next.activeFrom <= now) {
    return { kind: 'promote', kid: next.kid };
  }
  const rotateAt = scheduledRotationAt(keys, settings);
  if (!next && rotateAt !== null && now >= rotateAt - settings.prepublishSeconds * MS) {
    return {
      kind: 'prepublish',
      activeFrom: Math.max(rotateAt, now + settings.prepublishSeconds * MS),
    };
  }
  const stale = keys
    .filter((k) => k.status === 'previous')
    .sort((a, b) => b.generation - a.generation)
    .slice(settings.retain)
    .filter((k) => k.retiredAt === null || now >= retentionEndsAt(k.retiredAt, settings));
  if (stale.length > 0) return { kind: 'prune', kids: stale.map((k) => k.kid) };
  return undefined;
}
