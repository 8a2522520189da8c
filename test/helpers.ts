import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { decodeProtectedHeader, type JWK } from 'jose';
import { createApp, type CreateAppOptions, type StsApp } from '../src/app';
import type { Clock } from '../src/common/clock';
import type { StsConfig } from '../src/config/config';

export interface TestSts {
  app: NestFastifyApplication;
  config: StsConfig;
  logger: StsApp['logger'];
  dataDir: string;
  env: Record<string, string>;
  inject: (opts: InjectOptions) => Promise<InjectResult>;
  /** Closes the app; the data directory stays for a restart until `cleanup`. */
  close: () => Promise<void>;
  cleanup: () => Promise<void>;
}

export interface InjectOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD' | 'OPTIONS' | 'TRACE';
  url: string;
  /** An array sends the header once per value. */
  headers?: Record<string, string | string[]>;
  payload?: string | object | Buffer;
  /** The client address the request comes from (rate limits are per client). */
  remoteAddress?: string;
}

export interface InjectResult {
  statusCode: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: string;
  json: <T = any>() => T;
}

export const TEST_MASTER_KEY = Buffer.alloc(32, 7).toString('base64');

/** A loopback port nothing listens on right now (for a process that must know its URL first). */
export async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export function tempDir(prefix = 'sts-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Boots the real app on a temp SQLite file with the given declarative config. */
export async function startSts(
  options: {
    file?: object;
    env?: Record<string, string>;
    dataDir?: string;
    clock?: Clock;
    outboundCa?: string[];
    /** Captures the app's JSON log lines (LOG_LEVEL then defaults to `info`). */
    logStream?: CreateAppOptions['logStream'];
    extraModules?: CreateAppOptions['extraModules'];
  } = {},
): Promise<TestSts> {
  const dataDir = options.dataDir ?? tempDir();
  const configFile = join(dataDir, 'sts.config.json');
  writeFileSync(configFile, JSON.stringify(options.file ?? {}));
  const env: Record<string, string> = {
    STS_DATA_DIR: dataDir,
    STS_CONFIG: configFile,
    STS_MASTER_KEY: TEST_MASTER_KEY,
    LOG_LEVEL: options.logStream ? 'info' : 'silent',
    ...options.env,
  };
  const appOptions: CreateAppOptions = {
    env,
    clock: options.clock,
    outboundCa: options.outboundCa,
    logStream: options.logStream,
    extraModules: options.extraModules,
  };
  const { app, config, logger } = await createApp(appOptions);
  const close = async (): Promise<void> => {
    await app.close();
  };
  return {
    app,
    config,
    logger,
    dataDir,
    env,
    inject: async (opts) => {
      const res = await app
        .getHttpAdapter()
        .getInstance()
        .inject({
          method: opts.method ?? 'GET',
          url: opts.url,
          headers: opts.headers,
          payload: opts.payload,
          remoteAddress: opts.remoteAddress,
        });
      return {
        statusCode: res.statusCode,
        headers: res.headers,
        body: res.body,
        json: <T>() => JSON.parse(res.body) as T,
      };
    },
    close,
    cleanup: async () => {
      await close().catch(() => undefined);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface LocalServer {
  url: string;
  hits: number;
  requests: { method: string; url: string; headers: IncomingMessage['headers']; body: string }[];
  close: () => Promise<void>;
}

/**
 * A real HTTP server on loopback (IdP JWKS, key server, signer backend) that counts its hits;
 * https with `tls` (its key and certificate chain, PEM).
 */
export async function startLocalServer(
  handler: (req: IncomingMessage, res: ServerResponse, body: string) => void,
  tls?: { key: string; cert: string },
): Promise<LocalServer> {
  const state: LocalServer = { url: '', hits: 0, requests: [], close: () => Promise.resolve() };
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      state.hits++;
      const body = Buffer.concat(chunks).toString('utf8');
      state.requests.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body,
      });
      handler(req, res, body);
    });
  };
  const server = tls ? createTlsServer(tls, listener) : createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `${tls ? 'https' : 'http'}://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return state;
}

export const sendJson = (res: ServerResponse, status: number, body: unknown): void => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

/**
 * Verifies a compact JWS with Debian's PyJWT (an independent implementation) against a JWKS,
 * selecting the key by `kid`. Returns the claims, or throws with PyJWT's message.
 */
export function verifyWithPyJwt(
  token: string,
  jwks: object,
  algorithms: string[],
): Record<string, unknown> {
  const script = `
import json, sys, jwt
from jwt import PyJWKSet
data = json.load(sys.stdin)
header = jwt.get_unverified_header(data["token"])
keys = {k.key_id: k for k in PyJWKSet.from_dict(data["jwks"]).keys}
key = keys[header["kid"]]
claims = jwt.decode(data["token"], key=key.key, algorithms=data["algorithms"], options={"verify_aud": False, "verify_exp": False})
print(json.dumps(claims))
`;
  const result = spawnSync('/usr/bin/python3', ['-c', script], {
    input: JSON.stringify({ token, jwks, algorithms }),
    encoding: 'utf8',
  });
  if (result.status !== 0)
    throw new Error(`PyJWT rejected the token: ${result.stderr || result.error?.message}`);
  return JSON.parse(result.stdout) as Record<string, unknown>;
}

/** Collects an app's JSON log lines (`startSts({ logStream })`). */
export class LogCapture extends Writable {
  readonly lines: string[] = [];

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    done();
  }

  records(): Record<string, any>[] {
    return this.lines.map((line) => JSON.parse(line) as Record<string, any>);
  }
}

/** A clock tests move by hand. */
export class ManualClock implements Clock {
  constructor(private current = Date.UTC(2026, 0, 1)) {}
  now(): number {
    return this.current;
  }
  advance(ms: number): void {
    this.current += ms;
  }
}

/** Calls the admin API of an instance with a bearer token; a body goes as JSON. */
export const adminClient =
  (sts: TestSts, token: string) =>
  (method: NonNullable<InjectOptions['method']>, url: string, payload?: object) =>
    sts.inject({
      method,
      url,
      headers: {
        authorization: `Bearer ${token}`,
        ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
      },
      payload: payload === undefined ? undefined : JSON.stringify(payload),
    });

/** The `kid` of a token the instance's KrakenD signer signs now. */
export async function signedKid(sts: TestSts, signer: string): Promise<string> {
  const res = await sts.inject({
    method: 'POST',
    url: `/token/${signer}`,
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify({ access_token: { sub: 'alice' } }),
  });
  if (res.statusCode !== 200) throw new Error(`/token/${signer}: ${res.statusCode} ${res.body}`);
  return decodeProtectedHeader(res.json<{ access_token: string }>().access_token).kid!;
}

/** The kids of a keyset's JWKS as the instance publishes it now. */
export const publishedKids = async (sts: TestSts, keyset: string): Promise<string[]> =>
  (await sts.inject({ url: `/jwks/${keyset}` })).json<{ keys: JWK[] }>().keys.map((k) => k.kid!);
