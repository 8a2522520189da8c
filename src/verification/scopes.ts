import type { ClaimPath } from '../config/profile-parameters';

/** Where scopes are read when a profile names no claim (RFC 8693 §4.2, RFC 9068 §2.2.3). */
export const DEFAULT_SCOPES_CLAIM: ClaimPath = ['scope'];

/**
 * The one scope rule, for `*_scopes_required` and for RFC 8693 narrowing alike: the scopes claim
 * (the profile's `*_scopes_claim`, `scope` unless set) holds a space-separated string, or an array
 * of such strings; its scopes are every whitespace-separated word. Anything else (numbers, objects,
 * a missing claim) grants nothing. Case-sensitive.
 */
export function grantedScopes(value: unknown): Set<string> {
  const parts = typeof value === 'string' ? [value] : Array.isArray(value) ? value : [];
  return new Set(
    parts.flatMap((part) => (typeof part === 'string' ? part.split(/\s+/).filter(Boolean) : [])),
  );
}

/** Scope strings remembered per requirement; past this the memo starts again. */
const MEMO_ENTRIES = 256;

/**
 * Kong's requirement: each required entry is split on whitespace and all its parts must be
 * granted (AND); the requirement holds when any entry holds (OR).
 * `["employee demo-service", "superadmin"]` = (employee AND demo-service) OR superadmin.
 */
export class ScopeRequirement {
  private readonly alternatives: readonly (readonly string[])[];
  private readonly answers = new Map<string, boolean>();

  constructor(private readonly required: readonly string[]) {
    this.alternatives = required.map((entry) => entry.split(/\s+/).filter(Boolean));
  }

  isSatisfiedBy(value: unknown): boolean {
    if (typeof value !== 'string' && !Array.isArray(value)) return false;
    if (typeof value !== 'string') return this.holds(value);
    // Tokens of one client carry the same scope string again and again.
    let holds = this.answers.get(value);
    if (holds === undefined) {
      holds = this.holds(value);
      if (this.answers.size >= MEMO_ENTRIES) this.answers.clear();
      this.answers.set(value, holds);
    }
    return holds;
  }

  private holds(value: string | unknown[]): boolean {
    const granted = grantedScopes(value);
    return this.alternatives.some((all) => all.every((scope) => granted.has(scope)));
  }

  /** For `error_description`, which may not contain double quotes (RFC 6750 §3). */
  describe(): string {
    return this.required.length === 1
      ? `requires scope '${this.required[0]}'`
      : `requires one of: ${this.required.map((entry) => `'${entry}'`).join(', ')}`;
  }
}
