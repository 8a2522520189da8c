import type { SigningAlgorithm } from './algorithms';

/**
 * A profile is one Kong JWT Signer plugin instance: `name` plus Kong's `config.*` parameters with
 * Kong's names and defaults, so a Kong `config:` block pastes in unchanged, plus two blocks of our
 * own (`credentials`: Kong JWT consumer credentials; `upstream_jwt`: Optum's upstream JWT).
 *
 * The two token families mirror each other field for field, so they are described once, with
 * `{t}` standing for `access_token` or `channel_token`, and both are validated from that table.
 */

export const TOKEN_KINDS = ['access_token', 'channel_token'] as const;
export type TokenKind = (typeof TOKEN_KINDS)[number];

export const CONSUMER_FIELDS = ['id', 'username', 'custom_id'] as const;
export type ConsumerField = (typeof CONSUMER_FIELDS)[number];

/** A claim path: `["employee", "favourites", "beverage"]` reads `payload.employee.favourites.beverage`. */
export type ClaimPath = readonly string[];

export interface KindTypes {
  string: string;
  url: string;
  /** A header name, optionally with Kong's `:Bearer` / `:Basic` suffix. */
  header: string;
  /** A header value sent as is (no line breaks). */
  headerValue: string;
  /** A keyset name, or an http(s) URL of a private JWKS (Kong's keyset-URL mode). */
  keyset: string;
  boolean: boolean;
  /** Seconds, not negative. */
  seconds: number;
  /** Seconds, may be negative (`*_upstream_leeway`). */
  signedSeconds: number;
  millis: number;
  path: ClaimPath;
  paths: readonly ClaimPath[];
  strings: readonly string[];
  /** Claim name → string value (JSON text is decoded when the claim is written). */
  claimMap: Readonly<Record<string, string>>;
  algorithm: SigningAlgorithm;
  consumerBy: readonly ConsumerField[];
  /** Recognised, not supported: only null/absent is accepted. */
  unsupported: null;
  /** `*_endpoints_ssl_verify`: TLS verification cannot be turned off here. */
  tlsVerify: boolean;
}

export type Kind = keyof KindTypes;

export interface FieldSpec {
  kind: Kind;
  /** Kong's default, except where `kongDefault` is set. `ISSUER` stands for the service issuer. */
  default: unknown;
  /**
   * Kong's default where ours deliberately differs (docs/compatibility.md). A Kong export
   * carries it explicitly, and an explicit value is honoured: only an absent or null field takes
   * our default.
   */
  kongDefault?: unknown;
  /** Where the channel family's default differs from the access family's. */
  channelDefault?: unknown;
  /** An explicit null (or "") is meaningful (e.g. "no header"), not "use the default". */
  nullable?: boolean;
}

export const ISSUER = Symbol('service issuer');
const NONE = null;

