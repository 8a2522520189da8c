import 'reflect-metadata';
import { Type } from 'class-transformer';
import {
  ArrayNotEmpty,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  Min,
  registerDecorator,
  ValidateNested,
  type ValidationOptions,
} from 'class-validator';
import { OutboundHttp } from '../common/outbound-http';
import { NAME_PATTERN, SECRET_PLACEHOLDER } from '../config/file.schema';
import { validateConfig, type ConfigProblem } from '../config/validate';
import { SIGNING_ALGORITHMS, type SigningAlgorithm } from '../keys/algorithms';
import { optumKeyProblems } from '../signing/optum-key';

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

interface KindTypes {
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

type Kind = keyof KindTypes;

interface FieldSpec {
  kind: Kind;
  /** Kong's default. `ISSUER` stands for the service issuer (our one deliberate difference). */
  default: unknown;
  /** Where the channel family's default differs from the access family's. */
  channelDefault?: unknown;
  /** An explicit null (or "") is meaningful (e.g. "no header"), not "use the default". */
  nullable?: boolean;
}

const ISSUER = Symbol('service issuer');
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
  'verify_{t}_notbefore': { kind: 'boolean', default: false },
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
  'verify_{t}_introspection_notbefore': { kind: 'boolean', default: false },
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

type FamilyTemplate = keyof typeof TOKEN_FAMILY;

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

// ---------------------------------------------------------------------------------------------
// Validation (class-validator). The input class is decorated from the tables above.

/** RFC 9110 token characters: a header name. */
const HEADER_TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** A header name with Kong's optional `:Bearer` / `:Basic` suffix. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+(:(bearer|basic))?$/i;
const HTTP_URL = { require_tld: false, protocols: ['http', 'https'], require_protocol: true };

function custom(
  name: string,
  message: string,
  validate: (value: unknown) => boolean,
  options?: ValidationOptions,
): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name,
      target: target.constructor,
      propertyName: propertyName as string,
      options: { message, ...options },
      validator: { validate },
    });
}

const isPath = (value: unknown): boolean =>
  Array.isArray(value) &&
  value.length > 0 &&
  value.every((part) => typeof part === 'string' && part.length > 0);

const KIND_DECORATORS: Record<Kind, () => PropertyDecorator[]> = {
  string: () => [IsString()],
  url: () => [IsUrl(HTTP_URL, { message: '$property must be an http(s) URL' })],
  header: () => [
    Matches(HEADER_NAME, {
      message: '$property must be a header name, optionally with a :Bearer or :Basic suffix',
    }),
  ],
  headerValue: () => [
    IsString(),
    Matches(/^[^\r\n]*$/, { message: '$property must not contain line breaks' }),
  ],
  keyset: () => [
    custom(
      'isKeyset',
      '$property must be a keyset name (letters, digits, ".", "_", "-") or an http(s) URL',
      (value) =>
        typeof value === 'string' && (NAME_PATTERN.test(value) || /^https?:\/\/\S+$/.test(value)),
    ),
  ],
  boolean: () => [IsBoolean()],
  seconds: () => [IsNumber({ allowNaN: false, allowInfinity: false }), Min(0)],
  signedSeconds: () => [IsNumber({ allowNaN: false, allowInfinity: false })],
  millis: () => [IsInt(), Min(1), Max(600000)],
  path: () => [custom('isClaimPath', '$property must be a non-empty list of claim names', isPath)],
  paths: () => [
    custom(
      'isClaimPaths',
      '$property must be a list of claim paths (each a non-empty list of claim names)',
      (value) => Array.isArray(value) && value.every(isPath),
    ),
  ],
  strings: () => [IsArray(), IsString({ each: true })],
  claimMap: () => [
    IsObject(),
    custom(
      'isClaimMap',
      '$property must map claim names to string values (JSON text is decoded)',
      (value) =>
        typeof value === 'object' &&
        value !== null &&
        Object.values(value).every((v) => typeof v === 'string'),
    ),
  ],
  algorithm: () => [IsIn(SIGNING_ALGORITHMS)],
  consumerBy: () => [IsArray(), ArrayNotEmpty(), IsIn(CONSUMER_FIELDS, { each: true })],
  unsupported: () => [
    custom(
      'isUnsupported',
      '$property is not supported (mTLS client certificates for outbound calls); remove it or set it to null',
      (value) => value === null || value === undefined,
    ),
  ],
  tlsVerify: () => [
    custom(
      'isTlsVerify',
      '$property: TLS verification cannot be turned off; trust a private CA with NODE_EXTRA_CA_CERTS instead',
      (value) => value === true,
    ),
  ],
};

