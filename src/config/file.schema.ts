import 'reflect-metadata';
import { Type } from 'class-transformer';
import {
  ArrayNotEmpty,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  Min,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { SIGNING_ALGORITHMS, type SigningAlgorithm } from '../keys/algorithms';
import { IsDuration } from './duration';

/** Names of keysets, signers, profiles: safe in URLs and logs. */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const NAME_MESSAGE = '$property must be 1-64 letters, digits, ".", "_" or "-"';

const HTTP_URL = { require_tld: false, protocols: ['http', 'https'], require_protocol: true };

export class RotationConfig {
  /** Scheduled rotation interval (issue: admin/rotation); unset = manual only. */
  @IsOptional() @IsDuration() period?: string | number;
  @IsOptional() @IsDuration() prepublish?: string | number;
  /** Previous keys kept published after a rotation. */
  @IsOptional() @IsInt() @Min(0) @Max(100) retain?: number;
}

export class KeysetConfig {
  @Matches(NAME_PATTERN, { message: NAME_MESSAGE }) name!: string;

  @ValidateIf((k: KeysetConfig) => k.jwks_url === undefined || k.algorithm !== undefined)
  @IsIn(SIGNING_ALGORITHMS)
  algorithm?: SigningAlgorithm;

  /** RSA modulus length; 2048 unless set. */
  @IsOptional() @IsIn([2048, 3072, 4096]) rsa_bits?: number;

  @IsOptional() @ValidateNested() @Type(() => RotationConfig) rotation?: RotationConfig;

  /** Kong's keyset-URL mode: an externally managed JWKS holding private keys. */
  @IsOptional() @IsUrl(HTTP_URL) jwks_url?: string;
  @IsOptional() @IsDuration() refresh?: string | number;
}

/** KrakenD's signer options, names verbatim (`keys-to-sign`, `jwk-url`, …). */
export class SignerConfig {
  @Matches(NAME_PATTERN, { message: NAME_MESSAGE }) name!: string;
  @IsOptional() @IsIn(SIGNING_ALGORITHMS) alg?: SigningAlgorithm;
  @IsOptional() @IsString() kid?: string;
  @IsArray() @ArrayNotEmpty() @IsString({ each: true }) 'keys-to-sign'!: string[];
  @IsOptional() @IsUrl(HTTP_URL) 'jwk-url'?: string;
  @IsOptional() @Matches(NAME_PATTERN, { message: NAME_MESSAGE }) keyset?: string;
  @IsOptional() @IsBoolean() full?: boolean;
  @IsOptional() @IsBoolean() disable_jwk_security?: boolean;
  @IsOptional() @IsArray() @IsString({ each: true }) jwk_fingerprints?: string[];
  /** KrakenD option kept for pasted configs; Node negotiates TLS suites itself. */
  @IsOptional() @IsArray() @IsInt({ each: true }) cipher_suites?: number[];
  @IsOptional() @IsUrl(HTTP_URL) backend?: string;
}

export class JwtSecretConfig {
  @IsString() key!: string;
  @IsOptional() @IsIn(SIGNING_ALGORITHMS) algorithm?: SigningAlgorithm;
  @IsOptional() @IsString() secret?: string;
  @IsOptional() @IsString() rsa_public_key?: string;
}

export class ConsumerConfig {
  @IsOptional() @IsString() id?: string;
  @ValidateIf((c: ConsumerConfig) => c.custom_id === undefined) @IsString() username?: string;
  @IsOptional() @IsString() custom_id?: string;
  @IsOptional()
  @IsArray()
  @ValidateNested({ each: true })
  @Type(() => JwtSecretConfig)
  jwt_secrets?: JwtSecretConfig[];
}

export class ClientConfig {
  @IsString() client_id!: string;
  @IsString() client_secret!: string;
  @Matches(NAME_PATTERN, { message: NAME_MESSAGE }) profile!: string;
  @IsOptional() @IsArray() @IsString({ each: true }) audiences?: string[];
  @IsOptional() @IsArray() @IsString({ each: true }) scopes?: string[];
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