/** Every parameter of one token family (Kong JWT Signer 3.15 schema, 74 per family). */
export const TOKEN_FAMILY = {
  '{t}_request_header': {
    kind: 'header',
    default: 'Authorization',
    channelDefault: NONE,
    nullable: true,
  },
  '{t}_optional': { kind: 'boolean', default: false },
  '{t}_jwks_uri': { kind: 'url', default: NONE },
  '{t}_jwks_uri_client_username': { kind: 'string', default: NONE },
  '{t}_jwks_uri_client_password': { kind: 'string', default: NONE },
  '{t}_jwks_uri_client_certificate': { kind: 'unsupported', default: NONE },
  '{t}_jwks_uri_rotate_period': { kind: 'seconds', default: 0 },
  '{t}_keyset': { kind: 'keyset', default: 'kong' },
  '{t}_keyset_client_username': { kind: 'string', default: NONE },
  '{t}_keyset_client_password': { kind: 'string', default: NONE },
  '{t}_keyset_client_certificate': { kind: 'unsupported', default: NONE },
  '{t}_keyset_rotate_period': { kind: 'seconds', default: 0 },
  '{t}_endpoints_ssl_verify': { kind: 'tlsVerify', default: true },
  'verify_{t}_signature': { kind: 'boolean', default: true },
  '{t}_leeway': { kind: 'seconds', default: 0 },
  'verify_{t}_expiry': { kind: 'boolean', default: true },
  '{t}_expiry_claim': { kind: 'path', default: ['exp'] },
  '{t}_notbefore_claim': { kind: 'path', default: ['nbf'] },
  // RFC 7519 §4.1.5: a token before its `nbf` MUST NOT be accepted.
  'verify_{t}_notbefore': { kind: 'boolean', default: true, kongDefault: false },
  '{t}_scopes_claim': { kind: 'path', default: ['scope'], nullable: true },
  '{t}_scopes_required': { kind: 'strings', default: NONE },
  'verify_{t}_scopes': { kind: 'boolean', default: true },
  '{t}_issuer_claim': { kind: 'path', default: ['iss'] },
  '{t}_issuers_allowed': { kind: 'strings', default: NONE },
  'verify_{t}_issuer': { kind: 'boolean', default: true },
  '{t}_subject_claim': { kind: 'path', default: ['sub'] },
  '{t}_subjects_allowed': { kind: 'strings', default: NONE },
  'verify_{t}_subject': { kind: 'boolean', default: true },
  '{t}_audience_claim': { kind: 'path', default: ['aud'] },
  '{t}_audiences_allowed': { kind: 'strings', default: NONE },
  'verify_{t}_audience': { kind: 'boolean', default: true },
  '{t}_required_claims': { kind: 'paths', default: NONE },
  '{t}_optional_claims': { kind: 'paths', default: NONE },
  '{t}_consumer_claim': { kind: 'path', default: NONE },
  '{t}_consumer_by': { kind: 'consumerBy', default: ['username', 'custom_id'] },
  '{t}_upstream_header': {
    kind: 'header',
    default: 'Authorization:Bearer',
    channelDefault: NONE,
    nullable: true,
  },
  '{t}_upstream_leeway': { kind: 'signedSeconds', default: 0 },
  '{t}_issuer': { kind: 'string', default: ISSUER },
  '{t}_signing': { kind: 'boolean', default: true },
  '{t}_signing_algorithm': { kind: 'algorithm', default: 'RS256' },
  'original_{t}_upstream_header': { kind: 'header', default: NONE, nullable: true },
  'add_{t}_claims': { kind: 'claimMap', default: {} },
  'set_{t}_claims': { kind: 'claimMap', default: {} },
  'remove_{t}_claims': { kind: 'strings', default: [] },
  'enable_{t}_introspection': { kind: 'boolean', default: true },
  '{t}_introspection_endpoint': { kind: 'url', default: NONE },
  '{t}_introspection_authorization': { kind: 'headerValue', default: NONE },
  '{t}_introspection_body_args': { kind: 'string', default: NONE },
  '{t}_introspection_hint': {
    kind: 'string',
    default: 'access_token',
    channelDefault: NONE,
    nullable: true,
  },
  '{t}_introspection_timeout': { kind: 'millis', default: NONE },
  'cache_{t}_introspection': { kind: 'boolean', default: true },
  'trust_{t}_introspection': { kind: 'boolean', default: true },
  '{t}_introspection_jwt_claim': { kind: 'path', default: NONE },
  '{t}_introspection_leeway': { kind: 'seconds', default: 0 },
  'verify_{t}_introspection_expiry': { kind: 'boolean', default: true },
  '{t}_introspection_expiry_claim': { kind: 'path', default: ['exp'] },
  '{t}_introspection_notbefore_claim': { kind: 'path', default: ['nbf'] },
  // RFC 7662 §2.2 gives introspection results the same `nbf`; checked alike.
  'verify_{t}_introspection_notbefore': { kind: 'boolean', default: true, kongDefault: false },
  '{t}_introspection_scopes_claim': { kind: 'path', default: ['scope'], nullable: true },
  '{t}_introspection_scopes_required': { kind: 'strings', default: NONE },
  'verify_{t}_introspection_scopes': { kind: 'boolean', default: true },
  '{t}_introspection_issuer_claim': { kind: 'path', default: ['iss'] },
  '{t}_introspection_issuers_allowed': { kind: 'strings', default: NONE },
  'verify_{t}_introspection_issuer': { kind: 'boolean', default: true },
  '{t}_introspection_subject_claim': { kind: 'path', default: ['sub'] },
  '{t}_introspection_subjects_allowed': { kind: 'strings', default: NONE },
  'verify_{t}_introspection_subject': { kind: 'boolean', default: true },
  '{t}_introspection_audience_claim': { kind: 'path', default: ['aud'] },
  '{t}_introspection_audiences_allowed': { kind: 'strings', default: NONE },
  'verify_{t}_introspection_audience': { kind: 'boolean', default: true },
  '{t}_introspection_required_claims': { kind: 'paths', default: NONE },
  '{t}_introspection_optional_claims': { kind: 'paths', default: NONE },
  '{t}_introspection_consumer_claim': { kind: 'path', default: NONE },
  '{t}_introspection_consumer_by': { kind: 'consumerBy', default: ['username', 'custom_id'] },
} as const satisfies Record<string, FieldSpec>;

