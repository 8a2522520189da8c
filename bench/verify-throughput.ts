/**
 * /verify throughput with a warm JWKS, next to a raw Fastify "hello" served by the same process
 * in the same run (the ceiling of the HTTP stack on this machine) and the STS's own cached JWKS
 * document (the cost of the framework). The servers run in a child process, the load generator
 * here. Not a benchmark suite: a quick, repeatable number.
 * `npm run bench:verify` (BENCH_SECONDS, BENCH_CONNECTIONS to tune).
 */
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { Pool } from 'undici';
import { createApp } from '../src/app';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);

interface Result {
  requests: number;
  perSecond: number;
  p50: number;
  p99: number;
  failures: number;
}

async function load(
  origin: string,
  request: { path: string; method: 'GET' | 'POST'; headers?: Record<string, string> },
): Promise<Result> {
  const pool = new Pool(origin, { connections: CONNECTIONS });
  const latencies: number[] = [];
  let failures = 0;
  const run = async (until: number, record: boolean) => {
    while (performance.now() < until) {
      const started = performance.now();
      const res = await pool.request(request);
      await res.body.dump();
      if (!record) continue;
      if (res.statusCode !== 200) failures++;
      latencies.push(performance.now() - started);
    }
  };
  const warmUntil = performance.now() + 1000;
  await Promise.all(Array.from({ length: CONNECTIONS }, () => run(warmUntil, false)));
  const started = performance.now();
  await Promise.all(Array.from({ length: CONNECTIONS }, () => run(started + SECONDS * 1000, true)));
  const elapsed = (performance.now() - started) / 1000;
  await pool.close();
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
  return {
    requests: latencies.length,
    perSecond: Math.round(latencies.length / elapsed),
    p50: Number(at(0.5).toFixed(2)),
    p99: Number(at(0.99).toFixed(2)),
    failures,
  };
}

interface Targets {
  stsOrigin: string;
  helloOrigin: string;
  token: string;
}

/** Child process: the IdP, the STS and the raw Fastify hello; reports where they listen. */
async function serve(): Promise<void> {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'bench', alg: 'RS256', use: 'sig' };
  let jwksFetches = 0;
  const idp = createServer((_req, res) => {
    jwksFetches++;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => idp.listen(0, '127.0.0.1', resolve));
  const jwksUri = `http://127.0.0.1:${(idp.address() as AddressInfo).port}/jwks.json`;

  const dataDir = mkdtempSync(join(tmpdir(), 'sts-bench-'));
  const configFile = join(dataDir, 'sts.json');
  writeFileSync(
    configFile,
    JSON.stringify({
      profiles: [
        {
          name: 'bench',
          access_token_jwks_uri: jwksUri,
          access_token_issuers_allowed: ['https://idp.example.com'],
          access_token_scopes_required: ['read'],
          channel_token_optional: true,
        },
      ],
    }),
  );
  const { app } = await createApp({
    env: {
      STS_DATA_DIR: dataDir,
      STS_CONFIG: configFile,
      STS_MASTER_KEY: Buffer.alloc(32, 1).toString('base64'),
      LOG_LEVEL: 'silent',
    },
    logger: false,
  });
  await app.listen(0, '127.0.0.1');
  const stsOrigin = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;

  const hello = Fastify();
  hello.get('/', () => ({ hello: 'world' }));
  await hello.listen({ port: 0, host: '127.0.0.1' });
  const helloOrigin = `http://127.0.0.1:${(hello.server.address() as AddressInfo).port}`;

  const token = await new SignJWT({ scope: 'read write', sub: 'alice' })
    .setProtectedHeader({ alg: 'RS256', kid: 'bench', typ: 'JWT' })
    .setIssuer('https://idp.example.com')
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(privateKey);

  const targets: Targets = { stsOrigin, helloOrigin, token };
  process.send!(targets);
  process.once('disconnect', () => {
    void Promise.all([app.close(), hello.close()]).finally(() => {
      idp.close();
      rmSync(dataDir, { recursive: true, force: true });
      console.error(`JWKS fetches during the run: ${jwksFetches}`);
    });
  });
}

async function main(): Promise<void> {
  const child = fork(__filename, ['serve'], {
    execArgv: process.env.BENCH_PROFILE ? ['--cpu-prof', '--cpu-prof-dir=/tmp/prof'] : [],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const targets = await new Promise<Targets>((resolve, reject) => {
    child.once('message', (message) => resolve(message as Targets));
    child.once('exit', (code) => reject(new Error(`server process exited with ${code}`)));
  });
  const raw = await load(targets.helloOrigin, { path: '/', method: 'GET' });
  const nestJwks = await load(targets.stsOrigin, { path: '/.well-known/jwks.json', method: 'GET' });
  const verify = await load(targets.stsOrigin, {
    path: '/verify/bench',
    method: 'POST',
    headers: { authorization: `Bearer ${targets.token}` },
  });
  console.log(
    JSON.stringify(
      {
        node: process.version,
        cpus: cpus().length,
        seconds: SECONDS,
        connections: CONNECTIONS,
        rawFastifyHello: raw,
        stsJwksDocument: nestJwks,
        verifyRs256: verify,
        verifyVsRaw: Number((verify.perSecond / raw.perSecond).toFixed(2)),
      },
      null,
      2,
    ),
  );
  child.disconnect();
}

(process.argv[2] === 'serve' ? serve() : main()).catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
