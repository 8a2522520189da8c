import { existsSync, readFileSync } from 'node:fs';
import proxyAddr from '@fastify/proxy-addr';
import { extname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { parseDurationSeconds } from './duration';
import { checkConsumers } from './consumer.schema';
import { type ProfileContext } from './profile-checks';
import { validateProfile } from './profile.schema';
import { EnvironmentVariables, type LOG_LEVELS } from './env.schema';
import { rotationProblem, toRotationSettings } from './rotation';
import { FileConfig, type KeysetConfig, type SignerOptions } from './file.schema';
import { ConfigError, type ConfigProblem, validateConfig } from '../common/validation';
import { deepFreeze } from '../common/freeze';
import { jwkSourceName, krakendOptionProblems } from './signer-options';
import { tracingSettings, type TracingSettings } from './tracing';

export const STS_CONFIG = Symbol('STS_CONFIG');

export type LogLevel = (typeof LOG_LEVELS)[number];

/** The validated, frozen configuration of one running instance. */
export interface StsConfig {
  readonly port: number;
  readonly host: string;
  readonly production: boolean;
  readonly databaseUrl: string;
  readonly dataDir: string;
  /** `STS_MASTER_KEY` entries as given (validated by the keys module), first one encrypts. */
  readonly masterKeys: readonly string[];
  readonly adminToken: string | undefined;
  readonly issuer: string;
  readonly logLevel: LogLevel;
  readonly allowInsecureHttp: boolean;
  /**
   * Proxies (addresses, CIDRs or proxy-addr keywords like `loopback`) trusted for X-Forwarded-For
   * (client address) and, on /authz, X-Forwarded-Method/-Uri and X-Original-*.
   */
  readonly trustedProxies: readonly string[];
  /** Bearer token protecting `GET /metrics`, if set. */
  readonly metricsToken: string | undefined;
  /** Bound on waiting for in-flight requests at shutdown. */
  readonly shutdownTimeoutMs: number;
  /** Per-client limit of the routes marked `@RateLimited()`. */
  readonly rateLimit: { readonly limit: number; readonly windowMs: number };
  /** Path of the declarative file that was loaded, if any. */
  readonly configFile: string | undefined;
  readonly file: Readonly<FileConfig>;
  readonly verification: VerificationSettings;
  /** OpenTelemetry tracing; undefined when off (the default). */
  readonly tracing: TracingSettings | undefined;
}

/** Process-wide knobs of token verification (profiles hold everything per gateway route). */
export interface VerificationSettings {
  readonly jwksMaxAgeSeconds: number;
  readonly jwksCooldownSeconds: number;
  readonly jwksTimeoutMs: number;
  readonly maxTokenBytes: number;
  /** The verified-token cache: entries at most (0 = off) and the longest life of one. */
  readonly verifyCacheMax: number;
  readonly verifyCacheTtlSeconds: number;
}

/** Every variable the service reads. */
export const ENV_KEYS = [
  'PORT',
  'HOST',
  'DATABASE_URL',
  'STS_CONFIG',
  'STS_MASTER_KEY',
  'STS_ADMIN_TOKEN',
  'STS_ISSUER',
  'LOG_LEVEL',
  'NODE_ENV',
  'STS_ALLOW_INSECURE_HTTP',
  'STS_DATA_DIR',
  'STS_TRUSTED_PROXIES',
  'STS_METRICS_TOKEN',
  'STS_SHUTDOWN_TIMEOUT',
  'STS_RATE_LIMIT_MAX',
  'STS_RATE_LIMIT_WINDOW',
  'STS_JWKS_MAX_AGE',
  'STS_JWKS_COOLDOWN',
  'STS_JWKS_TIMEOUT_MS',
  'STS_MAX_TOKEN_BYTES',
  'STS_VERIFY_CACHE_MAX',
  'STS_VERIFY_CACHE_TTL',
  'OTEL_EXPORTER_OTLP_ENDPOINT',
  'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
  'OTEL_SERVICE_NAME',
  'OTEL_TRACES_SAMPLER',
  'OTEL_TRACES_SAMPLER_ARG',
  'OTEL_SDK_DISABLED',
] as const;

export type Environment = Readonly<Record<string, string | undefined>>;

const DEFAULT_CONFIG_FILE = './sts.config.yaml';

function readDeclarativeFile(path: string): { data: unknown; problems: ConfigProblem[] } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    return {
      data: {},
      problems: [{ path: 'STS_CONFIG', message: `cannot read ${path}: ${(err as Error).message}` }],
    };
  }
  try {
    const data: unknown = extname(path) === '.json' ? JSON.parse(text) : parseYaml(text);
    if (data === null || data === undefined) return { data: {}, problems: [] };
    if (typeof data !== 'object' || Array.isArray(data)) {
      return {
        data: {},
        problems: [{ path: '(file)', message: 'the file must hold a mapping of sections' }],
      };
    }
    return { data, problems: [] };
  } catch (err) {
    return {
      data: {},
      problems: [{ path: '(file)', message: `not valid YAML/JSON: ${(err as Error).message}` }],
    };
  }
}