/** Parameters outside the two families. */
export const GLOBAL_FIELDS = {
  realm: { kind: 'string', default: NONE },
  enable_hs_signatures: { kind: 'boolean', default: false },
  enable_instrumentation: { kind: 'boolean', default: false },
  add_claims: { kind: 'claimMap', default: {} },
  set_claims: { kind: 'claimMap', default: {} },
} as const satisfies Record<string, FieldSpec>;

export type FamilyTemplate = keyof typeof TOKEN_FAMILY;

type ValueOf<S> = S extends { kind: infer K extends Kind }
  ? KindTypes[K] | (S extends { default: null } | { nullable: true } ? null : never)
  : never;

type Rename<K extends string, T extends string> = K extends `${infer A}{t}${infer B}`
  ? `${A}${T}${B}`
  : K;

/** One token family's values, keyed by the `{t}` template names. */
export type FamilyValues = {
  readonly [K in FamilyTemplate]: ValueOf<(typeof TOKEN_FAMILY)[K]>;
};

type Family<T extends TokenKind> = {
  readonly [K in FamilyTemplate as Rename<K, T>]: ValueOf<(typeof TOKEN_FAMILY)[K]>;
};

type Globals = { readonly [K in keyof typeof GLOBAL_FIELDS]: ValueOf<(typeof GLOBAL_FIELDS)[K]> };

/** Kong JWT (consumer credentials) options, defaults applied. */
export interface CredentialsSettings {
  readonly key_claim_name: string;
  readonly claims_to_verify: readonly ('exp' | 'nbf')[];
  readonly maximum_expiration: number;
  readonly secret_is_base64: boolean;
  readonly header_names: readonly string[];
  readonly uri_param_names: readonly string[];
  readonly cookie_names: readonly string[];
  readonly anonymous: string | null;
}

/** Optum upstream JWT options, defaults applied (consumed by re-signing). */
export interface UpstreamJwtSettings {
  /** Our keyset that signs; null when Optum's key files do. */
  readonly keyset: string | null;
  readonly header: string;
  readonly ttl: number;
  readonly payloadhash: boolean;
  readonly x5c: boolean;
  readonly audience: string | null;
  /** Optum's options: `iss` (else our issuer), `Bearer ` prefix, `kid`, PEM key and certificate files. */
  readonly issuer: string | null;
  readonly include_credential_type: boolean;
  readonly key_id: string | null;
  readonly private_key_location: string | null;
  readonly public_key_location: string | null;
}

/** A validated profile with every default applied; frozen. */
export type Profile = { readonly name: string } & Globals &
  Family<'access_token'> &
  Family<'channel_token'> & {
    readonly credentials: CredentialsSettings | null;
    readonly upstream_jwt: UpstreamJwtSettings | null;
  };

/** The `{t}_…` name of a family field for one token kind. */
export const fieldName = (template: FamilyTemplate, token: TokenKind): string =>
  template.replace('{t}', token);

/** Parameters holding credentials: sealed at rest, redacted in every admin answer. */
export const PROFILE_SECRET_FIELDS: readonly string[] = TOKEN_KINDS.flatMap((token) =>
  (
    [
      '{t}_introspection_authorization',
      '{t}_jwks_uri_client_password',
      '{t}_keyset_client_password',
    ] as const
  ).map((template) => fieldName(template, token)),
);

/** One family of a profile, read back under the template names. */
export function familyOf(profile: Profile, token: TokenKind): FamilyValues {
  const source = profile as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const template of Object.keys(TOKEN_FAMILY)) {
    out[template] = source[fieldName(template as FamilyTemplate, token)];
  }
  return out as FamilyValues;
}
