import type { ClassConstructor } from 'class-transformer';
import { validateConfig } from './validation';
import { Errors } from './errors';

/** Validates a request body into `cls` (unknown fields refused) or answers 400 listing the problems. */
export function validatedBody<T extends object>(cls: ClassConstructor<T>, body: unknown): T {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw Errors.invalidRequest('request body must be a JSON object');
  }
  const { value, problems } = validateConfig(cls, body);
  if (problems.length > 0) {
    throw Errors.invalidRequest(problems.map((p) => `${p.path}: ${p.message}`).join('; '));
  }
  return value;
}
