/**
 * Throughput report (not a test): `npm run bench`. Ratios measured in one run on the same
 * machine; absolute numbers depend on the box. Needs `wrk`, `nginx` (Debian packages).
 *
 * - /exchange/{profile} with one repeated token (exchange cache) and with distinct tokens, against
 *   in-process jose signing of the same algorithm;
 * - /verify/{profile} with a warm JWKS against a raw Fastify "hello";
 * - nginx → STS (/authz) → upstream against nginx → upstream;
 * - cold start: spawning the service on a fresh data directory to its first ready answer.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateKeyPair, SignJWT } from 'jose';
import { binary, freePort, startEchoUpstream, startNginx } from '../gateway-harness';
import { tempDir } from '../helpers';
import { startIdp } from '../idp';

const DURATION = process.env.BENCH_DURATION ?? '8s';
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const THREADS = 2;
/** Distinct IdP tokens; the "sign each" run is short enough never to send one twice. */
const TOKEN_COUNT = Number(process.env.BENCH_TOKENS ?? 24000);
const DISTINCT_DURATION = process.env.BENCH_DISTINCT_DURATION ?? '4s';

/** Runs wrk without blocking this process: the upstream and IdP servers live in it. */
async function wrk(
  url: string,
  options: {
    script?: string;
    headers?: Record<string, string>;
    duration?: string;
    /** Warn when more requests were sent than this (tokens would repeat). */
    maxRequests?: number;
  } = {},
): Promise<number> {
  const args = [
    `-t${THREADS}`,
    `-c${CONNECTIONS}`,
    `-d${options.duration ?? DURATION}`,
    '--latency',
  ];
  for (const [name, value] of Object.entries(options.headers ?? {}))
    args.push('-H', `${name}: ${value}`);
  if (options.script) args.push('-s', options.script);
  const child = spawn('wrk', [...args, url]);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  await new Promise((resolve) => child.once('exit', resolve));
  const match = /Requests\/sec:\s+([\d.]+)/.exec(stdout);
  const errors = /Non-2xx or 3xx responses: (\d+)/.exec(stdout);
  if (!match) throw new Error(`wrk failed: ${stderr || stdout}`);
  if (errors) console.warn(`  warning: ${errors[1]} non-2xx answers for ${url}`);
  const sent = Number(/(\d+) requests in/.exec(stdout)?.[1] ?? 0);
  if (options.maxRequests !== undefined && sent > options.maxRequests)
    console.warn(`  warning: ${sent} requests for ${options.maxRequests} distinct tokens`);
  if (process.env.BENCH_VERBOSE) console.log(stdout);
  return Number(match[1]);
}

/**
 * A wrk Lua script cycling through the tokens; the threads interleave (thread k sends tokens k,
 * k + THREADS, …), so no token is sent twice before all have been sent once.
 */
function distinctTokenScript(tokens: string[], method: string, body?: string): string {
  const file = join(tempDir('sts-bench-'), 'tokens.lua');
  writeFileSync(
    file,
    [
      `local tokens = {${tokens.map((t) => `"${t}"`).join(',')}}`,
      'local threads = 0',
      'function setup(thread)',
      '  thread:set("offset", threads)',
      '  threads = threads + 1',
      'end',
      'local n = 0',
      'request = function()',
      `  local i = (n * ${THREADS} + (offset or 0)) % #tokens + 1`,
      '  n = n + 1',
      `  return wrk.format("${method}", nil, { ["Authorization"] = "Bearer " .. tokens[i]${body ? ', ["Content-Type"] = "application/json"' : ''} }${body ? `, '${body}'` : ''})`,
      'end',
    ].join('\n'),
  );
  return file;
}

