import { optumKeyProblems } from './optum-key-files';
import { OutboundHttp } from '../common/outbound-http';
import type { ConfigProblem } from '../common/validation';
import {
  familyOf,
  fieldName,
  TOKEN_KINDS,
  type FamilyTemplate,
  type FamilyValues,
  type Profile,
} from './profile-parameters';

export interface ProfileContext {
  /** The service issuer: default of `*_issuer`. */
  issuer: string;
  /** `STS_ALLOW_INSECURE_HTTP`: plain http to non-loopback hosts. */
  allowInsecureHttp: boolean;
}

/** Header names compare case-insensitively with `-` equal to `_`, suffix ignored. */
const normalizeHeaderName = (header: string): string =>
  header
    .replace(/:(bearer|basic)$/i, '')
    .toLowerCase()
    .replace(/_/g, '-');

const canVerify = (f: FamilyValues): boolean =>
  f['{t}_jwks_uri'] !== null ||
  !f['verify_{t}_signature'] ||
  (f['enable_{t}_introspection'] && f['{t}_introspection_endpoint'] !== null);

/**
 * Configurations on which Kong would fail every request, or that cannot work here, are refused
 * at start-up with the path of the field to fix.
 */
export function crossChecks(profile: Profile, at: string, ctx: ProfileContext): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const problem = (field: string, message: string) =>
    problems.push({ path: `${at}.${field}`, message });
  const outbound = new OutboundHttp({ allowInsecureHttp: ctx.allowInsecureHttp });

  for (const token of TOKEN_KINDS) {
    const f = familyOf(profile, token);
    const name = (template: FamilyTemplate) => fieldName(template, token);
    const credentialsMode = token === 'access_token' && profile.credentials !== null;
    const readsToken = credentialsMode || f['{t}_request_header'] !== null;

    if (!readsToken && !f['{t}_optional']) {
      problem(
        name('{t}_request_header'),
        `no request header is set, so every request would fail; set ${name('{t}_request_header')} or ${name('{t}_optional')}: true`,
      );
    }
    if (credentialsMode) {
      for (const template of ['{t}_jwks_uri', '{t}_introspection_endpoint'] as const) {
        if (f[template] !== null)
          problem(
            name(template),
            'the credentials block verifies the access token with consumer credentials; it cannot be combined with a JWKS or introspection',
          );
      }
    } else if (readsToken && !canVerify(f)) {
      problem(
        name('{t}_jwks_uri'),
        `no way to verify the ${token.replace('_', ' ')}: set ${name('{t}_jwks_uri')} or ${name('{t}_introspection_endpoint')}`,
      );
    }
    for (const scope of ['', 'introspection_'] as const) {
      const claim = `{t}_${scope}scopes_claim` as FamilyTemplate;
      const required = f[`{t}_${scope}scopes_required` as FamilyTemplate] as
        readonly string[] | null;
      const verify = f[`verify_{t}_${scope}scopes` as FamilyTemplate] as boolean;
      if (verify && required && required.length > 0 && f[claim] === null)
        problem(
          name(claim),
          `${name(`{t}_${scope}scopes_required` as FamilyTemplate)} is set but there is no scopes claim to check`,
        );
      if (required?.some((entry) => entry.trim() === ''))
        problem(
          name(`{t}_${scope}scopes_required` as FamilyTemplate),
          'entries must name at least one scope',
        );
    }
    for (const pair of ['{t}_jwks_uri_client', '{t}_keyset_client'] as const) {
      const username = f[`${pair}_username`];
      const password = f[`${pair}_password`];
      if ((username === null) !== (password === null))
        problem(
          name(`${pair}_username`),
          `set ${name(`${pair}_username`)} and ${name(`${pair}_password`)} together`,
        );
    }
    for (const template of ['{t}_jwks_uri', '{t}_introspection_endpoint', '{t}_keyset'] as const) {
      const url = f[template];
      if (url === null || (template === '{t}_keyset' && !/^https?:/.test(url))) continue;
      try {
        outbound.assertAllowed(url);
      } catch (err) {
        problem(name(template), (err as Error).message);
      }
    }
  }

  const upstreamHeaders = [
    'access_token_upstream_header',
    'channel_token_upstream_header',
    'original_access_token_upstream_header',
    'original_channel_token_upstream_header',
  ] as const;
  const seen = new Map<string, string>();
  for (const field of upstreamHeaders) {
    const header = profile[field];
    if (header === null) continue;
    const key = normalizeHeaderName(header);
    const clash = seen.get(key);
    if (clash) problem(field, `must differ from ${clash} (both are "${header}")`);
    else seen.set(key, field);
  }
  const credentials = profile.credentials;
  if (
    credentials &&
    credentials.maximum_expiration > 0 &&
    !credentials.claims_to_verify.includes('exp')
  )
    problem(
      'credentials.maximum_expiration',
      'requires "exp" in credentials.claims_to_verify (as Kong JWT)',
    );
  if (profile.upstream_jwt)
    problems.push(...optumKeyProblems(profile.upstream_jwt, `${at}.upstream_jwt`));
  return problems;
}
