import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type {
  IdentityProvidersView,
  JwksProviderView,
} from '../../src/admin/identity-providers.dto';
import {
  ManualClock,
  sendJson,
  startLocalServer,
  startSts,
  type LocalServer,
  type TestSts,
} from '../helpers';
import { TestIdp } from '../idp';

const TOKEN = 'admin-token-for-tests';
const HMAC_SECRET = Buffer.alloc(32, 5);
const UNREACHABLE = 'http://127.0.0.1:9/jwks.json';

describe('GET /admin/identity-providers', () => {
  const clock = new ManualClock();
  const at = (ms: number) => new Date(ms).toISOString();
  const exp = () => Math.floor(clock.now() / 1000) + 600;
  let sts: TestSts;
  let good: TestIdp;
  let down: TestIdp;
  let introspection: LocalServer;
  let booted: number;

  before(async () => {
    good = await TestIdp.start();
    await good.addKey('k1', 'RS256');
    await good.addKey('k2', 'ES256');
    good.addSecret('shared', HMAC_SECRET);
    down = await TestIdp.start();
    down.mode = 'fail';
    introspection = await startLocalServer((_req, res) =>
      sendJson(res, 200, { active: true, sub: 'alice', exp: exp() }),
    );
    const profile = (name: string, extra: object) => ({
      name,
      channel_token_optional: true,
      ...extra,
    });
    booted = clock.now();
    sts = await startSts({
      clock,
      env: { STS_ADMIN_TOKEN: TOKEN },
      file: {
        profiles: [
          profile('api', { access_token_jwks_uri: good.jwksUri }),
          profile('partners', { access_token_jwks_uri: good.jwksUri }),
          profile('broken', { access_token_jwks_uri: down.jwksUri }),
          profile('unreachable', { access_token_jwks_uri: UNREACHABLE }),
          profile('opaque', {
            access_token_introspection_endpoint: `${introspection.url}/introspect?key=s3cret`,
          }),
        ],
      },
    });
  });
  after(async () => {
    await sts.cleanup();
    await Promise.all([good.close(), down.close(), introspection.close()]);
  });

  const providers = async () => {
    const res = await sts.inject({
      url: '/admin/identity-providers',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    assert.equal(res.statusCode, 200);
    assert.equal(res.body.includes(HMAC_SECRET.toString('base64url')), false, 'no key material');
    assert.equal(res.body.includes('s3cret'), false, 'no query value');
    return res.json<IdentityProvidersView>();
  };
  const jwksOf = (view: IdentityProvidersView, uri: string): JwksProviderView => {
    const set = view.jwks.find((s) => s.jwks_uri === uri);
    assert.ok(set, `${uri} listed`);
    return set;
  };
  const verify = async (profile: string, token: string) =>
    (
      await sts.inject({
        method: 'POST',
        url: `/verify/${profile}`,
        headers: { authorization: `Bearer ${token}` },
      })
    ).statusCode;

  it('shows per JWKS URL the profiles, the keys held, the fetch and the next refresh', async () => {
    const view = await providers();
    assert.deepEqual(
      view.jwks.map((s) => s.jwks_uri),
      [good.jwksUri, down.jwksUri, UNREACHABLE].sort(),
    );
    assert.deepEqual(jwksOf(view, good.jwksUri), {
      jwks_uri: good.jwksUri,
      authenticated: false,
      profiles: ['api', 'partners'],
      keys: [
        { kid: 'k1', kty: 'RSA', alg: 'RS256' },
        { kid: 'k2', kty: 'EC', alg: 'ES256' },
        { kid: 'shared', kty: 'oct', alg: 'HS256' },
      ],
      last_fetch: { at: at(booted), result: 'ok', error: null },
      last_success_at: at(booted),
      next_refresh_at: at(booted + 10 * 60_000), // STS_JWKS_MAX_AGE
      failures: {},
    });
  });

  it('shows a failing IdP with its failures by kind and when it is tried again', async () => {
    let view = await providers();
    assert.deepEqual(jwksOf(view, down.jwksUri), {
      jwks_uri: down.jwksUri,
      authenticated: false,
      profiles: ['broken'],
      keys: [],
      last_fetch: { at: at(booted), result: 'http_status', error: 'answered HTTP 503' },
      last_success_at: null,
      next_refresh_at: at(booted + 1_000), // a set never fetched: tried again after 1 s, 2 s, 4 s …
      failures: { http_status: 1 },
    });
    const unreachable = jwksOf(view, UNREACHABLE);
    assert.deepEqual(unreachable.last_fetch.result, 'network');
    assert.deepEqual(unreachable.failures, { network: 1 });

    clock.advance(31_000);
    assert.equal(await verify('broken', await good.sign({ sub: 'a', exp: exp() }, 'k1')), 503);
    view = await providers();
    assert.deepEqual(jwksOf(view, down.jwksUri).failures, { http_status: 2 });
    assert.equal(jwksOf(view, down.jwksUri).last_fetch.at, at(clock.now()));
  });

  it('keeps showing the last good keys while their IdP fails', async () => {
    const fetched = jwksOf(await providers(), good.jwksUri).last_success_at;
    good.mode = 'fail';
    clock.advance(11 * 60_000);
    try {
      assert.equal(await verify('api', await good.sign({ sub: 'a', exp: exp() }, 'k1')), 200);
    } finally {
      good.mode = 'serve';
    }
    const set = jwksOf(await providers(), good.jwksUri);
    assert.equal(set.last_fetch.result, 'http_status');
    assert.equal(set.last_success_at, fetched);
    assert.deepEqual(set.failures, { http_status: 1 });
    assert.equal(set.keys.length, 3);
  });

  it('shows per introspection endpoint the profiles, the calls and the cached results', async () => {
    const endpoint = `${introspection.url}/introspect?key=[REDACTED]`;
    let view = await providers();
    assert.deepEqual(view.introspection, [
      {
        endpoint,
        profiles: ['opaque'],
        cached_results: 0,
        last_call: { at: null, result: null, error: null },
        last_success_at: null,
        failures: {},
      },
    ]);
    assert.equal(await verify('opaque', 'opaque-1'), 200);
    assert.equal(await verify('opaque', 'opaque-2'), 200);
    view = await providers();
    assert.equal(view.introspection[0]!.cached_results, 2);
    assert.deepEqual(view.introspection[0]!.last_call, {
      at: at(clock.now()),
      result: 'ok',
      error: null,
    });
  });
});
