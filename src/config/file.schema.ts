import 'reflect-metadata';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayNotEmpty,
  Equals,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  Min,
  NotEquals,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { SIGNING_ALGORITHMS, type SigningAlgorithm } from './algorithms';
import { IsDuration } from './duration';

/** Names of keysets, signers, profiles: safe in URLs and logs. */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const NAME_MESSAGE = '$property must be 1-64 letters, digits, ".", "_" or "-"';

/**
 * What `GET /admin/config` writes in place of every secret. A file holding it was exported and not
 * completed, so it is refused rather than stored as the secret.
 */
export const SECRET_PLACEHOLDER = '[REDACTED]';
const NOT_PLACEHOLDER = NotEquals(SECRET_PLACEHOLDER, {
  message: `$property is the export's placeholder ${SECRET_PLACEHOLDER}; put the secret itself here`,
});

const HTTP_URL = { require_tld: false, protocols: ['http', 'https'], require_protocol: true };

/** Durations are seconds or a number with a unit (`30d`). */
const DURATION_SCHEMA = {
  oneOf: [
    { type: 'string', pattern: '^\\d+\\s*[smhd]$' },
    { type: 'integer', minimum: 0 },
  ],
};

export class RotationConfig {
  /** Scheduled rotation interval; unset or 0 = manual rotation only. */
  @ApiPropertyOptional({
    ...DURATION_SCHEMA,
    example: '30d',
    description: 'Scheduled rotation interval; unset or 0 = manual rotation only',
  })
  @IsOptional()
  @IsDuration()
  period?: string | number;

  @ApiPropertyOptional({
    ...DURATION_SCHEMA,
    example: '1h',
    description: 'How long the next key is published before it starts signing (default 1h)',
  })
  @IsOptional()
  @IsDuration()
  prepublish?: string | number;

