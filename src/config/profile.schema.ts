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
import { validateConfig, type ConfigProblem } from '../common/validation';
import { SIGNING_ALGORITHMS } from './algorithms';
import { NAME_PATTERN, SECRET_PLACEHOLDER } from './file.schema';
import { crossChecks, type ProfileContext } from './profile-checks';
import {
  CONSUMER_FIELDS,
  fieldName,
  GLOBAL_FIELDS,
  ISSUER,
  PROFILE_SECRET_FIELDS,
  TOKEN_FAMILY,
  TOKEN_KINDS,
  type FamilyTemplate,
  type FieldSpec,
  type Kind,
  type Profile,
  type TokenKind,
} from './profile-parameters';
import { deepFreeze } from '../common/freeze';

/** Validation of a profile's parameters (the table in profile-parameters.ts), defaults, cross-field checks. */
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

function resolveDefault(spec: FieldSpec, token: TokenKind | undefined, ctx: ProfileContext) {
  const value =
    token === 'channel_token' && 'channelDefault' in spec ? spec.channelDefault : spec.default;
  return value === ISSUER ? ctx.issuer : value;
}

/**
 * Absent → the default (Kong's, but for the deliberate differences). An explicit null (or "")
 * means "none" where that is meaningful (a header that is not read or written, no introspection
 * hint, no scopes claim); elsewhere it is the default too, since Kong's exported configurations
 * list unset fields as null. Any other explicit value is taken as given (`false` turns a check
 * off even where our default is `true`).
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