function duplicateNames(items: readonly { name?: unknown }[], section: string): ConfigProblem[] {
  const seen = new Set<unknown>();
  const problems: ConfigProblem[] = [];
  items.forEach((item, index) => {
    if (typeof item.name !== 'string') return;
    if (seen.has(item.name)) {
      problems.push({
        path: `${section}[${index}].name`,
        message: `duplicate name "${String(item.name)}"`,
      });
    }
    seen.add(item.name);
  });
  return problems;
}

function checkProfiles(
  profiles: readonly Record<string, unknown>[],
  ctx: ProfileContext,
): ConfigProblem[] {
  const problems = profiles.flatMap(
    (profile, index) => validateProfile(profile, `profiles[${index}]`, ctx).problems,
  );
  return problems.concat(duplicateNames(profiles, 'profiles'));
}

/** Cross-field rules of one signer that class-validator cannot express (also used by the admin API). */
export function signerProblems(signer: SignerOptions, at: string): ConfigProblem[] {
  const problems = krakendOptionProblems(signer, at);
  const source = jwkSourceName(signer);
  if (signer.keyset !== undefined && source !== undefined) {
    problems.push({ path: at, message: `set either keyset or ${source}, not both` });
  }
  if (signer.keyset !== undefined && signer.kid !== undefined) {
    problems.push({
      path: `${at}.kid`,
      message:
        'kid selects a key of jwk_url or jwk_local_path; our keysets sign with their current key, whose kid changes on rotation',
    });
  }
  if (source !== undefined && signer.alg === undefined) {
    problems.push({ path: `${at}.alg`, message: `alg is required with ${source}` });
  }
  return problems;
}

function checkKeysets(keysets: readonly KeysetConfig[]): ConfigProblem[] {
  return keysets.flatMap((keyset, index) => {
    const problem = keyset.rotation ? rotationProblem(toRotationSettings(keyset.rotation)) : null;
    return problem
      ? [{ path: `keysets[${index}].rotation.${problem.field}`, message: problem.message }]
      : [];
  });
}

/**
 * Reads and validates a declarative file on its own (start-up and `npm run config:check`): every
 * problem with its path, or the typed file.
 */
export function loadDeclarativeFile(
  path: string,
  context: ProfileContext = { issuer: '', allowInsecureHttp: false },
): { file: FileConfig; problems: ConfigProblem[] } {
  const raw = readDeclarativeFile(path);
  const validated = validateConfig(FileConfig, raw.data);
  const file = validated.value;
  // Cross-field checks still run on a file with other problems, so one pass shows them all;
  // entries that are not objects (already reported) are looked at as empty ones.
  const entries = <T extends object>(list: T[] | undefined): T[] =>
    Array.isArray(list)
      ? list.map((item) => (typeof item === 'object' && item !== null ? item : ({} as T)))
      : [];
  return {
    file,
    problems: [
      ...raw.problems,
      ...validated.problems,
      ...duplicateNames(entries(file.keysets), 'keysets'),
      ...duplicateNames(entries(file.signers), 'signers'),
      ...checkKeysets(entries(file.keysets)),
      ...entries(file.signers).flatMap((signer, index) =>
        signerProblems(signer, `signers[${index}]`),
      ),
      ...checkProfiles(entries(file.profiles), context),
      ...checkConsumers(entries(file.consumers)),
    ],
  };
}

