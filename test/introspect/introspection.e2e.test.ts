import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DataSource } from 'typeorm';
import {
  ManualClock,
  sendJson,
  startLocalServer,
  startSts,
  type LocalServer,
  type TestSts,
} from '../helpers';
import { TestIdp } from '../idp';

const CLIENT_AUTH = 'Basic YWRtaW46YWRtaW4=';

describe('RFC 7662 introspection of opaque tokens', () => {
  const clock = new ManualClock();
  const now = () => Math.floor(clock.now() / 1000);
  let sts: TestSts;
  let idp: TestIdp;
  let endpoint: LocalServer;
  let mode: 'serve' | 'fail' | 'hang' = 'serve';
  const active = new Map<string, Record<string, unknown>>();

  before(async () => {
    idp = await TestIdp.start();
    await idp.addKey('inner');
    endpoint = await startLocalServer((_req, res, body) => {
      if (mode === 'hang') return;
      if (mode === 'fail') return sendJson(res, 500, { error: 'down' });
      const token = new URLSearchParams(body).get('token') ?? '';
      sendJson(res, 200, active.get(token) ?? { active: false });
    });
    sts = await startSts({
      clock,
      file: {
        consumers: [{ username: 'alice' }],
        profiles: [
          {
            name: 'opaque',
            access_token_introspection_endpoint: `${endpoint.url}/introspect`,
            access_token_introspection_authorization: CLIENT_AUTH,
            access_token_introspection_body_args: 'resource=https%3A%2F%2Fapi.example.com&x=1',
            access_token_introspection_scopes_required: ['read'],
            access_token_introspection_consumer_claim: ['username'],
            access_token_introspection_timeout: 3000,
            channel_token_optional: true,
          },
          {
            name: 'jwt-claim',
            access_token_introspection_endpoint: `${endpoint.url}/introspect`,
            access_token_introspection_jwt_claim: ['jwt'],
            access_token_introspection_hint: null,
            channel_token_optional: true,
          },
          {
            name: 'untrusted',
            access_token_introspection_endpoint: `${endpoint.url}/introspect`,
            trust_access_token_introspection: false,
            access_token_scopes_required: ['admin'],
            cache_access_token_introspection: false,
            channel_token_optional: true,
          },
        ],
      },
    });
  });
  after(async () => {
    await sts.cleanup();
    await Promise.all([endpoint.close(), idp.close()]);
  });

  const verify = (profile: string, token: string, scheme = 'Bearer') =>
    sts.inject({
      method: 'POST',
      url: `/verify/${profile}`,
      headers: { authorization: `${scheme} ${token}` },
    });
  const calls = () => endpoint.requests.length;

  it('posts token, hint, extra fields and the configured Authorization; maps claims and consumer', async () => {
    active.set('opaque-1', {
      active: true,
      username: 'alice',
      scope: 'read write',
      exp: now() + 600,
      client_id: 'app',
    });
    const res = await verify('opaque', 'opaque-1');
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json<Record<string, any>>();
    assert.equal(body.access_token.kind, 'opaque');
    assert.equal(body.access_token.introspected, true);
    assert.deepEqual(body.access_token.claims, {
      username: 'alice',
      scope: 'read write',
      exp: now() + 600,
      client_id: 'app',
    });
    assert.equal(body.consumer.username, 'alice');
    const sent = endpoint.requests.at(-1)!;
    assert.equal(sent.method, 'POST');
    assert.equal(sent.headers.authorization, CLIENT_AUTH);
    assert.match(String(sent.headers['content-type']), /^application\/x-www-form-urlencoded/);
    const form = new URLSearchParams(sent.body);
    assert.equal(form.get('token'), 'opaque-1');
    assert.equal(form.get('token_type_hint'), 'access_token');
    assert.equal(form.get('resource'), 'https://api.example.com');
    assert.equal(form.get('x'), '1');
  });

  it('accepts Basic as well as Bearer for opaque tokens, as Kong', async () => {
    const claims = { username: 'alice', scope: 'read', exp: now() + 600 };
    active.set('opaque-basic', { active: true, ...claims });
    const res = await verify('opaque', 'opaque-basic', 'Basic');
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json<Record<string, any>>();
    assert.equal(body.access_token.source, 'header:authorization');
    assert.deepEqual(body.access_token.claims, claims);
    assert.equal(body.consumer.username, 'alice');
    assert.equal(new URLSearchParams(endpoint.requests.at(-1)!.body).get('token'), 'opaque-basic');
  });

  it('caches active results, bounded by the token exp', async () => {
    active.set('cached', { active: true, username: 'alice', scope: 'read', exp: now() + 60 });
    const before = calls();
    for (let i = 0; i < 5; i++) assert.equal((await verify('opaque', 'cached')).statusCode, 200);
    assert.equal(calls(), before + 1);
    clock.advance(61_000);
    // The token's own exp has passed: asked again, and the expired result fails the expiry check.
    assert.equal((await verify('opaque', 'cached')).statusCode, 401);
    assert.equal(calls(), before + 2);
  });

  it('active: false and missing exp are 401; missing scope is 403', async () => {
    const inactive = await verify('opaque', 'unknown-token');
    assert.equal(inactive.statusCode, 401);
    assert.equal(
      inactive.json<{ error_description: string }>().error_description,
      'token is not active',
    );
    active.set('no-exp', { active: true, username: 'alice', scope: 'read' });
    assert.equal((await verify('opaque', 'no-exp')).statusCode, 401);
    active.set('no-scope', { active: true, username: 'alice', scope: 'write', exp: now() + 60 });
    const forbidden = await verify('opaque', 'no-scope');
    assert.equal(forbidden.statusCode, 403);
    assert.equal(forbidden.json<{ code: string }>().code, 'ERR_INSUFFICIENT_SCOPE');
  });

  it('a result whose nbf is still ahead is 401 by default (Kong: off)', async () => {
    active.set('early', {
      active: true,
      username: 'alice',
      scope: 'read',
      nbf: now() + 60,
      exp: now() + 600,
    });
    const early = await verify('opaque', 'early');
    assert.equal(early.statusCode, 401, early.body);
    assert.equal(early.json<{ code: string }>().code, 'ERR_TOKEN_NOT_YET_VALID');
  });

  it('endpoint down: a still-valid cached result is used, otherwise 503 with Retry-After', async () => {
    active.set('survivor', { active: true, username: 'alice', scope: 'read', exp: now() + 3600 });
    assert.equal((await verify('opaque', 'survivor')).statusCode, 200);
    active.set('newcomer', { active: true, username: 'alice', scope: 'read', exp: now() + 3600 });
    for (const failure of ['fail', 'hang'] as const) {
      mode = failure;
      clock.advance(301_000); // past the 5-minute freshness: the endpoint is asked again
      assert.equal((await verify('opaque', 'survivor')).statusCode, 200, failure);
      const res = await verify('opaque', 'newcomer');
      assert.equal(res.statusCode, 503, failure);
      assert.equal(res.json<{ error: string }>().error, 'temporarily_unavailable');
      assert.equal(res.json<{ code: string }>().code, 'ERR_IDP_UNAVAILABLE');
      assert.match(String(res.headers['retry-after']), /^\d+$/);
    }
    mode = 'serve';
    assert.equal((await verify('opaque', 'newcomer')).statusCode, 200);
  });

  it('takes the payload from a JWT inside the result (introspection_jwt_claim), without a hint', async () => {
    const inner = await idp.sign({ sub: 'alice', exp: now() + 600, roles: ['a'] }, 'inner');
    active.set('with-jwt', { active: true, exp: now() + 600, jwt: inner });
    const res = await verify('jwt-claim', 'with-jwt');
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json<Record<string, any>>().access_token.claims.roles, ['a']);
    assert.equal(new URLSearchParams(endpoint.requests.at(-1)!.body).has('token_type_hint'), false);
    active.set('without-jwt', { active: true, exp: now() + 600 });
    assert.equal((await verify('jwt-claim', 'without-jwt')).statusCode, 401);
  });

  it('introspects a JWT too when the profile has no JWKS', async () => {
    const jwt = await idp.sign({ sub: 'alice', exp: now() + 600 }, 'inner');
    active.set(jwt, { active: true, username: 'alice', scope: 'read', exp: now() + 600 });
    const res = await verify('opaque', jwt);
    assert.equal(res.statusCode, 200, res.body);
    const token = res.json<Record<string, any>>().access_token;
    assert.equal(token.kind, 'jwt');
    assert.equal(token.introspected, true);
    assert.equal(token.header.kid, 'inner');
    assert.equal(token.claims.username, 'alice', 'the claims are the introspection answer');
  });

  it('with trust_access_token_introspection: false the token-level checks apply too', async () => {
    active.set('untrusted-1', { active: true, exp: now() + 600, scope: 'read' });
    assert.equal((await verify('untrusted', 'untrusted-1')).statusCode, 403);
    active.set('untrusted-2', { active: true, exp: now() + 600, scope: 'admin' });
    const before = calls();
    assert.equal((await verify('untrusted', 'untrusted-2')).statusCode, 200);
    assert.equal((await verify('untrusted', 'untrusted-2')).statusCode, 200);
    assert.equal(calls(), before + 2, 'cache_access_token_introspection: false asks every time');
  });

  it('stores the introspection Authorization encrypted in the profile row', async () => {
    const [row]: { config: string }[] = await sts.app
      .get(DataSource)
      .query("SELECT config FROM profiles WHERE name = 'opaque'");
    assert.equal(row!.config.includes(CLIENT_AUTH), false);
    assert.match(row!.config, /"\$encrypted"/);
  });
});