async function startStsProcess(
  port: number,
  configFile: string,
  dataDir: string,
): Promise<{ child: ChildProcess; readyMs: number }> {
  const started = performance.now();
  const child = spawn(process.execPath, [join(__dirname, '..', '..', 'src', 'main.js')], {
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      STS_CONFIG: configFile,
      STS_DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/health/ready`)).ok)
        return { child, readyMs: performance.now() - started };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('STS did not become ready');
}

async function main(): Promise<void> {
  if (!binary('wrk', ['/usr/bin/wrk'])) throw new Error('wrk is required: apt-get install wrk');
  const idp = await startIdp('RS256');
  const dataDir = tempDir('sts-bench-');
  const configFile = join(dataDir, 'sts.config.json');
  writeFileSync(
    configFile,
    JSON.stringify({
      profiles: [
        {
          channel_token_optional: true,
          name: 'api',
          access_token_jwks_uri: idp.jwksUri,
          access_token_scopes_required: ['read'],
        },
      ],
    }),
  );
  const stsPort = await freePort();
  const { child: sts, readyMs } = await startStsProcess(stsPort, configFile, dataDir);
  const base = `http://127.0.0.1:${stsPort}`;
  const exp = Math.floor(Date.now() / 1000) + 3600;
  const tokens = await Promise.all(
    Array.from({ length: TOKEN_COUNT }, (_, i) =>
      idp.sign({ sub: `user-${i}`, scope: 'read', exp }),
    ),
  );
  const results: Record<string, number> = {};
  try {
    // Warm the JWKS cache and the code paths.
    await fetch(`${base}/exchange/api`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens[0]}` },
    });

    results['/exchange repeated token (cache hits)'] = await wrk(`${base}/exchange/api`, {
      script: distinctTokenScript([tokens[0]!], 'POST'),
    });
    results['/exchange distinct tokens (sign each)'] = await wrk(`${base}/exchange/api`, {
      script: distinctTokenScript(tokens.slice(1), 'POST'),
      duration: DISTINCT_DURATION,
      maxRequests: tokens.length - 1,
    });
    results['/verify warm JWKS'] = await wrk(`${base}/verify/api`, {
      script: distinctTokenScript(tokens, 'POST'),
    });

    // In-process jose RS256 signing of a similar payload, single thread, same machine.
    const { privateKey } = await generateKeyPair('RS256');
    const started = performance.now();
    let signed = 0;
    while (performance.now() - started < 3000) {
      await new SignJWT({ sub: 'user', scope: 'read', exp, iss: 'x', original_iss: 'y' })
        .setProtectedHeader({ alg: 'RS256', kid: 'k' })
        .sign(privateKey);
      signed++;
    }
    results['in-process jose RS256 sign (1 thread)'] =
      signed / ((performance.now() - started) / 1000);

    // Raw Fastify hello in its own process for the /verify comparison.
    const helloPort = await freePort();
    const hello = spawn(
      process.execPath,
      [
        '-e',
        `require('fastify')().get('/', async () => 'hello').listen({ port: ${helloPort}, host: '127.0.0.1' })`,
      ],
      { cwd: join(__dirname, '..', '..', '..') },
    );
    await new Promise((r) => setTimeout(r, 1000));
    results['raw Fastify hello'] = await wrk(`http://127.0.0.1:${helloPort}/`);
    hello.kill();

    const nginx = binary('nginx', ['/usr/sbin/nginx']);
    if (nginx) {
      const upstream = await startEchoUpstream();
      const ports = { sts: stsPort, upstream: upstream.port };
      const withSts = await startNginx(nginx, { ...ports, gateway: await freePort() });
      // The same config without the auth_request line: nginx straight to the upstream.
      const direct = await startNginx(nginx, { ...ports, gateway: await freePort() }, (conf) =>
        conf.replace(/\n\s*auth_request \/_sts_authz;/, ''),
      );
      // Tokens cycle here: after the first pass they come from the exchange cache, as a client's would.
      results['nginx → STS /authz → upstream'] = await wrk(`${withSts.url}/orders`, {
        script: distinctTokenScript(tokens, 'GET'),
      });
      results['nginx → upstream (no auth)'] = await wrk(`${direct.url}/orders`);
      await withSts.stop();
      await direct.stop();
      await upstream.close();
    }
  } finally {
    sts.kill('SIGTERM');
    await idp.close();
  }
  console.log('\nThroughput (requests/s, one run, same machine):');
  for (const [name, value] of Object.entries(results))
    console.log(`  ${name.padEnd(42)} ${value.toFixed(0)}`);
  console.log(
    `\nCold start to /health/ready (fresh data directory, IdP JWKS warmed): ${readyMs.toFixed(0)} ms`,
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
