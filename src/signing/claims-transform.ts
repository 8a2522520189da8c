/** Claim edits Kong JWT Signer applies to a re-signed token, in its order and precedence. */
export interface ClaimEdits {
  /** `*_issuer`: new `iss`; the old one moves to `original_iss`. */
  issuer?: string;
  /** `*_upstream_leeway` (seconds, may be negative): shifts `exp`; the old one moves to `original_exp`. */
  upstreamLeeway?: number;
  /** `remove_<token>_claims`: top-level claims dropped first. */
  remove?: readonly string[];
  /** Global `set_claims`: overwrite. */
  globalSet?: Readonly<Record<string, string>>;
  /** `set_<token>_claims`: overwrite, winning over the global set. */
  set?: Readonly<Record<string, string>>;
  /** `add_<token>_claims`: only where absent. */
  add?: Readonly<Record<string, string>>;
  /** Global `add_claims`: only where still absent. */
  globalAdd?: Readonly<Record<string, string>>;
}

/** Kong decodes claim values that parse as JSON (`"[1,2]"` → array, `"true"` → boolean). */
export function decodeClaimValue(value: string): unknown {
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return value;
  }
}

/**
 * Applies Kong's re-signing edits to a copy of `claims`. Precedence ends as: per-token set >
 * global set > existing > per-token add > global add.
 */
export function applyClaimEdits(
  claims: Readonly<Record<string, unknown>>,
  edits: ClaimEdits,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...claims };
  if (edits.issuer !== undefined) {
    if (out.iss !== undefined) out.original_iss = out.iss;
    out.iss = edits.issuer;
  }
  if (edits.upstreamLeeway && typeof out.exp === 'number') {
    out.original_exp = out.exp;
    out.exp = out.exp + edits.upstreamLeeway;
  }
  for (const name of edits.remove ?? []) delete out[name];
  for (const map of [edits.globalSet, edits.set]) {
    for (const [name, value] of Object.entries(map ?? {})) out[name] = decodeClaimValue(value);
  }
  for (const map of [edits.add, edits.globalAdd]) {
    for (const [name, value] of Object.entries(map ?? {})) {
      if (out[name] === undefined) out[name] = decodeClaimValue(value);
    }
  }
  return out;
}