export class CredentialsInput {
  @IsOptional() @IsString() @IsNotEmpty() key_claim_name?: string;
  @IsOptional() @IsArray() @IsIn(['exp', 'nbf'], { each: true }) claims_to_verify?: (
    'exp' | 'nbf'
  )[];
  /** Kong JWT: at most one year. */
  @IsOptional() @IsInt() @Min(0) @Max(31536000) maximum_expiration?: number;
  @IsOptional() @IsBoolean() secret_is_base64?: boolean;
  @IsOptional()
  @IsArray()
  @Matches(HEADER_TOKEN, {
    each: true,
    message: 'each of $property must be a header name',
  })
  header_names?: string[];
  @IsOptional()
  @IsArray()
  @IsString({ each: true })
  @IsNotEmpty({ each: true })
  uri_param_names?: string[];
  @IsOptional()
  @IsArray()
  @IsString({ each: true })
  @IsNotEmpty({ each: true })
  cookie_names?: string[];
  /** Consumer (id or username) used when authentication fails. */
  @IsOptional() @IsString() @IsNotEmpty() anonymous?: string;
}

export class UpstreamJwtInput {
  @IsOptional()
  @Matches(NAME_PATTERN, { message: '$property must be a keyset name' })
  keyset?: string;
  @IsOptional()
  @Matches(HEADER_TOKEN, { message: '$property must be a header name' })
  header?: string;
  @IsOptional() @IsInt() @Min(1) @Max(86400) ttl?: number;
  @IsOptional() @IsBoolean() payloadhash?: boolean;
  @IsOptional() @IsBoolean() x5c?: boolean;
  @IsOptional() @IsString() @IsNotEmpty() audience?: string;
  @IsOptional() @IsString() @IsNotEmpty() issuer?: string;
  @IsOptional() @IsBoolean() include_credential_type?: boolean;
  @IsOptional() @IsString() @IsNotEmpty() key_id?: string;
  @IsOptional() @IsString() @IsNotEmpty() private_key_location?: string;
  @IsOptional() @IsString() @IsNotEmpty() public_key_location?: string;
}

/** The input shape; its properties are decorated below from the field tables. */
class ProfileInput {
  [field: string]: unknown;
}

function decorateInput(): void {
  const apply = (name: string, decorators: PropertyDecorator[]): void => {
    for (const decorate of decorators) decorate(ProfileInput.prototype, name);
  };
  apply('name', [
    Matches(NAME_PATTERN, { message: '$property must be 1-64 letters, digits, ".", "_" or "-"' }),
  ]);
  for (const [name, spec] of Object.entries(GLOBAL_FIELDS))
    apply(name, [IsOptional(), ...KIND_DECORATORS[spec.kind]()]);
  for (const token of TOKEN_KINDS) {
    for (const [template, spec] of Object.entries(TOKEN_FAMILY) as [FamilyTemplate, FieldSpec][])
      apply(fieldName(template, token), [IsOptional(), ...KIND_DECORATORS[spec.kind]()]);
  }
  apply('credentials', [IsOptional(), ValidateNested(), Type(() => CredentialsInput)]);
  apply('upstream_jwt', [IsOptional(), ValidateNested(), Type(() => UpstreamJwtInput)]);
}
decorateInput();

// ---------------------------------------------------------------------------------------------
// Defaults and the checks that span fields.

export interface ProfileContext {
  /** The service issuer: default of `*_issuer`. */
  issuer: string;
  /** `STS_ALLOW_INSECURE_HTTP`: plain http to non-loopback hosts. */
  allowInsecureHttp: boolean;
}

