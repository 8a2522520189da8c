import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';

export const REPO = join(__dirname, '..', '..');
const MAIN = join(REPO, 'dist', 'src', 'main.js');

export interface Running {
  pid: number;
  /** From spawn to the first 200 from the readiness URL. */
  readyMs: number;
  /** Resident memory in MB, from /proc (NaN where there is none). */
  rssMb: () => number;
  stop: () => Promise<void>;
}

export interface StartOptions {
  command: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Polled until it answers 200. */
  readyUrl: string;
  readyHeaders?: Record<string, string>;
  /** Its own process group, so stopping it stops what it started (npm → sh → node). */
  group?: boolean;
}

export async function startProcess(options: StartOptions): Promise<Running> {
  const started = performance.now();
  const [command, ...args] = options.command;
  const child = spawn(command!, args, {
    env: options.env ?? process.env,
    cwd: options.cwd ?? REPO,
    detached: options.group ?? false,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const signal = (name: NodeJS.Signals) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    if (options.group) process.kill(-child.pid!, name);
    else child.kill(name);
  };
  const stop = async () => {
    signal('SIGTERM');
    const timer = setTimeout(() => signal('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  };
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${options.command.join(' ')} exited:\n${stderr}`);
    const ok = await fetch(options.readyUrl, { headers: options.readyHeaders }).then(
      (res) => res.body?.cancel().then(() => res.status === 200),
      () => false,
    );
    if (ok) break;
    if (performance.now() - started > 60_000) {
      await stop();
      throw new Error(`${options.command.join(' ')} not ready in 60 s:\n${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return { pid: child.pid!, readyMs: performance.now() - started, rssMb: () => rss(child), stop };
}

function rss(child: ChildProcess): number {
  try {
    const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
    return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1]) / 1024;
  } catch {
    return NaN;
  }
}

export interface StsSetup {
  jwksUri: string;
  dataDir: string;
  port: number;
}

export const CLIENT = { id: 'bench', secret: 'bench-secret' };
export const AUDIENCE = 'https://orders.example.com';

/** The STS's YAML file: profile `api` trusts the IdP, signer `bench`, RFC 8693 client `bench`. */
export function writeStsConfig(setup: StsSetup): string {
  const file = join(setup.dataDir, 'sts.config.yaml');
  writeFileSync(
    file,
    stringify({
      issuer: `http://127.0.0.1:${setup.port}`,
      keysets: [{ name: 'bench', algorithm: 'RS256' }],
      signers: [{ name: 'bench', keyset: 'bench', keys_to_sign: ['access_token'] }],
      profiles: [
        {
          name: 'api',
          access_token_jwks_uri: setup.jwksUri,
          access_token_scopes_required: ['read'],
          channel_token_optional: true,
        },
      ],
      clients: [
        {
          client_id: CLIENT.id,
          client_secret: CLIENT.secret,
          profile: 'api',
          audiences: [AUDIENCE],
          scopes: ['read'],
        },
      ],
    }),
  );
  return file;
}

/** The environment the STS runs with here: production mode, the RFC 8693 rate limit lifted. */
export function stsEnv(setup: StsSetup): NodeJS.ProcessEnv {
  return {
    ...process.env,
    NODE_ENV: 'production',
    STS_MASTER_KEY: Buffer.alloc(32, 3).toString('base64'),
    HOST: '127.0.0.1',
    PORT: String(setup.port),
    STS_CONFIG: writeStsConfig(setup),
    STS_DATA_DIR: setup.dataDir,
    // One client address sends everything here; the limit is for real clients.
    STS_RATE_LIMIT_MAX: '1000000000',
  };
}

/** The STS as `npm start` runs it, or as `node dist/src/main.js` with a command prefix. */
export function startSts(
  setup: StsSetup,
  how: { npm: true } | { npm: false; prefix: string[]; nodeFlags: string[] },
): Promise<Running> {
  const readyUrl = `http://127.0.0.1:${setup.port}/health/ready`;
  if (how.npm)
    return startProcess({ command: ['npm', 'start'], env: stsEnv(setup), readyUrl, group: true });
  return startProcess({
    command: [...how.prefix, process.execPath, ...how.nodeFlags, MAIN],
    env: stsEnv(setup),
    readyUrl,
  });
}

/**
 * HAProxy verifying the IdP's RS256 tokens inline (`jwt_verify`, as its documentation shows it:
 * algorithm, signature, expiry) and answering 200 itself: the in-gateway check /verify is held to.
 */
export function startHaproxy(
  haproxy: string,
  options: { dir: string; port: number; publicPem: string; prefix: string[]; token: string },
): Promise<Running> {
  const pem = join(options.dir, 'idp.pem');
  writeFileSync(pem, options.publicPem);
  const config = join(options.dir, 'haproxy.cfg');
  writeFileSync(
    config,
    [
      'global',
      '  nbthread 1',
      '  maxconn 4096',
      'defaults',
      '  mode http',
      '  timeout connect 2s',
      '  timeout client 30s',
      '  timeout server 30s',
      'frontend verify',
      `  bind 127.0.0.1:${options.port}`,
      '  http-request set-var(txn.bearer) http_auth_bearer',
      "  http-request set-var(txn.alg) var(txn.bearer),jwt_header_query('$.alg')",
      '  http-request deny status 401 unless { var(txn.alg) -m str RS256 }',
      `  http-request deny status 401 unless { var(txn.bearer),jwt_verify(txn.alg,"${pem}") -m int 1 }`,
      "  http-request set-var(txn.exp) var(txn.bearer),jwt_payload_query('$.exp','int')",
      '  http-request set-var(txn.now) date',
      '  http-request deny status 401 if { var(txn.exp),sub(txn.now) -m int lt 0 }',
      `  http-request return status 200 content-type application/json string '{"active":true}'`,
      '',
    ].join('\n'),
  );
  return startProcess({
    command: [...options.prefix, haproxy, '-db', '-f', config],
    readyUrl: `http://127.0.0.1:${options.port}/`,
    readyHeaders: { authorization: `Bearer ${options.token}` },
  });
}
