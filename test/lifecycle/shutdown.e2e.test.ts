import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Agent, request } from 'undici';
import { shutdownGracefully } from '../../src/lifecycle/graceful-shutdown';
import {
  sendJson,
  startLocalServer,
  startSts,
  tempDir,
  TEST_MASTER_KEY,
  type LocalServer,
} from '../helpers';

const IN_FLIGHT = 50;
const MAIN = join(__dirname, '..', '..', 'src', 'main.js');

interface HeldBackend extends LocalServer {
  /** Requests received and not yet answered. */
  held: { res: ServerResponse; user: string }[];
  /** Answers every held request with claims to sign. */
  release: () => void;
}

/** A signer backend that holds every answer until the test releases them. */
async function heldBackend(): Promise<HeldBackend> {
  const held: HeldBackend['held'] = [];
  const server = await startLocalServer((_req, res, body) => {
    held.push({ res, user: (JSON.parse(body) as { user: string }).user });
  });
  const release = () => {
    for (const { res, user } of held.splice(0)) sendJson(res, 200, { access_token: { sub: user } });
  };
  return Object.assign(server, { held, release });
}

/** Polls a condition; the attempt cap only stops a broken run from hanging CI. */
async function until(condition: () => boolean, what: string): Promise<void> {
  for (let attempt = 0; !condition(); attempt++) {
    if (attempt > 3000) assert.fail(`gave up waiting: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** `node dist/src/main.js` as production runs it; its JSON log lines are collected. */
function startMain(env: Record<string, string>): {
  child: ChildProcess;
  lines: Record<string, any>[];
  exited: Promise<number | null>;
} {
  const child = spawn(process.execPath, [MAIN], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: Record<string, any>[] = [];
  let partial = '';
  child.stdout.on('data', (chunk: Buffer) => {
    const text = partial + chunk.toString('utf8');
    const parts = text.split('\n');
    partial = parts.pop()!;
    for (const part of parts) if (part) lines.push(JSON.parse(part) as Record<string, any>);
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { child, lines, exited };
}

describe('graceful shutdown', () => {
  it(`SIGTERM during ${IN_FLIGHT} slow in-flight requests: all of them complete`, async () => {
    const backend = await heldBackend();
    const dataDir = tempDir();
    const configFile = join(dataDir, 'sts.config.json');
    writeFileSync(
      configFile,
      JSON.stringify({
        signers: [
          { name: 'slow', 'keys-to-sign': ['access_token'], backend: `${backend.url}/issue` },
        ],
      }),
    );
    const main = startMain({
      PORT: '0',
      HOST: '127.0.0.1',
      STS_DATA_DIR: dataDir,
      STS_CONFIG: configFile,
      STS_MASTER_KEY: TEST_MASTER_KEY,
      LOG_LEVEL: 'info',
      STS_SHUTDOWN_TIMEOUT: '60s',
    });
    const agent = new Agent({ connections: IN_FLIGHT * 2 });
    try {
      await until(() => main.lines.some((l) => l.msg === 'STS listening'), 'main never listened');
      const url = main.lines.find((l) => l.msg === 'STS listening')!.url as string;

      const answers = Array.from({ length: IN_FLIGHT }, (_, i) =>
        request(`${url}/token/slow`, {
          method: 'POST',
          dispatcher: agent,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ user: `user-${i}` }),
        }).then(async (res) => ({ status: res.statusCode, body: await res.body.json() })),
      );
      await until(() => backend.held.length === IN_FLIGHT, 'requests never reached the backend');

      main.child.kill('SIGTERM');
      await until(
        () => main.lines.some((l) => /^shutting down/.test(l.msg as string)),
        'no shutdown log',
      );
      await assert.rejects(
        request(`${url}/health/live`, { dispatcher: new Agent() }),
        /ECONNREFUSED/,
        'new connections are refused once shutdown starts',
      );
      backend.release();

      const results = await Promise.all(answers);
      assert.equal(results.length, IN_FLIGHT);
      results.forEach((result, i) => {
        assert.equal(result.status, 200, `request ${i}: ${JSON.stringify(result.body)}`);
        assert.match((result.body as { access_token: string }).access_token, /^eyJ/);
      });
      assert.equal(await main.exited, 0);
      const done = main.lines.find((l) => l.msg === 'shutdown complete');
      assert.equal(done?.forced, false, 'finished within the bound, nothing cut off');
    } finally {
      main.child.kill('SIGKILL');
      await agent.close();
      await backend.close();
    }
  });

  it('bounds the wait: a request that never finishes has its connection closed', async () => {
    const backend = await heldBackend();
    const sts = await startSts({
      file: { signers: [{ name: 'stuck', 'keys-to-sign': ['a'], backend: `${backend.url}/x` }] },
    });
    try {
      await sts.app.listen(0, '127.0.0.1');
      const url = await sts.app.getUrl();
      const stuck = request(`${url}/token/stuck`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ user: 'x' }),
      });
      stuck.catch(() => undefined);
      await until(() => backend.held.length === 1, 'request never reached the backend');
      const { forced } = await shutdownGracefully(sts.app, {
        timeoutMs: 50,
        logger: sts.logger,
      });
      assert.equal(forced, true);
      await assert.rejects(stuck, /other side closed|socket|ECONNRESET/i);
    } finally {
      backend.release();
      await backend.close();
      await sts.cleanup();
    }
  });
});
