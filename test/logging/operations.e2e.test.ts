import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SignJWT } from 'jose';
import {
  LogCapture,
  ManualClock,
  startLocalServer,
  startSts,
  TEST_MASTER_KEY,
  type LocalServer,
  type TestSts,
} from '../helpers';
import { startIdp, TestIdp, type LocalIdp } from '../idp';

const GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

/** Samples of a Prometheus text exposition: `name{labels}` -> value. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

/**
 * Issue 8's redaction acceptance, against the real token endpoints: tokens in headers, query
 * parameters, cookies, JSON and form bodies, client and admin secrets, and the tokens we return.
 */
describe('logs of the token endpoints', () => {
  const CLIENT_SECRET = 'client-secret-9b2e71f0';
  const WRONG_CLIENT_SECRET = 'wrong-client-secret-44aa10';
  const ADMIN_TOKEN = 'admin-token-5e8c2d7a19f3';
  const WRONG_ADMIN_TOKEN = 'admin-guess-0c1d2e3f4a5b';
  const CONSUMER_SECRET = 'kong-consumer-hs256-secret-7d1c';
  const INTROSPECTION_SECRET = 'introspection-credential-61f0';
  const JWKS_PASSWORD = 'jwks-basic-password-3a9e';
  const JWKS_API_KEY = 'jwks-query-api-key-8f2b';

  let sts: TestSts;
  let idp: LocalIdp;
  let introspection: LocalServer;
  const logs = new LogCapture();
  /** Every credential the run sends or receives; none may appear in any log line. */
  const secrets = new Map<string, string>([
    ['CLIENT_SECRET', CLIENT_SECRET],
    ['WRONG_CLIENT_SECRET', WRONG_CLIENT_SECRET],
    ['ADMIN_TOKEN', ADMIN_TOKEN],
    ['WRONG_ADMIN_TOKEN', WRONG_ADMIN_TOKEN],
    ['CONSUMER_SECRET', CONSUMER_SECRET],
    ['INTROSPECTION_SECRET', INTROSPECTION_SECRET],
    ['JWKS_PASSWORD', JWKS_PASSWORD],
    ['JWKS_API_KEY', JWKS_API_KEY],
    ['TEST_MASTER_KEY', TEST_MASTER_KEY],
    ['basic client credentials', basic('svc', CLIENT_SECRET).slice('Basic '.length)],
  ]);
  const now = () => Math.floor(Date.now() / 1000);
  /** A fresh IdP token, remembered as a secret. */
  const idpToken = async (name: string, claims: Record<string, unknown> = {}) => {
    const token = await idp.sign({
      sub: `user-${name}`,
      scope: 'read',
      exp: now() + 600,
      ...claims,
    });
    secrets.set(name, token);
    return token;
  };
  /** A Kong JWT credential token (HS256 with the consumer's secret, `iss` = its key). */
  const kongToken = async (name: string) => {
    const token = await new SignJWT({ sub: name })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer('alice-key')
      .setExpirationTime(now() + 600)
      .sign(new TextEncoder().encode(CONSUMER_SECRET));
    secrets.set(name, token);
    return token;
  };
  /** Tokens the service answered with. */
  const returned = (name: string, token: unknown) => {
    assert.equal(typeof token, 'string', name);
    assert.ok((token as string).length > 20, name);
    secrets.set(name, token as string);
  };

  before(async () => {
    idp = await startIdp('ES256');
    introspection = await startLocalServer((req, res, body) => {
      const params = new URLSearchParams(body);
      const known =
        req.headers.authorization === `Bearer ${INTROSPECTION_SECRET}` &&
        params.get('token')?.startsWith('opaque-');
      res.writeHead(200, { 'content-type': 'application/json' });
      const answer = { active: true, sub: 'svc-user', scope: 'read', exp: now() + 600 };
      res.end(JSON.stringify(known ? answer : { active: false }));
    });
    sts = await startSts({
      logStream: logs,
      env: { LOG_LEVEL: 'debug', STS_ADMIN_TOKEN: ADMIN_TOKEN },
      file: {
        consumers: [
          { username: 'alice', jwt_secrets: [{ key: 'alice-key', secret: CONSUMER_SECRET }] },
        ],
        profiles: [
          {
            name: 'api',
            access_token_jwks_uri: idp.jwksUri,
            channel_token_optional: true,
            enable_instrumentation: true,
          },
          {
            // The JWKS answers 404 to this URL: the failed fetch is logged, its key is not.
            name: 'keyed',
            access_token_jwks_uri: `${idp.jwksUri}?api_key=${JWKS_API_KEY}`,
            access_token_jwks_uri_client_username: 'sts',
            access_token_jwks_uri_client_password: JWKS_PASSWORD,
            channel_token_optional: true,
          },
          {
            name: 'opaque',
            access_token_introspection_endpoint: `${introspection.url}/introspect`,
            access_token_introspection_authorization: `Bearer ${INTROSPECTION_SECRET}`,
            channel_token_optional: true,
          },
          { name: 'kong', credentials: { cookie_names: ['jwt'] }, channel_token_optional: true },
        ],
        clients: [{ client_id: 'svc', client_secret: CLIENT_SECRET, profile: 'api' }],
      },
    });
  });
  after(async () => {
    await sts?.cleanup();
    await idp?.close();
    await introspection?.close();
  });

  /** The access line of each answer, by `reqId` (echoed as `X-Request-Id`). */
  const accessLine = (res: { headers: Record<string, unknown> }) => {
    const id = res.headers['x-request-id'];
    const line = logs.records().find((r) => r.reqId === id && r.msg === 'request completed');
    assert.ok(line, `access line of ${String(id)}`);
    return line;
  };

  it('never writes a token, secret, the master key or a token we returned', async () => {
    const verifyHeader = await sts.inject({
      method: 'POST',
      url: '/verify/api',
      headers: { authorization: `Bearer ${await idpToken('verify header')}` },
    });
    assert.equal(verifyHeader.statusCode, 200, verifyHeader.body);

    const tampered = `${(await idpToken('tampered base')).slice(0, -4)}AAAA`;
    secrets.set('tampered', tampered);
    const verifyBad = await sts.inject({
      method: 'POST',
      url: '/verify/api',
      headers: { authorization: `Bearer ${tampered}` },
    });
    assert.equal(verifyBad.statusCode, 401);

    const verifyCookie = await sts.inject({
      method: 'POST',
      url: '/verify/kong',
      headers: { cookie: `theme=dark; jwt=${await kongToken('kong cookie')}` },
    });
    assert.equal(verifyCookie.statusCode, 200, verifyCookie.body);

    const verifyOpaque = await sts.inject({
      method: 'POST',
      url: '/verify/opaque',
      headers: { authorization: 'Bearer opaque-4c7d9e01f2a3b5c6' },
    });
    secrets.set('opaque', 'opaque-4c7d9e01f2a3b5c6');
    assert.equal(verifyOpaque.statusCode, 200, verifyOpaque.body);

    const exchangeHeader = await sts.inject({
      method: 'POST',
      url: '/exchange/api',
      headers: { authorization: `Bearer ${await idpToken('exchange header')}` },
    });
    assert.equal(exchangeHeader.statusCode, 200, exchangeHeader.body);
    returned('exchange header re-signed', exchangeHeader.json().access_token);

    const exchangeBody = await sts.inject({
      method: 'POST',
      url: '/exchange/api',
      headers: { 'content-type': 'application/json' },
      payload: { access_token: await idpToken('exchange body') },
    });
    assert.equal(exchangeBody.statusCode, 200, exchangeBody.body);
    returned('exchange body re-signed', exchangeBody.json().access_token);

    const exchangeQuery = await sts.inject({
      method: 'POST',
      url: `/exchange/kong?jwt=${await kongToken('kong query')}`,
    });
    assert.equal(exchangeQuery.statusCode, 200, exchangeQuery.body);
    returned('exchange query re-signed', exchangeQuery.json().access_token);

    const authzHeader = await sts.inject({
      url: '/authz/api/orders/1',
      headers: { authorization: `Bearer ${await idpToken('authz header')}` },
    });
    assert.equal(authzHeader.statusCode, 200, authzHeader.body);
    returned('authz re-signed', String(authzHeader.headers.authorization).slice('Bearer '.length));

    const authzQuery = await sts.inject({
      url: `/authz/kong/orders?jwt=${await kongToken('kong authz query')}`,
    });
    assert.equal(authzQuery.statusCode, 200, authzQuery.body);
    const authzCookie = await sts.inject({
      url: '/authz/kong',
      headers: { cookie: `jwt=${await kongToken('kong authz cookie')}` },
    });
    assert.equal(authzCookie.statusCode, 200, authzCookie.body);

    const rfc8693 = await sts.inject({
      method: 'POST',
      url: '/exchange',
      headers: FORM,
      payload: form({
        grant_type: GRANT,
        subject_token: await idpToken('rfc8693 subject'),
        subject_token_type: ACCESS_TOKEN_TYPE,
        client_id: 'svc',
        client_secret: CLIENT_SECRET,
      }),
    });
    assert.equal(rfc8693.statusCode, 200, rfc8693.body);
    const issued = rfc8693.json<{ access_token: string }>().access_token;
    returned('rfc8693 issued', issued);

    const rfc8693Basic = await sts.inject({
      method: 'POST',
      url: '/exchange',
      headers: { ...FORM, authorization: basic('svc', CLIENT_SECRET) },
      payload: form({
        grant_type: GRANT,
        subject_token: await idpToken('rfc8693 expired', { exp: now() - 600 }),
        subject_token_type: ACCESS_TOKEN_TYPE,
      }),
    });
    assert.equal(rfc8693Basic.statusCode, 400, rfc8693Basic.body);

    const rfc8693Wrong = await sts.inject({
      method: 'POST',
      url: '/exchange',
      headers: FORM,
      payload: form({
        grant_type: GRANT,
        subject_token: await idpToken('rfc8693 wrong client'),
        subject_token_type: ACCESS_TOKEN_TYPE,
        client_id: 'svc',
        client_secret: WRONG_CLIENT_SECRET,
      }),
    });
    assert.equal(rfc8693Wrong.statusCode, 401, rfc8693Wrong.body);

    const introspect = await sts.inject({
      method: 'POST',
      url: '/introspect',
      headers: { ...FORM, authorization: basic('svc', CLIENT_SECRET) },
      payload: form({ token: issued, token_type_hint: 'access_token' }),
    });
    assert.equal(introspect.statusCode, 200, introspect.body);
    assert.equal(introspect.json<{ active: boolean }>().active, true);

    const admin = await sts.inject({
      url: '/admin/keysets',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    assert.equal(admin.statusCode, 200, admin.body);
    const adminWrong = await sts.inject({
      url: '/admin/keysets',
      headers: { authorization: `Bearer ${WRONG_ADMIN_TOKEN}` },
    });
    assert.equal(adminWrong.statusCode, 401);

    assert.ok(logs.lines.length >= 17, 'one access line per request at least');
    assert.ok(
      logs.lines.some((line) => line.includes('JWKS') && line.includes('api_key=')),
      'the failed JWKS fetch is logged (with its query value redacted)',
    );
    for (const line of logs.lines) {
      for (const [name, secret] of secrets) {
        assert.equal(line.includes(secret), false, `${name} leaked into: ${line}`);
      }
    }
  });

  it("tags each token endpoint's access line with the profile and outcome", async () => {
    const ok = async (url: string, init: Parameters<TestSts['inject']>[0] = { url }) => {
      const res = await sts.inject(init);
      return { res, line: accessLine(res) };
    };
    const verify = await ok('/verify/api', {
      method: 'POST',
      url: '/verify/api',
      headers: { authorization: `Bearer ${await idpToken('tag verify')}` },
    });
    assert.equal(verify.res.statusCode, 200);
    assert.deepEqual(
      [verify.line.route, verify.line.profile, verify.line.outcome],
      ['/verify/:profile', 'api', 'OK'],
    );

    const expired = await ok('/exchange/api', {
      method: 'POST',
      url: '/exchange/api',
      headers: { authorization: `Bearer ${await idpToken('tag expired', { exp: now() - 600 })}` },
    });
    assert.equal(expired.res.statusCode, 401);
    assert.deepEqual(
      [expired.line.route, expired.line.profile, expired.line.outcome],
      ['/exchange/:profile', 'api', 'ERR_TOKEN_EXPIRED'],
    );

    const authz = await ok('/authz/api/x', {
      url: '/authz/api/x',
      headers: { authorization: `Bearer ${await idpToken('tag authz')}` },
    });
    assert.equal(authz.res.statusCode, 200);
    assert.deepEqual(
      [authz.line.route, authz.line.profile, authz.line.outcome],
      ['/authz/:profile/*', 'api', 'OK'],
    );
    const denied = await ok('/authz/api', { url: '/authz/api' });
    assert.equal(denied.res.statusCode, 401);
    assert.deepEqual(
      [denied.line.route, denied.line.profile, denied.line.outcome],
      ['/authz/:profile', 'api', 'ERR_TOKEN_MISSING'],
    );
    const unknown = await ok('/authz/nope', { url: '/authz/nope' });
    assert.equal(unknown.res.statusCode, 401, 'forward-auth answers 401 for everything else');
    assert.equal(unknown.line.outcome, 'ERR_NOT_FOUND');

    const exchange = await ok('/exchange', {
      method: 'POST',
      url: '/exchange',
      headers: { ...FORM, authorization: basic('svc', CLIENT_SECRET) },
      payload: form({
        grant_type: GRANT,
        subject_token: await idpToken('tag rfc8693'),
        subject_token_type: ACCESS_TOKEN_TYPE,
      }),
    });
    assert.equal(exchange.res.statusCode, 200);
    returned('tag rfc8693 issued', exchange.res.json().access_token);
    assert.deepEqual(
      [exchange.line.route, exchange.line.profile, exchange.line.outcome],
      ['/exchange', 'api', 'OK'],
    );
    const refused = await ok('/exchange', {
      method: 'POST',
      url: '/exchange',
      headers: { ...FORM, authorization: basic('svc', WRONG_CLIENT_SECRET) },
      payload: form({ grant_type: GRANT }),
    });
    assert.equal(refused.res.statusCode, 401);
    assert.equal(refused.line.profile, undefined, 'no profile before the client is known');
    assert.equal(refused.line.outcome, 'ERR_INVALID_CLIENT');

    for (const line of logs.lines) {
      for (const [name, secret] of secrets) {
        assert.equal(line.includes(secret), false, `${name} leaked into: ${line}`);
      }
    }
  });
});

/** Issue 8's metrics acceptance: each family after a short run, with the values expected. */
describe('/metrics after a run through the token endpoints', () => {
  const clock = new ManualClock();
  const now = () => Math.floor(clock.now() / 1000);
  let sts: TestSts;
  let idp: TestIdp;
  let coldIdp: TestIdp;
  let introspection: LocalServer;
  let introspectionDown: LocalServer;

  before(async () => {
    idp = await TestIdp.start();
    await idp.addKey('k1', 'ES256');
    coldIdp = await TestIdp.start();
    coldIdp.mode = 'fail';
    introspection = await startLocalServer((_req, res, body) => {
      const active = new URLSearchParams(body).get('token') === 'opaque-1';
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(active ? { active: true, sub: 'o', exp: now() + 600 } : {}));
    });
    introspectionDown = await startLocalServer((_req, res) => {
      res.writeHead(503).end();
    });
    sts = await startSts({
      clock,
      file: {
        keysets: [
          { name: 'kong', algorithm: 'RS256', rotation: { period: '1d', prepublish: '1h' } },
        ],
        profiles: [
          { name: 'api', access_token_jwks_uri: idp.jwksUri, channel_token_optional: true },
          {
            name: 'opaque',
            access_token_introspection_endpoint: `${introspection.url}/introspect`,
            channel_token_optional: true,
          },
          {
            name: 'down',
            access_token_introspection_endpoint: `${introspectionDown.url}/introspect?key=s3cr3t`,
            channel_token_optional: true,
          },
          { name: 'cold', access_token_jwks_uri: coldIdp.jwksUri, channel_token_optional: true },
        ],
        clients: [{ client_id: 'svc', client_secret: 'svc-secret', profile: 'api' }],
      },
    });
  });
  after(async () => {
    await sts?.cleanup();
    await idp?.close();
    await coldIdp?.close();
    await introspection?.close();
    await introspectionDown?.close();
  });

  const token = (sub: string, kid = 'k1', claims: Record<string, unknown> = {}) =>
    idp.sign({ sub, scope: 'read', exp: now() + 600, ...claims }, kid);
  const call = (method: 'GET' | 'POST', url: string, bearer?: string) =>
    sts.inject({ method, url, headers: bearer ? { authorization: `Bearer ${bearer}` } : {} });
  const scrape = async () => {
    const res = await sts.inject({ url: '/metrics' });
    assert.equal(res.statusCode, 200);
    return samples(res.body);
  };
  const ready = () => sts.inject({ url: '/health/ready' });

  it('counts verification outcomes, cache, JWKS fetches, introspection, signing and keys', async () => {
    const t1 = await token('a');
    const expired = await token('b', 'k1', { exp: now() - 600 });
    assert.equal((await call('POST', '/verify/api', t1)).statusCode, 200);
    assert.equal((await call('POST', '/verify/api', expired)).statusCode, 401);
    assert.equal((await call('POST', '/verify/api')).statusCode, 401);
    assert.equal((await call('POST', '/verify/nope', t1)).statusCode, 404);

    // Exchange: the same token twice (miss, hit), another one (miss); forward-auth reuses t1.
    const t2 = await token('c');
    assert.equal((await call('POST', '/exchange/api', t1)).statusCode, 200);
    assert.equal((await call('POST', '/exchange/api', t1)).statusCode, 200);
    assert.equal((await call('POST', '/exchange/api', t2)).statusCode, 200);
    assert.equal((await call('GET', '/authz/api', t1)).statusCode, 200);
    assert.equal((await call('GET', '/authz/api', expired)).statusCode, 401);

    // Introspection: one call, then a cache hit; a failing endpoint is a call and a failure.
    assert.equal((await call('POST', '/verify/opaque', 'opaque-1')).statusCode, 200);
    assert.equal((await call('POST', '/verify/opaque', 'opaque-1')).statusCode, 200);
    assert.equal((await call('POST', '/verify/down', 'opaque-2')).statusCode, 503);

    // A key the IdP published after boot: an unknown kid refetches the JWKS once the cooldown is over.
    clock.advance(60_000);
    await idp.addKey('k2', 'ES256');
    assert.equal((await call('POST', '/verify/api', await token('d', 'k2'))).statusCode, 200);

    // RFC 8693: the subject token is verified under the client's profile.
    const exchanged = await sts.inject({
      method: 'POST',
      url: '/exchange',
      headers: { ...FORM, authorization: basic('svc', 'svc-secret') },
      payload: form({
        grant_type: GRANT,
        subject_token: await token('e'),
        subject_token_type: ACCESS_TOKEN_TYPE,
      }),
    });
    assert.equal(exchanged.statusCode, 200, exchanged.body);

    clock.advance(30_000);
    const values = await scrape();
    const outcome = (profile: string, code: string) =>
      values.get(`sts_verification_outcomes_total{profile="${profile}",code="${code}"}`);
    // api: verify t1, exchange ×3, authz t1, k2 token, RFC 8693 subject = 7 OK.
    assert.equal(outcome('api', 'OK'), 7);
    assert.equal(outcome('api', 'ERR_TOKEN_EXPIRED'), 2);
    assert.equal(outcome('api', 'ERR_TOKEN_MISSING'), 1);
    assert.equal(outcome('opaque', 'OK'), 2);
    assert.equal(outcome('down', 'ERR_IDP_UNAVAILABLE'), 1);
    assert.equal(
      [...values.keys()].some((k) => k.includes('profile="nope"')),
      false,
      'unknown profiles create no series',
    );

    // Exchange cache: t1 miss, t1 hit, t2 miss, authz t1 hit (same profile, slot and token).
    assert.equal(values.get('sts_exchange_cache_requests_total{result="miss"}'), 2);
    assert.equal(values.get('sts_exchange_cache_requests_total{result="hit"}'), 2);
    assert.equal(values.get('sts_exchange_cache_entries'), 2);
    // Two re-signed tokens and the RFC 8693 one, all with the `kong` keyset's RS256 key.
    assert.equal(values.get('sts_signing_duration_seconds_count{alg="RS256"}'), 3);

    const jwks = `uri="${idp.jwksUri}"`;
    assert.equal(values.get(`sts_remote_jwks_fetches_total{${jwks},result="ok"}`), 2);
    assert.equal(values.has(`sts_remote_jwks_fetches_total{${jwks},result="failure"}`), false);
    const cold = `uri="${coldIdp.jwksUri}"`;
    assert.equal(values.get(`sts_remote_jwks_fetches_total{${cold},result="failure"}`), 1);

    const endpoint = (server: LocalServer) => `endpoint="${server.url}/introspect"`;
    const introspections = (server: LocalServer, result: string) =>
      values.get(`sts_introspection_requests_total{${endpoint(server)},result="${result}"}`);
    assert.equal(introspections(introspection, 'call'), 1);
    assert.equal(introspections(introspection, 'cache_hit'), 1);
    assert.equal(introspections(introspection, 'failure'), undefined);
    assert.equal(introspections(introspectionDown, 'call'), 1);
    assert.equal(introspections(introspectionDown, 'failure'), 1);

    // The `kong` keyset was created at boot and rotates daily: 90 s old, due in 86400 - 90 s.
    assert.equal(values.get('sts_key_age_seconds{keyset="kong"}'), 90);
    assert.equal(values.get('sts_key_next_rotation_seconds{keyset="kong"}'), 86_400 - 90);
    assert.equal(
      values.has('sts_key_next_rotation_seconds{keyset="default"}'),
      false,
      'a keyset without rotation.period has no next rotation',
    );
  });

  it('is not ready until each IdP JWKS of a boot-time profile was fetched once, then never flaps', async () => {
    const cold = await ready();
    assert.equal(cold.statusCode, 503);
    const body = cold.json<{ error: Record<string, { status: string; message: string }> }>();
    assert.equal(body.error.idp_jwks!.status, 'down');
    assert.equal(body.error.idp_jwks!.message, '1 of 2 identity-provider JWKS never fetched');
    assert.equal(cold.body.includes(coldIdp.jwksUri), false, 'the public answer names no IdP');

    // Probes do not hammer a down IdP: within the cooldown they do not fetch again.
    const fetches = coldIdp.fetches;
    assert.equal((await ready()).statusCode, 503);
    assert.equal(coldIdp.fetches, fetches);

    // Once it answers, the probe's own fetch warms the set (a not-ready instance gets no traffic).
    coldIdp.mode = 'serve';
    await coldIdp.addKey('c1', 'ES256');
    clock.advance(30_000);
    const warm = await ready();
    assert.equal(warm.statusCode, 200, warm.body);
    assert.equal(coldIdp.fetches, fetches + 1);

    // Both IdPs down, every cached set long stale: still ready, and no fetch from the probe.
    coldIdp.mode = 'fail';
    idp.mode = 'fail';
    clock.advance(3_600_000);
    assert.equal((await ready()).statusCode, 200);
    assert.equal(coldIdp.fetches, fetches + 1);
    idp.mode = 'serve';
  });
});
