import { registerDecorator, type ValidationOptions } from 'class-validator';

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };
const DURATION = /^(\d+)\s*([smhd])$/;

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
      validator: { validate: (value: unknown) => parseDurationSeconds(value) !== undefined },
    });
}
