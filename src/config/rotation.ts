import { parseDurationSeconds } from './duration';

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
