import 'reflect-metadata';
import { Transform } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  Min,
  MinLength,
} from 'class-validator';
import { IsDuration } from './duration';

const toBoolean = ({ value }: { value: unknown }): unknown =>
  value === 'true' || value === '1' ? true : value === 'false' || value === '0' ? false : value;
const toInt = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
const toDecimal = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && /^(\d+\.?\d*|\.\d+)$/.test(value) ? Number(value) : value;
const OTLP_URL = { require_tld: false, require_protocol: true, protocols: ['http', 'https'] };

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** OpenTelemetry's `OTEL_TRACES_SAMPLER` values (the SDK specification's names). */
export const TRACE_SAMPLERS = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const;

/** The environment variables of the contract; anything else in the environment is ignored. */
export class EnvironmentVariables {
  @IsOptional() @Transform(toInt) @IsInt() @Min(0) @Max(65535) PORT: number = 8080;
  @IsOptional() @IsString() HOST: string = '0.0.0.0';
  @IsOptional()
  @Matches(/^(sqlite:.+|postgres(ql)?:\/\/.+)$/, {
    message: 'DATABASE_URL must be sqlite:<path> or postgres://…',
  })
  DATABASE_URL?: string;
  @IsOptional() @IsString() STS_CONFIG?: string;
  @IsOptional() @IsString() STS_MASTER_KEY?: string;
  @IsOptional() @IsString() STS_ADMIN_TOKEN?: string;
  @IsOptional() @IsUrl({ require_tld: false, require_protocol: true }) STS_ISSUER?: string;
  @IsOptional() @IsIn(LOG_LEVELS) LOG_LEVEL: (typeof LOG_LEVELS)[number] = 'info';
  @IsOptional() @IsString() NODE_ENV?: string;
  @IsOptional() @Transform(toBoolean) @IsBoolean() STS_ALLOW_INSECURE_HTTP: boolean = false;
  /**
   * Proxies whose X-Forwarded-For (client address for logs and rate limits) and, on /authz,
   * X-Forwarded-Method/-Uri and X-Original-* we trust: addresses, CIDRs or proxy-addr keywords
   * (`loopback`, `linklocal`, `uniquelocal`), comma-separated.
   */
  @IsOptional() @IsString() STS_TRUSTED_PROXIES: string = 'loopback';
  /** Where the SQLite file and the development master key live; `./data` by default. */
  @IsOptional() @IsString() STS_DATA_DIR: string = './data';
  /** Bearer token required by `GET /metrics`; unset = open (scrape over a private network). */
  @IsOptional() @IsString() @MinLength(16) STS_METRICS_TOKEN?: string;
  /** How long SIGTERM waits for in-flight requests before closing their connections. */
  @IsOptional() @IsDuration() STS_SHUTDOWN_TIMEOUT: string = '10s';
  /** Requests one client address may make per window on rate-limited routes (admin, RFC 8693). */
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) STS_RATE_LIMIT_MAX: number = 300;
  @IsOptional() @IsDuration() STS_RATE_LIMIT_WINDOW: string = '1m';
  /** How long a fetched IdP JWKS is used before it is fetched again. */
  @IsOptional() @IsDuration() STS_JWKS_MAX_AGE: string = '10m';
  /** Least time between two fetches of one JWKS, however many unknown `kid`s arrive. */
  @IsOptional() @IsDuration() STS_JWKS_COOLDOWN: string = '30s';
  /** Deadline of one JWKS fetch, in milliseconds. */
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(60000) STS_JWKS_TIMEOUT_MS: number = 5000;
  /** Longest token accepted on the token endpoints, in bytes; longer ones are invalid_token. */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(256)
  @Max(65536)
  STS_MAX_TOKEN_BYTES: number = 8192;
  /** Tokens whose signature verified, kept to skip the check when they come again; 0 = off. */
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(0)
  @Max(1_000_000)
  STS_VERIFY_CACHE_MAX: number = 10_000;
  /** Longest life of a verified-token entry (never beyond the token's `exp`). */
  @IsOptional() @IsDuration() STS_VERIFY_CACHE_TTL: string = '5m';

  // OpenTelemetry's standard variables (see config/tracing.ts): tracing is on when an endpoint is set.
  /** OTLP/HTTP base URL; traces go to `<url>/v1/traces`. */
  @IsOptional() @IsUrl(OTLP_URL) OTEL_EXPORTER_OTLP_ENDPOINT?: string;
  /** OTLP/HTTP traces URL, used as given; wins over OTEL_EXPORTER_OTLP_ENDPOINT. */
  @IsOptional() @IsUrl(OTLP_URL) OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?: string;
  @IsOptional() @IsString() OTEL_SERVICE_NAME: string = 'open-sts';
  @IsOptional() @IsIn(TRACE_SAMPLERS) OTEL_TRACES_SAMPLER: (typeof TRACE_SAMPLERS)[number] =
    'parentbased_always_on';
  /** The ratio of the `*traceidratio` samplers. */
  @IsOptional() @Transform(toDecimal) @IsNumber() @Min(0) @Max(1) OTEL_TRACES_SAMPLER_ARG: number =
    1;
  /** `true` turns tracing off whatever else is set. */
  @IsOptional() @Transform(toBoolean) @IsBoolean() OTEL_SDK_DISABLED: boolean = false;
}
