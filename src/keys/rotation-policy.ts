import { parseDurationSeconds } from '../config/duration';
import type { KeyStatus } from '../database/signing-key.entity';

/** How a stored keyset rotates and how long it keeps retired keys published. */
export interface RotationSettings {
  /** Previous keys kept published after a rotation, whatever their age. */
  readonly retain: number;
  /** Scheduled rotation interval; null = manual rotation only. */
  readonly periodSeconds: number | null;
  /** How long the next key is published before it starts signing. */
  readonly prepublishSeconds: number;
  /** Longest lifetime of a token the keyset signs: how long a retired key can still be needed. */
  readonly maxTokenLifetimeSeconds: number;
}

export const DEFAULT_ROTATION: RotationSettings = {
  retain: 1,
  periodSeconds: null,
  prepublishSeconds: 3600,
  maxTokenLifetimeSeconds: 3600,
};

/**
 * Clock skew a downstream verifier may allow past `exp` (Envoy's jwt_authn default is 60 s), so a
 * retired key stays published that much longer than the longest token it signed.
 */
export const RETENTION_LEEWAY_SECONDS = 60;

/** The rotation block as written in the file or an admin request (durations as given). */
export interface RotationInput {
  period?: string | number | null;
  prepublish?: string | number | null;
  retain?: number | null;
  max_token_lifetime?: string | number | null;
}

const seconds = (value: string | number | null | undefined, fallback: number): number =>
  value === null || value === undefined ? fallback : (parseDurationSeconds(value) ?? fallback);

/**
 * Settings from a (validated) rotation block: absent members keep `base`, `null` restores the
 * default, a period of 0 means manual rotation only.
 */
export function toRotationSettings(
  input: RotationInput | undefined,
  base: RotationSettings = DEFAULT_ROTATION,
): RotationSettings {
  if (!input) return base;
  const pick = <K extends keyof RotationInput>(key: K, current: RotationInput[K]) =>
    input[key] === undefined ? current : input[key];
  const period = seconds(pick('period', base.periodSeconds), 0);
  return {
    retain: pick('retain', base.retain) ?? DEFAULT_ROTATION.retain,
    periodSeconds: period > 0 ? period : null,
    prepublishSeconds: seconds(
      pick('prepublish', base.prepublishSeconds),
      DEFAULT_ROTATION.prepublishSeconds,
    ),
    maxTokenLifetimeSeconds: seconds(
      pick('max_token_lifetime', base.maxTokenLifetimeSeconds),
      DEFAULT_ROTATION.maxTokenLifetimeSeconds,
    ),
  };
}

/** Settings that cannot work together; null when they are fine. */
export function rotationProblem(
  settings: RotationSettings,
): { field: 'prepublish'; message: string } | null {
  if (settings.periodSeconds !== null && settings.prepublishSeconds >= settings.periodSeconds) {
    return {
      field: 'prepublish',
      message: 'prepublish must be shorter than period (the next key is published within it)',
    };
  }
  return null;
}

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
  | { kind: 'prune'; kids: string[] };

const MS = 1000;

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
 * moves later rather than the publication window shrinking.
 */
export function dueStep(
  keys: readonly KeyTimeline[],
  settings: RotationSettings,
  now: number,
): RotationStep | undefined {
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