/**
 * Reads the environment and the declarative file into one validated, frozen config. Every problem
 * is collected (with its path) before failing, so one start-up shows them all.
 */
export function loadConfig(environment: Environment = process.env): StsConfig {
  const picked: Record<string, string> = {};
  for (const key of ENV_KEYS) {
    const value = environment[key];
    if (value !== undefined && value !== '') picked[key] = value;
  }
  const env = validateConfig(EnvironmentVariables, picked);
  const problems = [...env.problems];
  if (parseDurationSeconds(env.value.STS_RATE_LIMIT_WINDOW) === 0) {
    problems.push({ path: 'STS_RATE_LIMIT_WINDOW', message: 'must be longer than 0s' });
  }

  const explicitFile = env.value.STS_CONFIG;
  const allowInsecureHttp = env.value.STS_ALLOW_INSECURE_HTTP;
  const configFile =
    explicitFile ?? (existsSync(DEFAULT_CONFIG_FILE) ? DEFAULT_CONFIG_FILE : undefined);
  let file = new FileConfig();
  if (configFile) {
    const loaded = loadDeclarativeFile(configFile, { issuer: '', allowInsecureHttp });
    file = loaded.file;
    problems.push(...loaded.problems);
  }
  try {
    proxyAddr.compile(env.value.STS_TRUSTED_PROXIES.split(',').map((p) => p.trim()));
  } catch (err) {
    problems.push({ path: 'STS_TRUSTED_PROXIES', message: (err as Error).message });
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const production = env.value.NODE_ENV === 'production';
  const dataDir = resolve(env.value.STS_DATA_DIR);
  return deepFreeze({
    port: env.value.PORT,
    host: env.value.HOST,
    production,
    databaseUrl: env.value.DATABASE_URL ?? `sqlite:${resolve(dataDir, 'sts.sqlite')}`,
    dataDir,
    masterKeys: (env.value.STS_MASTER_KEY ?? '')
      .split(',')
      .map((k) => k.trim())
      .filter(Boolean),
    adminToken: env.value.STS_ADMIN_TOKEN,
    issuer: (env.value.STS_ISSUER ?? file.issuer ?? `http://localhost:${env.value.PORT}`).replace(
      /\/$/,
      '',
    ),
    logLevel: env.value.LOG_LEVEL,
    allowInsecureHttp,
    trustedProxies: env.value.STS_TRUSTED_PROXIES.split(',')
      .map((p) => p.trim())
      .filter(Boolean),
    metricsToken: env.value.STS_METRICS_TOKEN,
    shutdownTimeoutMs: parseDurationSeconds(env.value.STS_SHUTDOWN_TIMEOUT)! * 1000,
    rateLimit: {
      limit: env.value.STS_RATE_LIMIT_MAX,
      windowMs: parseDurationSeconds(env.value.STS_RATE_LIMIT_WINDOW)! * 1000,
    },
    configFile,
    file,
    verification: {
      jwksMaxAgeSeconds: parseDurationSeconds(env.value.STS_JWKS_MAX_AGE)!,
      jwksCooldownSeconds: parseDurationSeconds(env.value.STS_JWKS_COOLDOWN)!,
      jwksTimeoutMs: env.value.STS_JWKS_TIMEOUT_MS,
      maxTokenBytes: env.value.STS_MAX_TOKEN_BYTES,
      verifyCacheMax: env.value.STS_VERIFY_CACHE_MAX,
      verifyCacheTtlSeconds: parseDurationSeconds(env.value.STS_VERIFY_CACHE_TTL)!,
    },
    tracing: tracingSettings(env.value),
  });
}
