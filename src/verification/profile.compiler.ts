import { ASYMMETRIC_ALGORITHMS, HMAC_ALGORITHMS } from '../config/algorithms';
import { pathLabel, type AllowList, type ClaimPolicy } from './claim-checks';
import { ScopeRequirement } from './scopes';
import type { IntrospectionTarget } from './introspection.client';
import {
  familyOf,
  TOKEN_KINDS,
  type ClaimPath,
  type ConsumerField,
  type CredentialsSettings,
  type FamilyValues,
  type Profile,
  type TokenKind,
} from '../config/profile-parameters';
import type { JwksSource, RemoteJwks } from './remote-jwks.cache';
import type { TokenSources } from './token-extraction';

export interface ConsumerMapping {
  claim: ClaimPath;
  by: readonly ConsumerField[];
}

/** Everything needed to verify one token slot, resolved once per profile. */
export interface SlotPolicy {
  token: TokenKind;
  /** "access token" / "channel token", for messages. */
  label: string;
  optional: boolean;
  sources: TokenSources;
  /** Kong JWT consumer credentials instead of a JWKS (access token only). */
  credentials: CredentialsSettings | null;
  verifySignature: boolean;
  algorithms: readonly string[];
  jwks: RemoteJwks | null;
  introspection: IntrospectionTarget | null;
  trustIntrospection: boolean;
  introspectionJwtClaim: ClaimPath | null;
  /** Checks on the token's payload. */
  claims: ClaimPolicy;
  /** Checks on the introspection result. */
  introspectionClaims: ClaimPolicy;
  consumer: ConsumerMapping | null;
  introspectionConsumer: ConsumerMapping | null;
}

export interface CompiledProfile {
  profile: Profile;
  access: SlotPolicy;
  channel: SlotPolicy;
}

type Field = keyof FamilyValues;

/** Where Kong reads `X_Channel:Bearer` from: `x-channel`, and `x_channel` as sent. */
function requestHeaderNames(header: string): string[] {
  const name = header.replace(/:(bearer|basic)$/i, '').toLowerCase();
  return [...new Set([name.replace(/_/g, '-'), name])];
}

/** The payload checks (`prefix` "") or the introspection-result checks (`prefix` "introspection_"). */
function claimPolicy(f: FamilyValues, prefix: '' | 'introspection_'): ClaimPolicy {
  const get = <T>(template: string): T => f[template as Field] as T;
  const allowLists: AllowList[] = [];
  for (const [label, plural] of [
    ['issuer', 'issuers'],
    ['subject', 'subjects'],
    ['audience', 'audiences'],
  ] as const) {
    const allowed = get<readonly string[] | null>(`{t}_${prefix}${plural}_allowed`);
    // An empty list is how exported configurations show "not set".
    if (get<boolean>(`verify_{t}_${prefix}${label}`) && allowed && allowed.length > 0)
      allowLists.push({
        label,
        claim: get<ClaimPath>(`{t}_${prefix}${label}_claim`),
        allowed: new Set(allowed),
      });
  }
  const required = get<readonly string[] | null>(`{t}_${prefix}scopes_required`);
  const scopesClaim = get<ClaimPath | null>(`{t}_${prefix}scopes_claim`);
  const expiry = get<boolean>(`verify_{t}_${prefix}expiry`)
    ? get<ClaimPath>(`{t}_${prefix}expiry_claim`)
    : null;
  return {
    leeway: get<number>(`{t}_${prefix}leeway`),
    expiry,
    notBefore: get<boolean>(`verify_{t}_${prefix}notbefore`)
      ? get<ClaimPath>(`{t}_${prefix}notbefore_claim`)
      : null,
    issuedAt: prefix === '' && expiry !== null,
    allowLists,
    required: get<readonly ClaimPath[] | null>(`{t}_${prefix}required_claims`) ?? [],
    optional: new Set(
      (get<readonly ClaimPath[] | null>(`{t}_${prefix}optional_claims`) ?? []).map(pathLabel),
    ),
    scopes:
      get<boolean>(`verify_{t}_${prefix}scopes`) && required && required.length > 0 && scopesClaim
        ? { claim: scopesClaim, requirement: new ScopeRequirement(required) }
        : null,
  };
}

function consumerMapping(claim: ClaimPath | null, by: readonly ConsumerField[]) {
  return claim ? { claim, by } : null;
}

function slotPolicy(
  profile: Profile,
  token: TokenKind,
  registerJwks: (source: JwksSource) => RemoteJwks,
): SlotPolicy {
  const f = familyOf(profile, token);
  const credentials = token === 'access_token' ? profile.credentials : null;
  const header = f['{t}_request_header'];
  const sources: TokenSources = credentials
    ? {
        body: token,
        bearerHeaders: credentials.header_names,
        queryParams: credentials.uri_param_names,
        cookies: credentials.cookie_names,
      }
    : header === null
      ? {} // Kong: no request header means the token is not looked for at all
      : { body: token, headers: requestHeaderNames(header) };
  const jwksUri = f['{t}_jwks_uri'];
  const endpoint = f['{t}_introspection_endpoint'];
  return {
    token,
    label: token.replace('_', ' '),
    optional: f['{t}_optional'],
    sources,
    credentials,
    verifySignature: f['verify_{t}_signature'],
    algorithms: profile.enable_hs_signatures
      ? [...ASYMMETRIC_ALGORITHMS, ...HMAC_ALGORITHMS]
      : ASYMMETRIC_ALGORITHMS,
    jwks:
      jwksUri === null
        ? null
        : registerJwks({
            uri: jwksUri,
            username: f['{t}_jwks_uri_client_username'],
            password: f['{t}_jwks_uri_client_password'],
            rotatePeriodSeconds: f['{t}_jwks_uri_rotate_period'],
          }),
    introspection:
      endpoint === null || !f['enable_{t}_introspection']
        ? null
        : {
            endpoint,
            authorization: f['{t}_introspection_authorization'],
            bodyArgs: f['{t}_introspection_body_args'],
            hint: f['{t}_introspection_hint'],
            timeoutMs: f['{t}_introspection_timeout'],
            cache: f['cache_{t}_introspection'],
            expiryClaim: f['{t}_introspection_expiry_claim'],
          },
    trustIntrospection: f['trust_{t}_introspection'],
    introspectionJwtClaim: f['{t}_introspection_jwt_claim'],
    claims: claimPolicy(f, ''),
    introspectionClaims: claimPolicy(f, 'introspection_'),
    consumer: consumerMapping(f['{t}_consumer_claim'], f['{t}_consumer_by']),
    introspectionConsumer: consumerMapping(
      f['{t}_introspection_consumer_claim'],
      f['{t}_introspection_consumer_by'],
    ),
  };
}

/** Resolves a validated profile into per-slot policies (JWKS registered, scopes parsed). */
export function compileProfile(
  profile: Profile,
  registerJwks: (source: JwksSource) => RemoteJwks,
): CompiledProfile {
  const [access, channel] = TOKEN_KINDS.map((token) => slotPolicy(profile, token, registerJwks));
  return { profile, access: access!, channel: channel! };
}
