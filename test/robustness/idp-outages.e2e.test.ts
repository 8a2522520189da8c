import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { LogCapture, ManualClock, sendJson, startSts, type TestSts } from '../helpers';
import { TestIdp } from '../idp';
import {
  assertUnavailable,
  metric,
  startFaultyDependency,
  type FaultyDependency,
} from './outage-helpers';
import { sendRaw } from './raw-http';

/**
 * Identity providers failing: the IdP JWKS slow past STS_JWKS_TIMEOUT_MS, down, answering garbage
 * or 10 MB; the introspection endpoint slow past its timeout, down, answering 500 or an answer
 * without `active`. Each: every request answered within the hang bound (raw-http.ts) with the
 * contract's status (503 temporarily_unavailable with Retry-After on /verify and /exchange, 401
 * on /authz), a failure counted in /metrics, a log line naming the endpoint and the cause, and
 * answers as before once the fault is gone, without a restart.
 */
const ENDPOINTS = ['verify', 'exchange', 'authz'] as const;
const COOLDOWN_MS = 30_000;
const JWKS_FAULTS = ['slow', 'down', 'garbage', 'huge'] as const;
const INTROSPECTION_FAULTS = ['slow', 'down', 'error', 'no-active'] as const;

describe('identity-provider outages', () => {
  const clock = new ManualClock(Date.now());
  const logs = new LogCapture();
  let sts: TestSts;
  let base: string;
  let idp: TestIdp;
  /** One JWKS dependency per fault, so each starts never fetched (cold). */
  const jwks = new Map<(typeof JWKS_FAULTS)[number], FaultyDependency>();
  let warm: FaultyDependency;
  let introspection: FaultyDependency;
  let answerWithoutActive = false;
  const activeTokens = new Set<string>();

  const now = () => Math.floor(clock.now() / 1000);
  const token = () =>
    idp.sign({ iss: 'https://idp.example.com', sub: 'alice', exp: now() + 600 }, 'k1');
  const send = (endpoint: string, profile: string, bearer: string) =>
    sendRaw(base, {
      path: `/${endpoint}/${profile}`,
      headers: [['Authorization', `Bearer ${bearer}`]],
    });
  /** Warn lines logged since `from` (an index into the captured lines). */
  const warningsSince = (from: number) =>
    logs
      .records()
      .slice(from)
      .filter((line) => line.level === 'warn')
      .map((line) => String(line.msg));

  before(async () => {
    idp = await TestIdp.start();
    await idp.addKey('k1', 'RS256');
    const document = async () => (await fetch(idp.jwksUri)).json() as Promise<unknown>;
    const serveJwks = (_req: unknown, res: Parameters<typeof sendJson>[0]) =>
      void document().then((body) => sendJson(res, 200, body));
    for (const fault of JWKS_FAULTS) jwks.set(fault, await startFaultyDependency(serveJwks));
    warm = await startFaultyDependency(serveJwks);
    introspection = await startFaultyDependency((_req, res, body) => {
      const presented = new URLSearchParams(body).get('token') ?? '';
      if (answerWithoutActive) return sendJson(res, 200, { sub: 'alice' });
      sendJson(
        res,
        200,
        activeTokens.has(presented)
          ? { active: true, sub: 'alice', exp: now() + 600 }
          : { active: false },
      );
    });
    // Every cold JWKS fails from the start: the boot fetch fails too (logged, never fatal).
    for (const [fault, dependency] of jwks) {
      if (fault === 'down') await dependency.proxy.cut();
      else dependency.fault = fault;
    }
    const optional = { channel_token_optional: true };
    sts = await startSts({
      clock,
      logStream: logs,
      env: { STS_JWKS_TIMEOUT_MS: '500' },
      file: {
        profiles: [
          ...[...jwks].map(([fault, dependency]) => ({
            name: `jwks-${fault}`,
            access_token_jwks_uri: `${dependency.url}/jwks.json`,
            ...optional,
          })),
          { name: 'jwks-warm', access_token_jwks_uri: `${warm.url}/jwks.json`, ...optional },
          {
            name: 'opaque',
            access_token_introspection_endpoint: `${introspection.url}/introspect`,
            access_token_introspection_timeout: 500,
            cache_access_token_introspection: false,
            ...optional,
          },
        ],
      },
    });
    await sts.app.listen(0, '127.0.0.1');
    base = await sts.app.getUrl();
  });
  after(async () => {
    await sts.cleanup();
    await Promise.all([
      idp.close(),
      warm.close(),
      introspection.close(),
      ...[...jwks.values()].map((d) => d.close()),
    ]);
  });

  for (const fault of JWKS_FAULTS) {
    it(`IdP JWKS ${fault}, never fetched: 503 (401 on /authz) within the bound, counted, logged; recovers`, async () => {
      const dependency = jwks.get(fault)!;
      const profile = `jwks-${fault}`;
      const uri = `${dependency.url}/jwks.json`;
      const failures = () =>
        metric(base, 'sts_remote_jwks_fetches_total', { uri, result: 'failure' });
      const before = await failures();
      assert.ok(before >= 1, 'the boot fetch failed and was counted');
      const lines = logs.lines.length;
      clock.advance(COOLDOWN_MS + 1); // the next request may fetch again
      const bearer = await token();
      for (const endpoint of ENDPOINTS)
        assertUnavailable(await send(endpoint, profile, bearer), endpoint);
      assert.equal(
        await failures(),
        before + 1,
        'one more failed fetch, the others within the cooldown',
      );
      const reasons = {
        slow: /timed out/,
        down: /request failed/,
        garbage: /not valid JSON/,
        huge: /larger than 524288 bytes/,
      };
      assert.ok(
        warningsSince(lines).some((msg) => msg.includes(uri) && reasons[fault].test(msg)),
        `a warn line naming ${uri} and the cause`,
      );

      if (fault === 'down') await dependency.proxy.restore();
      else dependency.fault = 'none';
      clock.advance(COOLDOWN_MS + 1);
      const fresh = await token();
      for (const endpoint of ENDPOINTS) {
        const res = await send(endpoint, profile, fresh);
        assert.equal(res.status, 200, `${endpoint} after recovery: ${res.body}`);
      }
      assert.equal(await metric(base, 'sts_remote_jwks_fetches_total', { uri, result: 'ok' }), 1);
    });
  }

  it('IdP JWKS down after it was fetched: the last good keys keep verifying, counted and logged', async () => {
    const uri = `${warm.url}/jwks.json`;
    const bearer = await token();
    assert.equal((await send('verify', 'jwks-warm', bearer)).status, 200);
    for (const outage of ['slow', 'down'] as const) {
      if (outage === 'down') await warm.proxy.cut();
      else warm.fault = 'slow';
      const before = await metric(base, 'sts_remote_jwks_fetches_total', {
        uri,
        result: 'failure',
      });
      const lines = logs.lines.length;
      clock.advance(11 * 60_000); // past STS_JWKS_MAX_AGE: fetched again before use, and failing
      for (const endpoint of ENDPOINTS) {
        const res = await send(endpoint, 'jwks-warm', await token());
        assert.equal(res.status, 200, `${outage} ${endpoint}: ${res.body}`);
      }
      assert.ok(
        (await metric(base, 'sts_remote_jwks_fetches_total', { uri, result: 'failure' })) > before,
      );
      assert.ok(warningsSince(lines).some((msg) => /keeping the last good keys/.test(msg)));
      if (outage === 'down') await warm.proxy.restore();
      warm.fault = 'none';
    }
    const okBefore = await metric(base, 'sts_remote_jwks_fetches_total', { uri, result: 'ok' });
    clock.advance(11 * 60_000);
    assert.equal((await send('verify', 'jwks-warm', await token())).status, 200);
    assert.equal(
      await metric(base, 'sts_remote_jwks_fetches_total', { uri, result: 'ok' }),
      okBefore + 1,
    );
  });

  for (const fault of INTROSPECTION_FAULTS) {
    it(`introspection ${fault}: 503 (401 on /authz) within the bound, counted, logged; recovers`, async () => {
      const endpoint = `${introspection.url}/introspect`;
      const failures = () =>
        metric(base, 'sts_introspection_requests_total', { endpoint, result: 'failure' });
      const opaque = `opaque-${randomUUID()}`;
      activeTokens.add(opaque);
      if (fault === 'down') await introspection.proxy.cut();
      else if (fault === 'no-active') answerWithoutActive = true;
      else introspection.fault = fault;
      const before = await failures();
      const lines = logs.lines.length;
      for (const name of ENDPOINTS) assertUnavailable(await send(name, 'opaque', opaque), name);
      assert.equal(await failures(), before + ENDPOINTS.length);
      const reasons = {
        slow: /timed out/,
        down: /request failed/,
        error: /HTTP 500/,
        'no-active': /no boolean "active"/,
      };
      assert.ok(
        warningsSince(lines).some((msg) => msg.includes(endpoint) && reasons[fault].test(msg)),
        `a warn line naming ${endpoint} and the cause`,
      );

      if (fault === 'down') await introspection.proxy.restore();
      answerWithoutActive = false;
      introspection.fault = 'none';
      for (const name of ENDPOINTS) {
        const res = await send(name, 'opaque', opaque);
        assert.equal(res.status, 200, `${name} after recovery: ${res.body}`);
      }
    });
  }
});