  /** Previous keys kept published after a rotation. */
  @ApiPropertyOptional({
    minimum: 0,
    maximum: 100,
    example: 1,
    description:
      'Previous keys kept published after a rotation (default 1), or longer while tokens they signed can still be valid',
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(100)
  retain?: number;

  /** The longest lifetime of a token this keyset signs: how long a retired key stays published. */
  @ApiPropertyOptional({
    ...DURATION_SCHEMA,
    example: '1h',
    description:
      'Longest lifetime of a token this keyset signs (default 1h); a retired key stays published at least this long plus 60 s leeway',
  })
  @IsOptional()
  @IsDuration()
  max_token_lifetime?: string | number;
}

export class KeysetConfig {
  @ApiProperty({ example: 'edge', pattern: NAME_PATTERN.source })
  @Matches(NAME_PATTERN, { message: NAME_MESSAGE })
  name!: string;

  @ApiPropertyOptional({ enum: SIGNING_ALGORITHMS, example: 'ES256' })
  @ValidateIf((k: KeysetConfig) => k.jwks_url === undefined || k.algorithm !== undefined)
  @IsIn(SIGNING_ALGORITHMS)
  algorithm?: SigningAlgorithm;

  /** RSA modulus length; 2048 unless set. */
  @ApiPropertyOptional({ enum: [2048, 3072, 4096], description: 'RSA modulus length (2048)' })
  @IsOptional()
  @IsIn([2048, 3072, 4096])
  rsa_bits?: number;

  @ApiPropertyOptional({ type: RotationConfig })
  @IsOptional()
  @ValidateNested()
  @Type(() => RotationConfig)
  rotation?: RotationConfig;

  /** Kong's keyset-URL mode: an externally managed JWKS holding private keys. */
  @ApiPropertyOptional({
    description: 'Externally managed private JWKS (declarative file only)',
    example: 'https://keys.example.com/private-jwks.json',
  })
  @IsOptional()
  @IsUrl(HTTP_URL)
  jwks_url?: string;

  @ApiPropertyOptional({ ...DURATION_SCHEMA, example: '15m' })
  @IsOptional()
  @IsDuration()
  refresh?: string | number;
}

/** KrakenD's encrypted key files: refused by name rather than as unknown keys. */
const ENCRYPTED_KEY_FILES = Equals(undefined, {
  message:
    "KrakenD's encrypted key files (secret_url, cypher_key) are not supported; decrypt the JWK set into jwk_local_path, or use jwk_url or keyset",
});

/**
 * KrakenD's signer options, names verbatim: as its `SignerConfig` spells them today (`keys_to_sign`,
 * `jwk_url`) and as its older docs do (`keys-to-sign`, `jwk-url`); one spelling per block.
 * The name is apart.
 */
export class SignerOptions {
  @ApiPropertyOptional({
    enum: SIGNING_ALGORITHMS,
    description: 'Required with jwk_url or jwk_local_path',
  })
  @IsOptional()
  @IsIn(SIGNING_ALGORITHMS)
  alg?: SigningAlgorithm;

  @ApiPropertyOptional({ description: 'Key of the jwk_url / jwk_local_path set to sign with' })
  @IsOptional()
  @IsString()
  kid?: string;

  @ApiPropertyOptional({ description: 'The typ header (default JWT)', example: 'JWT' })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  typ?: string;

  @ApiPropertyOptional({
    type: [String],
    example: ['access_token', 'refresh_token'],
    description: 'Top-level keys to sign (required, in this or the older spelling)',
  })
  @IsOptional()
  @IsArray()
  @ArrayNotEmpty()
  @IsString({ each: true })
  keys_to_sign?: string[];

  @ApiPropertyOptional({ type: [String], description: 'Older spelling of keys_to_sign' })
  @IsOptional()
  @IsArray()
  @ArrayNotEmpty()
  @IsString({ each: true })
  'keys-to-sign'?: string[];

  @ApiPropertyOptional({ description: 'Private JWK set to sign with (kept in memory only)' })
  @IsOptional()
  @IsUrl(HTTP_URL)
  jwk_url?: string;

  @ApiPropertyOptional({ description: 'Older spelling of jwk_url' })
  @IsOptional()
  @IsUrl(HTTP_URL)
  'jwk-url'?: string;

  @ApiPropertyOptional({
    description: 'Private JWK set read from this file (e.g. a mounted secret), instead of jwk_url',
  })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  jwk_local_path?: string;

  @ApiPropertyOptional({
    description: 'One of our keysets (created on first use)',
    example: 'edge',
  })
  @IsOptional()
  @Matches(NAME_PATTERN, { message: NAME_MESSAGE })
  keyset?: string;

  @ApiPropertyOptional({ description: 'Flattened JWS JSON serialization, as a string' })
  @IsOptional()
  @IsBoolean()
  full?: boolean;

  @ApiPropertyOptional({ description: 'Allow plain http to a non-loopback jwk_url' })
  @IsOptional()
  @IsBoolean()
  disable_jwk_security?: boolean;

  @ApiPropertyOptional({
    type: [String],
    description:
      'URL-safe base64 SHA-256 of the public key (SPKI) of a certificate in the jwk_url server chain',
  })
  @IsOptional()
  @IsArray()
  @IsString({ each: true })
  jwk_fingerprints?: string[];

  @ApiPropertyOptional({
    description: 'PEM file of CA certificates trusted for jwk_url, added to the usual ones',
  })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  jwk_local_ca?: string;

  /** KrakenD option kept for pasted configs; Node negotiates TLS suites itself. */
  @ApiPropertyOptional({ type: [Number], description: 'Accepted for pasted configs; no effect' })
  @IsOptional()
  @IsArray()
  @IsInt({ each: true })
  cipher_suites?: number[];

  @ValidateIf((s: SignerOptions) => s.secret_url !== undefined)
  @ENCRYPTED_KEY_FILES
  secret_url?: never;

  @ValidateIf((s: SignerOptions) => s.cypher_key !== undefined)
  @ENCRYPTED_KEY_FILES
  cypher_key?: never;

  @ApiPropertyOptional({ description: 'POST the request there and sign its JSON answer' })
  @IsOptional()
  @IsUrl(HTTP_URL)
  backend?: string;
}

export class SignerConfig extends SignerOptions {
  @ApiProperty({ example: 'krakend', pattern: NAME_PATTERN.source })
  @Matches(NAME_PATTERN, { message: NAME_MESSAGE })
  name!: string;
}

/** A Kong JWT credential (decK's `jwt_secrets`). */
export class JwtSecretConfig {
  @ApiProperty({ example: 'alice-key' }) @IsString() key!: string;
  @ApiPropertyOptional({ enum: SIGNING_ALGORITHMS, default: 'HS256' })
  @IsOptional()
  @IsIn(SIGNING_ALGORITHMS)
  algorithm?: SigningAlgorithm;
  @ApiPropertyOptional() @IsOptional() @IsString() @NOT_PLACEHOLDER secret?: string;
  @ApiPropertyOptional({ description: 'PEM public key' })
  @IsOptional()
  @IsString()
  rsa_public_key?: string;
}

/** A Kong consumer (decK's shape). */
export class ConsumerConfig {
  @ApiPropertyOptional() @IsOptional() @IsString() id?: string;
  @ApiPropertyOptional({ example: 'alice' })
  @ValidateIf((c: ConsumerConfig) => c.custom_id === undefined)
  @IsString()
  username?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() custom_id?: string;
  @ApiPropertyOptional({ type: [JwtSecretConfig] })
  @IsOptional()
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => JwtSecretConfig)
  jwt_secrets?: JwtSecretConfig[];
}

/** An RFC 8693 / RFC 7662 client. */
export class ClientConfig {
  @ApiProperty({ example: 'orders-service' }) @IsString() client_id!: string;
  @ApiProperty() @IsString() @NOT_PLACEHOLDER client_secret!: string;
  @ApiProperty({ example: 'api' })
  @Matches(NAME_PATTERN, { message: NAME_MESSAGE })
  profile!: string;
  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @IsArray()
  @IsString({ each: true })
  audiences?: string[];
  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @IsArray()
  @IsString({ each: true })
  scopes?: string[];
}

/**
 * The declarative file (`STS_CONFIG`). Profiles hold Kong JWT Signer's `config.*` parameters; they
 * are kept as given here and validated in full by the verification module.
 */
export class FileConfig {
  @IsOptional() @IsUrl(HTTP_URL) issuer?: string;
  @IsOptional()
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => KeysetConfig)
  keysets: KeysetConfig[] = [];
  @IsOptional()
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => SignerConfig)
  signers: SignerConfig[] = [];
  @IsOptional() @IsArray() @IsObject({ each: true }) profiles: Record<string, unknown>[] = [];
  @IsOptional()
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => ConsumerConfig)
  consumers: ConsumerConfig[] = [];
  @IsOptional()
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => ClientConfig)
  clients: ClientConfig[] = [];
}