function resolveDefault(spec: FieldSpec, token: TokenKind | undefined, ctx: ProfileContext) {
  const value =
    token === 'channel_token' && 'channelDefault' in spec ? spec.channelDefault : spec.default;
  return value === ISSUER ? ctx.issuer : value;
}

/**
 * Absent → Kong's default. An explicit null (or "") means "none" where that is meaningful (a
 * header that is not read or written, no introspection hint, no scopes claim); elsewhere it is
 * the default too, since Kong's exported configurations list unset fields as null.
 */
function valueOf(
  raw: Record<string, unknown>,
  name: string,
  spec: FieldSpec,
  token: TokenKind | undefined,
  ctx: ProfileContext,
): unknown {
  const given = raw[name];
  if (spec.nullable && (given === null || given === '')) return null;
  if (given === undefined || given === null) return resolveDefault(spec, token, ctx);
  return given;
}

function withDefaults(raw: Record<string, unknown>, ctx: ProfileContext): Profile {
  const out: Record<string, unknown> = { name: raw.name };
  for (const [name, spec] of Object.entries(GLOBAL_FIELDS))
    out[name] = valueOf(raw, name, spec, undefined, ctx);
  for (const token of TOKEN_KINDS) {
    for (const [template, spec] of Object.entries(TOKEN_FAMILY) as [FamilyTemplate, FieldSpec][]) {
      const name = fieldName(template, token);
      out[name] = valueOf(raw, name, spec, token, ctx);
    }
  }
  const credentials = raw.credentials as CredentialsInput | undefined | null;
  out.credentials = credentials
    ? {
        key_claim_name: credentials.key_claim_name ?? 'iss',
        claims_to_verify: credentials.claims_to_verify ?? [],
        maximum_expiration: credentials.maximum_expiration ?? 0,
        secret_is_base64: credentials.secret_is_base64 ?? false,
        header_names: credentials.header_names ?? ['authorization'],
        uri_param_names: credentials.uri_param_names ?? ['jwt'],
        cookie_names: credentials.cookie_names ?? [],
        anonymous: credentials.anonymous ?? null,
      }
    : null;
  const upstream = raw.upstream_jwt as UpstreamJwtInput | undefined | null;
  out.upstream_jwt = upstream
    ? {
        keyset: upstream.keyset ?? (upstream.private_key_location ? null : 'default'),
        header: upstream.header ?? 'JWT',
        ttl: upstream.ttl ?? 60,
        payloadhash: upstream.payloadhash ?? true,
        // Optum always sends the certificate it is given; a keyset has none unless asked.
        x5c: upstream.x5c ?? upstream.public_key_location !== undefined,
        audience: upstream.audience ?? null,
        issuer: upstream.issuer ?? null,
        include_credential_type: upstream.include_credential_type ?? false,
        key_id: upstream.key_id ?? null,
        private_key_location: upstream.private_key_location ?? null,
        public_key_location: upstream.public_key_location ?? null,
      }
    : null;
  return deepFreeze(out) as unknown as Profile;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
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
function crossChecks(profile: Profile, at: string, ctx: ProfileContext): ConfigProblem[] {
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

/**
 * Validates one profile (as written in the file, the database or the admin API) and applies Kong's
 * defaults. Problems carry their path under `at` (`profiles[2].access_token_leeway`).
 */
export function validateProfile(
  raw: unknown,
  at: string,
  ctx: ProfileContext,
): { profile?: Profile; problems: ConfigProblem[] } {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    return { problems: [{ path: at, message: 'a profile must be a mapping of parameters' }] };
  const { problems } = validateConfig(ProfileInput, raw, at);
  for (const field of PROFILE_SECRET_FIELDS) {
    if ((raw as Record<string, unknown>)[field] === SECRET_PLACEHOLDER)
      problems.push({
        path: `${at}.${field}`,
        message: `is the export's placeholder ${SECRET_PLACEHOLDER}; put the secret itself here`,
      });
  }
  if (problems.length > 0) return { problems };
  const profile = withDefaults(raw as Record<string, unknown>, ctx);
  const crossProblems = crossChecks(profile, at, ctx);
  return crossProblems.length > 0 ? { problems: crossProblems } : { profile, problems: [] };
}
