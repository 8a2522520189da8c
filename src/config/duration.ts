import { registerDecorator, type ValidationOptions } from 'class-validator';

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };
const DURATION = /^(\d+)\s*([smhd])$/;

/** Durations are stored in 32-bit integer columns; ~68 years is more than any rotation needs. */
export const MAX_DURATION_SECONDS = 2 ** 31 - 1;

/**
 * Durations in configuration are whole seconds (`3600`) or a number with a unit (`30d`, `1h`,
 * `15m`, `90s`), the way operators write them in Kong and KrakenD files. Returns undefined when
 * the value is not a duration.
 */
export function parseDurationSeconds(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) && value >= 0 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  if (/^\d+$/.test(value)) return Number(value);
  const match = DURATION.exec(value.trim());
  if (!match) return undefined;
  return Number(match[1]) * UNIT_SECONDS[match[2]!]!;
}

/**
 * The canonical spelling of a duration (largest whole unit: `30d`, `1h`, `90s`), used wherever
 * configuration is written back out, so export → import → export is stable.
 */
export function formatDuration(seconds: number): string {
  for (const [unit, size] of [
    ['d', 86400],
    ['h', 3600],
    ['m', 60],
  ] as const) {
    if (seconds > 0 && seconds % size === 0) return `${seconds / size}${unit}`;
  }
  return `${seconds}s`;
}

export function IsDuration(options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'isDuration',
      target: target.constructor,
      propertyName: propertyName as string,
      options: {
        message: `$property must be a duration: seconds or a number with s, m, h or d (e.g. "30d")`,
        ...options,
      },
      validator: {
        validate: (value: unknown) => {
          const seconds = parseDurationSeconds(value);
          return seconds !== undefined && seconds <= MAX_DURATION_SECONDS;
        },
      },
    });
}
