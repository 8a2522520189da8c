import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { LogCapture, startSts, tempDir, type TestSts } from '../helpers';
import { TestIdp } from '../idp';
import { POSTGRES_ADMIN_URL, postgresReachable } from '../postgres';
import { metric, waitFor } from './outage-helpers';
import { sendRaw, type RawAnswer } from './raw-http';
import { TcpProxy } from './tcp-proxy';

/**
 * The store failing under load. PostgreSQL restarting under `/exchange` load — every backend of
 * the app terminated (pg_terminate_backend), then the server gone for a while (a TCP proxy between
 * the app and the machine's shared server, cut and restored), then a server that accepts and never
 * answers (the proxy stalled) — and a SQLite store refusing writes. Requests that need the store
 * answer 503 ERR_STORE_UNAVAILABLE with Retry-After within the hang bound, never a 500; those that
 * do not (re-signing: keys are held in memory) go on; each failure is logged and counted, and
 * the service answers as before once the store is back, without a restart.
 */
const TOKEN_EXCHANGE = {
  grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
  subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
};
const CLIENT = { client_id: 'svc', client_secret: 'svc-secret' };

/** A 503 for the store: the documented code, description and Retry-After. */
function assertStoreUnavailable(res: RawAnswer, description: RegExp): void {
  assert.equal(res.status, 503, res.body);
  const body = JSON.parse(res.body) as { error: string; error_description: string; code: string };
  assert.equal(body.code, 'ERR_STORE_UNAVAILABLE');
  assert.equal(body.error, 'temporarily_unavailable');
  assert.match(body.error_description, description);
  assert.equal(res.headers['retry-after'], '5');
}

