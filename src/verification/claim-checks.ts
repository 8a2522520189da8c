import type { ClaimPath } from '../config/profile-parameters';
import { Rejections } from './rejections';
import type { ScopeRequirement } from './scopes';

export type Claims = Record<string, unknown>;

export const isObject = (value: unknown): value is Claims =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The value at a claim path (`["employee","favourites","beverage"]`), or undefined. */
export function readClaim(claims: Claims, path: ClaimPath): unknown {
  let value: unknown = claims;
  for (const name of path) {
    if (!isObject(value) || !Object.hasOwn(value, name)) return undefined;
    value = value[name];
  }
  return value;
}

const labels = new WeakMap<ClaimPath, string>();

/** `a.b.c`, joined once per path: the compiled policies ask for the same paths on every token. */
export function pathLabel(path: ClaimPath): string {
  let label = labels.get(path);
  if (label === undefined) {
    label = path.join('.');
    labels.set(path, label);
  }
  return label;
}

/** An issuer, subject or audience allow-list on one claim. */
export interface AllowList {
  label: 'issuer' | 'subject' | 'audience';
  claim: ClaimPath;
  allowed: ReadonlySet<string>;
}

/** Every claim check of one token family (or of its introspection results). */
export interface ClaimPolicy {
  leeway: number;
  expiry: ClaimPath | null;
  notBefore: ClaimPath | null;
  /**
   * JWT payloads: a present `iat` must be a number; where not-before is verified it must not be
   * in the future beyond the leeway either (the same clock-skew question as `nbf`).
   */
  issuedAt: boolean;
  allowLists: readonly AllowList[];
  required: readonly ClaimPath[];
  /** Labels of claims that are checked only when present. */
  optional: ReadonlySet<string>;
  scopes: { claim: ClaimPath; requirement: ScopeRequirement } | null;
}

const numeric = (value: unknown): value is number =>
  typeof value === 'number' && Number.isFinite(value);

function checkTimes(claims: Claims, policy: ClaimPolicy, now: number): void {
  if (policy.expiry) {
    const exp = readClaim(claims, policy.expiry);
    const label = pathLabel(policy.expiry);
    if (exp === undefined && policy.optional.has(label)) {
      // Listed in *_optional_claims: checked only when present.
    } else if (!numeric(exp)) {
      throw Rejections.invalid(`'${label}' claim must be a number`);
    } else if (now > exp + policy.leeway) {
      throw Rejections.expired();
    }
  }
  if (policy.notBefore) {
    // Unlike a missing `exp` (a token that never expires), a missing `nbf` restricts nothing.
    const nbf = readClaim(claims, policy.notBefore);
    if (nbf !== undefined) {
      if (!numeric(nbf))
        throw Rejections.invalid(`'${pathLabel(policy.notBefore)}' claim must be a number`);
      if (nbf > now + policy.leeway) throw Rejections.notYetValid();
    }
  }
  if (policy.issuedAt && claims.iat !== undefined) {
    if (!numeric(claims.iat)) throw Rejections.invalid(`'iat' claim must be a number`);
    if (policy.notBefore && claims.iat > now + policy.leeway)
      throw Rejections.notYetValid('token issued in the future');
  }
}

function checkAllowList(claims: Claims, list: AllowList, optional: ReadonlySet<string>): void {
  const label = pathLabel(list.claim);
  const value = readClaim(claims, list.claim);
  if (value === undefined) {
    if (optional.has(label)) return;
    throw Rejections.invalid(`token has no '${label}' claim`);
  }
  const values = Array.isArray(value) ? value : [value];
  if (!values.some((v) => typeof v === 'string' && list.allowed.has(v)))
    throw Rejections.invalid(`'${label}' is not an allowed ${list.label}`);
}

/**
 * Time claims, then allow-lists (401 `invalid_token`), then required claims and scopes
 * (403 `insufficient_scope`). `now` is epoch seconds from the injected clock.
 */
export function checkClaims(claims: Claims, policy: ClaimPolicy, now: number): void {
  checkTimes(claims, policy, now);
  for (const list of policy.allowLists) checkAllowList(claims, list, policy.optional);
  for (const path of policy.required) {
    const value = readClaim(claims, path);
    if (value === undefined || value === null)
      throw Rejections.claimMissing(`token lacks the required claim '${pathLabel(path)}'`);
  }
  if (policy.scopes) {
    const { claim, requirement } = policy.scopes;
    const value = readClaim(claims, claim);
    if (value === undefined && policy.optional.has(pathLabel(claim))) return;
    if (!requirement.isSatisfiedBy(value))
      throw Rejections.insufficientScope(`'${pathLabel(claim)}' ${requirement.describe()}`);
  }
}

/** The `exp` at a path when it is a number, for cache bounds. */
export function expiryOf(claims: Claims, path: ClaimPath | null): number | undefined {
  const exp = readClaim(claims, path ?? ['exp']);
  return numeric(exp) ? exp : undefined;
}
