import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import { Client } from 'pg';
import { freePort, TEST_MASTER_KEY } from '../helpers';
import { POSTGRES_ADMIN_URL, postgresReachable } from '../postgres';

const MAIN = join(__dirname, '..', '..', 'src', 'main.js');
/** A start that takes longer is a hang (a bound, not a threshold). */
const START_BOUND_MS = 60_000;

/** A real `node dist/src/main.js`: what `kill -9` and a restart are tried on. */
export interface StsProcess {
  child: ChildProcess;
  base: string;
  /** Its JSON log lines so far. */
  lines: Record<string, any>[];
  exited: Promise<number | null>;
  /** SIGKILL: no shutdown hook runs, nothing is flushed. */
  kill9: () => Promise<void>;
  /** SIGTERM and wait for the exit. */
  stop: () => Promise<void>;
}

export interface ProcessOptions {
  dataDir: string;
  env?: Record<string, string>;
  /** The declarative file, written to `dataDir` (kept across restarts). */
  file?: object;
}

/** Spawns the service and resolves once it listens; rejects with its output if it exits first. */
export async function spawnSts(options: ProcessOptions): Promise<StsProcess> {
  const configFile = join(options.dataDir, 'sts.config.json');
  if (options.file) writeFileSync(configFile, JSON.stringify(options.file));
  const port = await freePort();
  const child = spawn(process.execPath, [MAIN], {
    env: {
      PATH: process.env.PATH ?? '',
      HOST: '127.0.0.1',
      PORT: String(port),
      STS_DATA_DIR: options.dataDir,
      STS_CONFIG: configFile,
      STS_MASTER_KEY: TEST_MASTER_KEY,
      STS_RATE_LIMIT_MAX: '100000000',
      LOG_LEVEL: 'info',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Record<string, any>[] = [];
  let stderr = '';
  let partial = '';
  let listening!: () => void;
  const listened = new Promise<void>((resolve) => (listening = resolve));
  child.stdout.on('data', (chunk: Buffer) => {
    const parts = (partial + chunk.toString('utf8')).split('\n');
    partial = parts.pop()!;
    for (const part of parts) {
      if (!part) continue;
      try {
        const line = JSON.parse(part) as Record<string, any>;
        lines.push(line);
        if (line.msg === 'STS listening') listening();
      } catch {
        stderr += `${part}\n`;
      }
    }
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    listened,
    exited.then((code) => {
      throw new Error(`the service exited (${code}) before listening:\n${stderr}`);
    }),
    new Promise((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`not listening within ${START_BOUND_MS} ms:\n${stderr}`)),
        START_BOUND_MS,
      );
    }),
  ]).finally(() => clearTimeout(timer));
  const signal = async (name: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(name);
    await exited;
  };
  return {
    child,
    base: `http://127.0.0.1:${port}`,
    lines,
    exited,
    kill9: () => signal('SIGKILL'),
    stop: () => signal('SIGTERM'),
  };
}

/** Fresh PostgreSQL databases for a test file, dropped at the end; skips without a server. */
export class PostgresDatabases {
  private admin: Client | undefined;
  private readonly created: string[] = [];

  /** A new empty database's URL, or undefined when the test skipped (no server, not in CI). */
  async create(t: TestContext): Promise<string | undefined> {
    if (!this.admin) {
      if (!(await postgresReachable()) && !process.env.CI) {
        t.skip(`no PostgreSQL at ${POSTGRES_ADMIN_URL}`);
        return undefined;
      }
      this.admin = new Client({ connectionString: POSTGRES_ADMIN_URL });
      await this.admin.connect();
    }
    const name = `sts_robust_${randomBytes(6).toString('hex')}`;
    // A shared server refuses CREATE DATABASE while another session uses the template: retried.
    for (let attempt = 1; ; attempt++) {
      try {
        await this.admin.query(`CREATE DATABASE ${name}`);
        break;
      } catch (err) {
        if (attempt >= 10 || !/being accessed by other users/.test((err as Error).message))
          throw err;
        await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
      }
    }
    this.created.push(name);
    const url = new URL(POSTGRES_ADMIN_URL);
    url.pathname = `/${name}`;
    return url.toString();
  }

  async dropAll(): Promise<void> {
    if (!this.admin) return;
    for (const name of this.created)
      await this.admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await this.admin.end();
  }
}

/** Runs a query on a database of the service (SQLite path or PostgreSQL URL) and closes it. */
export async function queryPostgres<T extends Record<string, unknown>>(
  url: string,
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

export async function fetchJson<T = any>(
  url: string,
  init: RequestInit = {},
): Promise<{ status: number; body: T }> {
  const res = await fetch(url, init);
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
}

/** An instance's public JWKS, as a verifier downstream fetches it. */
export const fetchJwks = async (base: string): Promise<JSONWebKeySet> =>
  (await fetchJson<JSONWebKeySet>(`${base}/.well-known/jwks.json`)).body;

/** Why `token` does not verify against `jwks`, or undefined when it does. */
export async function verifyFailure(
  token: string,
  jwks: JSONWebKeySet,
): Promise<string | undefined> {
  try {
    await jwtVerify(token, createLocalJWKSet(jwks));
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/** An admin API call as JSON. */
export const adminCall =
  (token: string) => (base: string, method: string, path: string, body?: object) =>
    fetchJson(`${base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
