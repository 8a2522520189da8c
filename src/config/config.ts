import { existsSync, readFileSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { parseDurationSeconds } from './duration';
import { checkConsumers } from '../consumers/consumer.validation';
import { validateProfile, type ProfileContext } from '../verification/profile.schema';
import { EnvironmentVariables, type LOG_LEVELS } from './env.schema';
import { FileConfig } from './file.schema';
import { ConfigError, type ConfigProblem, validateConfig } from './validate';

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
  /** Path of the declarative file that was loaded, if any. */
  readonly configFile: string | undefined;
  readonly file: Readonly<FileConfig>;
  readonly verification: VerificationSettings;
}

/** Process-wide knobs of token verification (profiles hold everything per gateway route). */
export interface VerificationSettings {
  readonly jwksMaxAgeSeconds: number;
  readonly jwksCooldownSeconds: number;
  readonly jwksTimeoutMs: number;
  readonly maxTokenBytes: number;
}

const ENV_KEYS = [
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
  'STS_JWKS_MAX_AGE',
  'STS_JWKS_COOLDOWN',
  'STS_JWKS_TIMEOUT_MS',
  'STS_MAX_TOKEN_BYTES',
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

function checkSigners(signers: readonly FileConfig['signers'][number][]): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  signers.forEach((signer, index) => {
    const at = `signers[${index}]`;
    if (signer.keyset !== undefined && signer['jwk-url'] !== undefined) {
      problems.push({ path: at, message: 'set either keyset or jwk-url, not both' });
    }
    if (signer.keyset !== undefined && signer.kid !== undefined) {
      problems.push({
        path: `${at}.kid`,
        message:
          'kid selects a key of jwk-url; our keysets sign with their current key, whose kid changes on rotation',
      });
    }
    if (signer['jwk-url'] !== undefined && signer.alg === undefined) {
      problems.push({ path: `${at}.alg`, message: 'alg is required with jwk-url' });
    }
  });
  return problems;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
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

  const explicitFile = env.value.STS_CONFIG;
  const allowInsecureHttp = env.value.STS_ALLOW_INSECURE_HTTP;
  const configFile =
    explicitFile ?? (existsSync(DEFAULT_CONFIG_FILE) ? DEFAULT_CONFIG_FILE : undefined);
  let file = new FileConfig();
  if (configFile) {
    const raw = readDeclarativeFile(configFile);
    problems.push(...raw.problems);
    const validated = validateConfig(FileConfig, raw.data);
    file = validated.value;
    problems.push(
      ...validated.problems,
      ...duplicateNames(file.keysets, 'keysets'),
      ...duplicateNames(file.signers, 'signers'),
      ...checkSigners(file.signers),
      ...checkProfiles(file.profiles, { issuer: '', allowInsecureHttp }),
      ...checkConsumers(file.consumers),
    );
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
    configFile,
    file,
    verification: {
      jwksMaxAgeSeconds: parseDurationSeconds(env.value.STS_JWKS_MAX_AGE)!,
      jwksCooldownSeconds: parseDurationSeconds(env.value.STS_JWKS_COOLDOWN)!,
      jwksTimeoutMs: env.value.STS_JWKS_TIMEOUT_MS,
      maxTokenBytes: env.value.STS_MAX_TOKEN_BYTES,
    },
  });
}