describe('store outages', () => {
  const logs = new LogCapture();
  let idp: TestIdp;
  let subject: string;

  before(async () => {
    idp = await TestIdp.start();
    await idp.addKey('k1', 'RS256');
    subject = await idp.sign(
      { iss: 'https://idp', sub: 'alice', exp: Math.floor(Date.now() / 1000) + 3600 },
      'k1',
    );
  });
  after(() => idp.close());

  const file = () => ({
    keysets: [{ name: 'edge', algorithm: 'ES256' }],
    profiles: [{ name: 'api', access_token_jwks_uri: idp.jwksUri, channel_token_optional: true }],
    clients: [{ ...CLIENT, profile: 'api', audiences: ['https://orders.example.com'] }],
  });
  /** RFC 8693 /exchange reads its client from the store on every request. */
  const rfc8693 = (base: string) =>
    sendRaw(base, {
      path: '/exchange',
      headers: [
        ['Content-Type', 'application/x-www-form-urlencoded'],
        [
          'Authorization',
          `Basic ${Buffer.from(`${CLIENT.client_id}:${CLIENT.client_secret}`).toString('base64')}`,
        ],
      ],
      body: new URLSearchParams({ ...TOKEN_EXCHANGE, subject_token: subject }).toString(),
    });
  /** /exchange/{profile} re-signs with keys held in memory. */
  const resign = (base: string) =>
    sendRaw(base, { path: '/exchange/api', headers: [['Authorization', `Bearer ${subject}`]] });

  describe('PostgreSQL restarted under /exchange load', () => {
    const database = `sts_outage_${randomBytes(6).toString('hex')}`;
    const admin = new Client({ connectionString: POSTGRES_ADMIN_URL });
    let available = false;
    let proxy: TcpProxy;
    let sts: TestSts;
    let base: string;

    before(async () => {
      available = await postgresReachable();
      // A machine without PostgreSQL skips with a message; CI machines run one (and so never skip).
      if (!available && !process.env.CI) return;
      await admin.connect();
      await admin.query(`CREATE DATABASE ${database}`);
      const server = new URL(POSTGRES_ADMIN_URL);
      proxy = await TcpProxy.start({ host: server.hostname, port: Number(server.port || 5432) });
      const url = new URL(POSTGRES_ADMIN_URL);
      url.host = `127.0.0.1:${proxy.port}`;
      url.pathname = `/${database}`;
      sts = await startSts({
        logStream: logs,
        dataDir: tempDir(),
        env: { DATABASE_URL: url.toString(), STS_RATE_LIMIT_MAX: '1000000' },
        file: file(),
      });
      await sts.app.listen(0, '127.0.0.1');
      base = await sts.app.getUrl();
    });
    after(async () => {
      if (!available && !process.env.CI) return;
      await sts.cleanup();
      await proxy.close();
      await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      await admin.end();
    });

    it('answers 503 during the gap, within the bound, counted and logged; recovers without a restart', async (t) => {
      if (!available && !process.env.CI) return t.skip(`no PostgreSQL at ${POSTGRES_ADMIN_URL}`);
      /** What the store was doing when each request started. */
      type Phase =
        'up' | 'restarted' | 'down' | 'back' | 'silent' | 'recovered' | 'stalled' | 'healed';
      let phase: Phase = 'up';
      const answers: { route: 'rfc8693' | 'resign'; phase: Phase; res: RawAnswer }[] = [];
      let loading = true;
      const load = async (route: 'rfc8693' | 'resign') => {
        while (loading) {
          const started = phase;
          const res = await (route === 'rfc8693' ? rfc8693 : resign)(base);
          answers.push({ route, phase: started, res });
        }
      };
      const loops = (['rfc8693', 'rfc8693', 'resign', 'resign'] as const).map(load);
      /** RFC 8693 answers with `status` to requests started in `during`. */
      const count = (during: Phase, status: number) =>
        answers.filter(
          (a) => a.route === 'rfc8693' && a.phase === during && a.res.status === status,
        ).length;
      const lines = logs.lines.length;
      const before503 = await metric(base, 'sts_http_requests_total', {
        route: '/exchange',
        status: '503',
      });
      try {
        await waitFor('load under way', () => count('up', 200) >= 10);

        // A restart: the server terminates every backend of the app, and takes connections again.
        phase = 'restarted';
        await admin.query(
          'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1',
          [database],
        );
        await waitFor('served again after the restart', () => count('restarted', 200) >= 5);

        // Down for a while: connections dropped and refused.
        await proxy.cut();
        phase = 'down';
        await waitFor('503 while the server is down', () => count('down', 503) >= 5);
        assert.equal((await sendRaw(base, { method: 'GET', path: '/health/ready' })).status, 503);
        await proxy.restore();
        phase = 'back';
        await waitFor('served again once it is back', () => count('back', 200) >= 5);
        assert.equal((await sendRaw(base, { method: 'GET', path: '/health/ready' })).status, 200);

        // A partition: open connections go silent (bounded by the query timeout, 5 s), or the
        // server takes connections and never answers (bounded by the connect timeout, 5 s).
        for (const [dropOpen, during, after] of [
          [false, 'silent', 'recovered'],
          [true, 'stalled', 'healed'],
        ] as const) {
          proxy.stall({ dropOpen });
          phase = during;
          await waitFor(`503 while ${during}`, () => count(during, 503) >= 1);
          await proxy.restore();
          phase = after;
          await waitFor(`served again after ${during}`, () => count(after, 200) >= 5);
        }
      } finally {
        loading = false;
        // A loop that threw met a request unanswered within the bound, or a broken connection.
        for (const loop of await Promise.allSettled(loops))
          assert.equal(loop.status, 'fulfilled', String((loop as PromiseRejectedResult).reason));
      }

      for (const { route, res } of answers) {
        if (route === 'resign')
          assert.equal(res.status, 200, `re-signing needs no store: ${res.body}`);
        else if (res.status !== 200) assertStoreUnavailable(res, /the database is unavailable/);
      }
      assert.equal(
        await metric(base, 'sts_http_requests_total', { route: '/exchange', status: '503' }),
        before503 + answers.filter((a) => a.res.status === 503).length,
        'every 503 counted',
      );
      assert.ok(
        logs
          .records()
          .slice(lines)
          .some((line) => line.level === 'warn' && line.code === 'ERR_STORE_UNAVAILABLE'),
        'a warn line with the driver error',
      );
    });
  });

  describe('SQLite refusing writes', () => {
    let sts: TestSts;
    let base: string;
    const ADMIN = 'admin-token-for-store-outages';
    const adminCall = (method: string, path: string, body?: object) =>
      sendRaw(base, {
        method,
        path,
        headers: [
          ['Authorization', `Bearer ${ADMIN}`],
          ...(body ? [['Content-Type', 'application/json'] as const] : []),
        ],
        body: body ? JSON.stringify(body) : undefined,
      });

    before(async () => {
      sts = await startSts({ logStream: logs, env: { STS_ADMIN_TOKEN: ADMIN }, file: file() });
      await sts.app.listen(0, '127.0.0.1');
      base = await sts.app.getUrl();
    });
    after(() => sts.cleanup());

    it('writes answer 503 "read-only", counted and logged; reads and tokens go on; writes again after', async () => {
      // The answer SQLite gives for a read-only file (SQLITE_READONLY), on the app's own
      // connection: chmod does not stop root, whom CI containers run tests as.
      const sqlite = (
        sts.app.get(DataSource).driver as unknown as {
          databaseConnection: { pragma: (sql: string) => unknown };
        }
      ).databaseConnection;
      assert.equal((await adminCall('POST', '/admin/consumers', { username: 'bob' })).status, 201);
      // The first exchanges create their keyset (a write); from then on they only read.
      assert.equal((await rfc8693(base)).status, 200);
      assert.equal((await resign(base)).status, 200);
      const lines = logs.lines.length;
      sqlite.pragma('query_only = ON');
      for (const [method, path, body] of [
        ['POST', '/admin/consumers', { username: 'alice' }],
        ['PATCH', '/admin/consumers/bob', { custom_id: 'B-1' }],
        ['DELETE', '/admin/consumers/bob', undefined],
        ['POST', '/admin/keysets/edge/rotate', undefined],
      ] as const)
        assertStoreUnavailable(await adminCall(method, path, body), /read-only/);
      assert.equal((await adminCall('GET', '/admin/consumers')).status, 200);
      assert.equal((await adminCall('GET', '/admin/keysets/edge')).status, 200);
      assert.equal((await rfc8693(base)).status, 200);
      assert.equal((await resign(base)).status, 200);
      assert.equal((await sendRaw(base, { method: 'GET', path: '/jwks' })).status, 200);
      assert.equal((await sendRaw(base, { method: 'GET', path: '/health/ready' })).status, 200);
      assert.equal(await metric(base, 'sts_http_requests_total', { status: '503' }), 4);
      const records = logs.records().slice(lines);
      assert.ok(
        records.some((line) => line.level === 'warn' && /readonly/.test(JSON.stringify(line.err))),
      );
      assert.ok(
        records.some((line) => /"code":"ERR_STORE_UNAVAILABLE"/.test(String(line.msg))),
        'the audit line names the failure',
      );

      sqlite.pragma('query_only = OFF');
      assert.equal(
        (await adminCall('POST', '/admin/consumers', { username: 'alice' })).status,
        201,
      );
      assert.equal((await adminCall('POST', '/admin/keysets/edge/rotate')).status, 200);
    });
  });
});
