import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { CompactSign } from 'jose';
import {
  ManualClock,
  startLocalServer,
  startSts,
  type LocalServer,
  type TestSts,
} from '../helpers';
import { TestIdp, unsignedToken } from '../idp';

const ISSUER = 'https://idp.example.com';
const AUDIENCE = 'https://api.example.com';

interface ErrorAnswer {
  error: string;
  error_description: string;
  code: string;
}

describe('POST /verify/{profile} against a real IdP JWKS', () => {
  const clock = new ManualClock();
  const now = () => Math.floor(clock.now() / 1000);
  let sts: TestSts;
  let idp: TestIdp;
  let burstIdp: TestIdp;
  let flakyIdp: TestIdp;
  let keyHost: LocalServer;
  let closedPort: string;

  before(async () => {
    idp = await TestIdp.start();
    await idp.addKey('idp-rs', 'RS256');
    await idp.addKey('idp-es', 'ES256');
    await idp.addKey('idp-ed', 'EdDSA');
    idp.addSecret('idp-hs', new Uint8Array(32).fill(9));
    burstIdp = await TestIdp.start();
    await burstIdp.addKey('burst-1');
    flakyIdp = await TestIdp.start();
    await flakyIdp.addKey('flaky-1');
    await flakyIdp.addKey('flaky-2', 'RS256', false);
    keyHost = await startLocalServer((_req, res) => res.end('{"keys":[]}'));
    const gone = await startLocalServer(() => undefined);
    closedPort = gone.url;
    await gone.close();

    sts = await startSts({
      clock,
      env: { STS_JWKS_TIMEOUT_MS: '300' },
      file: {
        consumers: [
          { id: '7d3c1c1e-0c1a-4c57-9d7e-2f4f6f0e8a11', username: 'alice', custom_id: 'A-1' },
          { username: 'bob' },
        ],
        profiles: [
          {
            name: 'api',
            realm: 'api.example.com',
            access_token_jwks_uri: idp.jwksUri,
            access_token_issuers_allowed: [ISSUER],
            access_token_audiences_allowed: [AUDIENCE],
            verify_access_token_notbefore: true,
            access_token_leeway: 30,
            channel_token_optional: true,
          },
          {
            name: 'hs',
            enable_hs_signatures: true,
            access_token_jwks_uri: idp.jwksUri,
            channel_token_optional: true,
          },
          {
            name: 're-sign-only', // seed 001: "Do not validate JWT token, only re-assign"
            verify_access_token_signature: false,
            verify_access_token_expiry: false,
            channel_token_optional: true,
          },
          {
            name: 'no-exp-ok',
            access_token_jwks_uri: idp.jwksUri,
            verify_access_token_expiry: false,
            channel_token_optional: true,
          },
          {
            name: 'scoped',
            access_token_jwks_uri: idp.jwksUri,
            access_token_scopes_required: ['employee demo-service', 'superadmin'],
            channel_token_optional: true,
          },
          {
            name: 'coffee',
            access_token_jwks_uri: idp.jwksUri,
            access_token_scopes_claim: ['employee', 'favourites', 'beverage'],
            access_token_scopes_required: ['coffee'],
            channel_token_optional: true,
          },
          {
            name: 'mapped',
            access_token_jwks_uri: idp.jwksUri,
            access_token_consumer_claim: ['sub'],
            access_token_consumer_by: ['username', 'custom_id'],
            channel_token_optional: true,
          },
          {
            name: 'two-tokens',
            access_token_jwks_uri: idp.jwksUri,
            channel_token_jwks_uri: idp.jwksUri,
            channel_token_request_header: 'X_Channel_Token:Bearer', // Kong reads `_` as `-`
            channel_token_consumer_claim: ['sub'],
            access_token_required_claims: [['client_id']],
          },
          {
            name: 'nbf-default', // verify_access_token_notbefore not set
            access_token_jwks_uri: idp.jwksUri,
            access_token_leeway: 30,
            channel_token_optional: true,
          },
          {
            name: 'nbf-off',
            access_token_jwks_uri: idp.jwksUri,
            verify_access_token_notbefore: false,
            channel_token_optional: true,
          },
          { name: 'burst', access_token_jwks_uri: burstIdp.jwksUri, channel_token_optional: true },
          { name: 'flaky', access_token_jwks_uri: flakyIdp.jwksUri, channel_token_optional: true },
          {
            name: 'never-up',
            access_token_jwks_uri: `${closedPort}/jwks.json`,
            channel_token_optional: true,
          },
        ],
      },
    });
  });
  after(async () => {
    await sts.cleanup();
    await Promise.all([idp.close(), burstIdp.close(), flakyIdp.close(), keyHost.close()]);
  });

  const claims = (extra: Record<string, unknown> = {}) => ({
    iss: ISSUER,
    aud: AUDIENCE,
    sub: 'alice',
    iat: now(),
    exp: now() + 300,
    ...extra,
  });
  const verify = (
    profile: string,
    token?: string,
    extra: { headers?: Record<string, string>; url?: string; body?: object } = {},
  ) =>
    sts.inject({
      method: 'POST',
      url: extra.url ?? `/verify/${profile}`,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(extra.body ? { 'content-type': 'application/json' } : {}),
        ...extra.headers,
      },
      payload: extra.body ? JSON.stringify(extra.body) : undefined,
    });

  const assertInvalid = (
    res: Awaited<ReturnType<typeof verify>>,
    code = 'ERR_TOKEN_INVALID',
    description?: RegExp,
  ) => {
    assert.equal(res.statusCode, 401, res.body);
    const body = res.json<ErrorAnswer>();
    assert.equal(body.error, 'invalid_token');
    assert.equal(body.code, code, body.error_description);
    if (description) assert.match(body.error_description, description);
    assert.match(
      String(res.headers['www-authenticate']),
      /^Bearer realm="[^"]+", error="invalid_token", error_description="[^"]*"$/,
    );
  };

  it('verifies RS256, ES256 and EdDSA tokens and answers the contract JSON', async () => {
    for (const kid of ['idp-rs', 'idp-es', 'idp-ed']) {
      const token = await idp.sign(claims({ scope: 'read' }), kid);
      const res = await verify('api', token);
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(res.headers['cache-control'], 'no-store');
      const body = res.json<Record<string, any>>();
      assert.equal(body.active, true);
      assert.equal(body.access_token.kind, 'jwt');
      assert.equal(body.access_token.source, 'header:authorization');
      assert.equal(body.access_token.header.kid, kid);
      assert.deepEqual(body.access_token.claims, claims({ scope: 'read' }));
      assert.equal('channel_token' in body, false);
      assert.equal(JSON.stringify(body).includes(token), false, 'the token is not echoed');
    }
  });

  it('takes the token from the JSON body too, and the same token twice is fine', async () => {
    const token = await idp.sign(claims(), 'idp-rs');
    const fromBody = await verify('api', undefined, { body: { access_token: token } });
    assert.equal(fromBody.statusCode, 200, fromBody.body);
    assert.equal(fromBody.json<Record<string, any>>().access_token.source, 'body');
    assert.equal((await verify('api', token, { body: { access_token: token } })).statusCode, 200);
    const notAString = await verify('api', undefined, { body: { access_token: 42 } });
    assert.equal(notAString.statusCode, 400);
    // No channel_token_request_header: the channel slot is not read at all, body included.
    const ignored = await verify('api', token, { body: { channel_token: 'whatever' } });
    assert.equal(ignored.statusCode, 200, ignored.body);
    assert.equal('channel_token' in ignored.json<Record<string, unknown>>(), false);
  });

  it('with verify_access_token_signature: false decodes without checking (and only there)', async () => {
    const stranger = await burstIdp.sign(claims({ sub: 'someone' }), 'burst-1');
    const res = await verify('re-sign-only', stranger);
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json<Record<string, any>>().access_token.claims.sub, 'someone');
    assertInvalid(await verify('re-sign-only', 'opaque-value'), 'ERR_TOKEN_INVALID', /opaque/);
    assertInvalid(await verify('api', stranger), 'ERR_TOKEN_INVALID', /kid/);
  });

  it('answers 401 without an error attribute when no token is sent (or only a scheme), and 404 for unknown profiles', async () => {
    const res = await verify('api');
    assert.equal(res.statusCode, 401);
    assert.equal(res.headers['www-authenticate'], 'Bearer realm="api.example.com"');
    assert.equal(res.json<ErrorAnswer>().code, 'ERR_TOKEN_MISSING');
    for (const authorization of ['Bearer ', 'bearer', 'Basic   ']) {
      const schemeOnly = await verify('api', undefined, { headers: { authorization } });
      assert.equal(schemeOnly.statusCode, 401, authorization);
      assert.equal(schemeOnly.headers['www-authenticate'], 'Bearer realm="api.example.com"');
      assert.equal(schemeOnly.json<ErrorAnswer>().code, 'ERR_TOKEN_MISSING', schemeOnly.body);
    }
    const unknown = await verify('nope', await idp.sign(claims(), 'idp-rs'));
    assert.equal(unknown.statusCode, 404);
    assert.equal(unknown.json<ErrorAnswer>().code, 'ERR_NOT_FOUND');
  });

  describe('attack cases: each 401 invalid_token', () => {
    it('alg: none', async () => {
      assertInvalid(await verify('api', unsignedToken({ alg: 'none', typ: 'JWT' }, claims())));
      assertInvalid(await verify('hs', unsignedToken({ alg: 'none', kid: 'idp-rs' }, claims())));
    });

    it('HS256 signed with the RSA public key as the secret', async () => {
      const pem = new TextEncoder().encode(idp.key('idp-rs').publicPem);
      const forged = await new CompactSign(new TextEncoder().encode(JSON.stringify(claims())))
        .setProtectedHeader({ alg: 'HS256', kid: 'idp-rs' })
        .sign(pem);
      assertInvalid(await verify('api', forged), 'ERR_TOKEN_INVALID', /alg/);
      // Even where HMAC is enabled, an RSA key is never used as an HMAC secret.
      assertInvalid(await verify('hs', forged));
      // A genuine HS256 token with the IdP's published secret passes there, and only there.
      const genuine = await idp.sign(claims(), 'idp-hs');
      assert.equal((await verify('hs', genuine)).statusCode, 200);
      assertInvalid(await verify('api', genuine));
    });

    it('jku and x5u pointing at a test server are never fetched', async () => {
      const before = keyHost.hits;
      const jku = await idp.sign(claims(), 'idp-rs', { jku: `${keyHost.url}/jwks`, kid: 'evil' });
      assertInvalid(await verify('api', jku));
      const x5u = await idp.sign(claims(), 'idp-rs', { x5u: `${keyHost.url}/cert.pem` });
      // Signed by a key we hold, the header members are simply ignored; never fetched either way.
      assert.equal((await verify('api', x5u)).statusCode, 200);
      assert.equal(keyHost.hits, before);
    });

    it('crit with an unknown name', async () => {
      const token = await idp.signRaw(
        { crit: ['urn:example:x'], 'urn:example:x': 1 },
        claims(),
        'idp-rs',
      );
      assertInvalid(await verify('api', token), 'ERR_TOKEN_INVALID', /not recognized/);
      const known = await idp.signRaw({}, claims(), 'idp-rs');
      assert.equal(
        (await verify('api', known)).statusCode,
        200,
        'the same signer without crit passes',
      );
    });

    it('expired, and a JWT without exp', async () => {
      const expired = await idp.sign(claims({ exp: now() - 31 }), 'idp-rs');
      assertInvalid(await verify('api', expired), 'ERR_TOKEN_EXPIRED', /^token expired$/);
      const withinLeeway = await idp.sign(claims({ exp: now() - 29 }), 'idp-rs');
      assert.equal((await verify('api', withinLeeway)).statusCode, 200);
      const noExp = await idp.sign(claims({ exp: undefined }), 'idp-rs');
      assertInvalid(
        await verify('api', noExp),
        'ERR_TOKEN_INVALID',
        /'exp' claim must be a number/,
      );
      assert.equal((await verify('no-exp-ok', noExp)).statusCode, 200);
    });

    it('nbf in the future beyond the leeway', async () => {
      const early = await idp.sign(claims({ nbf: now() + 31 }), 'idp-rs');
      assertInvalid(await verify('api', early), 'ERR_TOKEN_NOT_YET_VALID');
      const withinLeeway = await idp.sign(claims({ nbf: now() + 29 }), 'idp-rs');
      assert.equal((await verify('api', withinLeeway)).statusCode, 200);
    });

    it('nbf is checked by default (RFC 7519 §4.1.5; Kong: off), with the leeway; false turns it off', async () => {
      const early = await idp.sign(claims({ nbf: now() + 31 }), 'idp-rs');
      assertInvalid(await verify('nbf-default', early), 'ERR_TOKEN_NOT_YET_VALID');
      const withinLeeway = await idp.sign(claims({ nbf: now() + 29 }), 'idp-rs');
      assert.equal((await verify('nbf-default', withinLeeway)).statusCode, 200);
      const inAnHour = await idp.sign(claims({ nbf: now() + 3600 }), 'idp-rs');
      assert.equal((await verify('nbf-off', inAnHour)).statusCode, 200);
    });

    it('wrong iss and wrong aud', async () => {
      assertInvalid(
        await verify('api', await idp.sign(claims({ iss: 'https://evil.example.com' }), 'idp-rs')),
        'ERR_TOKEN_INVALID',
        /not an allowed issuer/,
      );
      assertInvalid(
        await verify(
          'api',
          await idp.sign(claims({ aud: ['https://other.example.com'] }), 'idp-rs'),
        ),
        'ERR_TOKEN_INVALID',
        /not an allowed audience/,
      );
    });

    it('tampered payload, truncated token', async () => {
      const token = await idp.sign(claims(), 'idp-rs');
      const [header, , signature] = token.split('.');
      const tampered = `${header}.${Buffer.from(JSON.stringify(claims({ sub: 'admin' }))).toString('base64url')}.${signature}`;
      assertInvalid(await verify('api', tampered), 'ERR_TOKEN_INVALID', /Invalid signature/);
      assertInvalid(await verify('api', token.slice(0, token.lastIndexOf('.') + 10)));
      assertInvalid(await verify('api', token.slice(0, token.lastIndexOf('.'))));
      assertInvalid(await verify('api', `${header}.`));
    });

    it('a 10 KiB token', async () => {
      const big = await idp.sign(claims({ padding: 'x'.repeat(10 * 1024) }), 'idp-rs');
      assertInvalid(await verify('api', big), 'ERR_TOKEN_TOO_LARGE');
    });

    it('two different tokens for one slot (header and body, repeated header)', async () => {
      const a = await idp.sign(claims(), 'idp-rs');
      const b = await idp.sign(claims({ sub: 'bob' }), 'idp-rs');
      assertInvalid(
        await verify('api', a, { body: { access_token: b } }),
        'ERR_TOKEN_MULTIPLE',
        /^Multiple tokens provided$/,
      );
      const channel = await idp.sign(claims({ client_id: 'c' }), 'idp-es');
      assertInvalid(
        await verify('two-tokens', await idp.sign(claims({ client_id: 'c' }), 'idp-rs'), {
          headers: { 'x-channel-token': `${channel}, ${a}` },
        }),
        'ERR_TOKEN_MULTIPLE',
      );
    });

    it('Authorization sent twice with two tokens, over HTTP: 401 on /verify, /exchange and /authz', async () => {
      // Node keeps the first Authorization only; a gateway may read the last one.
      await sts.app.listen(0, '127.0.0.1');
      const base = await sts.app.getUrl();
      const send = (path: string, tokens: string[]) =>
        new Promise<{ status: number; body: string; challenge: unknown }>((resolve, reject) => {
          // Raw lines, as sent (this form gets no Host added).
          const headers = ['Host', new URL(base).host];
          for (const token of tokens) headers.push('Authorization', `Bearer ${token}`);
          const req = request(`${base}${path}`, { method: 'POST', headers }, (res) => {
            let body = '';
            res.setEncoding('utf8');
            res.on('data', (chunk: string) => (body += chunk));
            res.on('end', () =>
              resolve({
                status: res.statusCode!,
                body,
                challenge: res.headers['www-authenticate'],
              }),
            );
          });
          req.on('error', reject);
          req.end();
        });
      const a = await idp.sign(claims(), 'idp-rs');
      const b = await idp.sign(claims({ sub: 'bob' }), 'idp-rs');
      for (const path of ['/verify/api', '/exchange/api', '/authz/api']) {
        const res = await send(path, [a, b]);
        assert.equal(res.status, 401, `${path}: ${res.body}`);
        assert.match(
          String(res.challenge),
          /error="invalid_token", error_description="Multiple tokens provided"$/,
          path,
        );
      }
      const same = await send('/verify/api', [a, a]);
      assert.equal(same.status, 200, same.body);
    });

    it('an encrypted token (JWE) and a token whose kid is absurdly long', async () => {
      assertInvalid(await verify('api', 'a.b.c.d.e'), 'ERR_TOKEN_INVALID', /JWE/);
      const longKid = await idp.sign(claims(), 'idp-rs', { kid: 'k'.repeat(2000) });
      assertInvalid(await verify('api', longKid));
    });

    it('a kid over 1024 characters or not a string is refused before any key lookup', async () => {
      const unusable = /^the token "kid" is not a usable key id$/;
      for (const kid of ['k'.repeat(1025), 42, ['idp-rs'], { id: 'idp-rs' }]) {
        const token = await idp.sign(claims(), 'idp-rs', { kid });
        assertInvalid(await verify('api', token), 'ERR_TOKEN_INVALID', unusable);
      }
      // At the bound the kid is only an unknown key id: the lookup answers, not the bound.
      const atBound = await idp.sign(claims(), 'idp-rs', { kid: 'k'.repeat(1024) });
      assertInvalid(await verify('api', atBound), 'ERR_TOKEN_INVALID', /matches the kid/);
    });
  });

  it('unknown kid: 100 requests refetch the JWKS at most once per cooldown', async () => {
    await burstIdp.addKey('burst-new', 'RS256', false);
    const token = await burstIdp.sign(claims(), 'burst-new');
    const afterWarmUp = burstIdp.fetches;
    assert.equal(afterWarmUp, 1, 'pre-warmed once at boot');
    const burst = () => Promise.all(Array.from({ length: 100 }, () => verify('burst', token)));

    // Within the cooldown that started with the boot fetch: no fetch at all.
    for (const res of await burst()) assertInvalid(res, 'ERR_TOKEN_INVALID', /kid/);
    assert.equal(burstIdp.fetches, afterWarmUp);

    clock.advance(31_000);
    for (const res of await burst()) assertInvalid(res);
    assert.equal(burstIdp.fetches, afterWarmUp + 1, 'one fetch for the whole burst');

    // The IdP publishes the key: it is picked up at the next fetch allowed by the cooldown.
    burstIdp.publish('burst-new');
    assertInvalid(await verify('burst', token));
    assert.equal(burstIdp.fetches, afterWarmUp + 1);
    clock.advance(31_000);
    const results = await Promise.all(Array.from({ length: 100 }, () => verify('burst', token)));
    assert.ok(results.every((res) => res.statusCode === 200));
    assert.equal(burstIdp.fetches, afterWarmUp + 2);
  });

  it('a token verified before still meets the clock, and a withdrawn key stops verifying', async () => {
    const token = await burstIdp.sign(claims({ exp: now() + 60 }), 'burst-1');
    assert.equal((await verify('burst', token)).statusCode, 200);
    assert.equal((await verify('burst', token)).statusCode, 200);
    clock.advance(61_000);
    assertInvalid(await verify('burst', token), 'ERR_TOKEN_EXPIRED');

    const longLived = await burstIdp.sign(claims({ exp: now() + 3600 }), 'burst-1');
    assert.equal((await verify('burst', longLived)).statusCode, 200);
    burstIdp.withdraw('burst-1');
    clock.advance(11 * 60_000); // past STS_JWKS_MAX_AGE: the set is fetched again before use
    assertInvalid(await verify('burst', longLived), 'ERR_TOKEN_INVALID', /kid/);
  });

  it('IdP down after warm-up: cached keys still verify, a new kid is 401 and never hangs', async () => {
    const known = await flakyIdp.sign(claims(), 'flaky-1');
    const newKid = await flakyIdp.sign(claims(), 'flaky-2');
    assert.equal((await verify('flaky', known)).statusCode, 200);

    flakyIdp.mode = 'fail';
    clock.advance(31_000);
    assert.equal((await verify('flaky', known)).statusCode, 200);
    assertInvalid(await verify('flaky', newKid));

    // Hanging IdP: the fetch is cut at STS_JWKS_TIMEOUT_MS (300 ms here) and the answer is 401.
    flakyIdp.mode = 'hang';
    clock.advance(31_000);
    assertInvalid(await verify('flaky', newKid));
    // Past the cache max age the set is stale; the failed refresh keeps the last good keys.
    clock.advance(11 * 60_000);
    assert.equal((await verify('flaky', await flakyIdp.sign(claims(), 'flaky-1'))).statusCode, 200);

    flakyIdp.mode = 'serve';
    flakyIdp.publish('flaky-2');
    clock.advance(31_000);
    assert.equal((await verify('flaky', await flakyIdp.sign(claims(), 'flaky-2'))).statusCode, 200);
  });

  it('an IdP that was never reachable: 503 temporarily_unavailable with Retry-After', async () => {
    const token = await idp.sign(claims(), 'idp-rs');
    const res = await verify('never-up', token);
    assert.equal(res.statusCode, 503, res.body);
    assert.equal(res.json<ErrorAnswer>().error, 'temporarily_unavailable');
    assert.equal(res.json<ErrorAnswer>().code, 'ERR_IDP_UNAVAILABLE');
    assert.match(String(res.headers['retry-after']), /^\d+$/);
  });

  describe('scopes (seed 001): AND within an entry, OR across entries', () => {
    const cases: [string, unknown, number][] = [
      ['employee demo-service', 'employee demo-service', 200],
      ['both, as an array', ['demo-service', 'employee', 'other'], 200],
      ['superadmin alone', 'superadmin', 200],
      ['employee only', 'employee', 403],
      ['demo-service only', 'demo-service', 403],
      ['case differs', 'Employee Demo-Service', 403],
      ['none', 'read write', 403],
      ['claim missing', undefined, 403],
    ];
    for (const [label, scope, status] of cases) {
      it(`${label} → ${status}`, async () => {
        const res = await verify(
          'scoped',
          await idp.sign(claims(scope === undefined ? {} : { scope }), 'idp-rs'),
        );
        assert.equal(res.statusCode, status, res.body);
        if (status === 403) {
          const body = res.json<ErrorAnswer>();
          assert.equal(body.error, 'insufficient_scope');
          assert.equal(body.code, 'ERR_INSUFFICIENT_SCOPE');
          assert.equal(
            body.error_description,
            "'scope' requires one of: 'employee demo-service', 'superadmin'",
          );
          assert.equal(
            res.headers['www-authenticate'],
            `Bearer realm="localhost", error="insufficient_scope", error_description="${body.error_description}"`,
          );
        }
      });
    }

    it('the nested "coffee" example', async () => {
      const lover = { employee: { name: 'Ann', favourites: { beverage: ['tea', 'coffee'] } } };
      const teaOnly = { employee: { favourites: { beverage: 'tea' } } };
      assert.equal(
        (await verify('coffee', await idp.sign(claims(lover), 'idp-rs'))).statusCode,
        200,
      );
      assert.equal(
        (await verify('coffee', await idp.sign(claims(teaOnly), 'idp-rs'))).statusCode,
        403,
      );
      assert.equal(
        (await verify('coffee', await idp.sign(claims({ scope: 'coffee' }), 'idp-rs'))).statusCode,
        403,
      );
    });
  });

  it('maps the consumer by username, then custom_id; an unknown one is 403', async () => {
    const byName = await verify('mapped', await idp.sign(claims({ sub: 'alice' }), 'idp-rs'));
    assert.deepEqual(byName.json<Record<string, any>>().consumer, {
      id: '7d3c1c1e-0c1a-4c57-9d7e-2f4f6f0e8a11',
      username: 'alice',
      custom_id: 'A-1',
      anonymous: false,
    });
    const byCustomId = await verify('mapped', await idp.sign(claims({ sub: 'A-1' }), 'idp-rs'));
    assert.equal(byCustomId.json<Record<string, any>>().consumer.username, 'alice');
    const unknown = await verify('mapped', await idp.sign(claims({ sub: 'mallory' }), 'idp-rs'));
    assert.equal(unknown.statusCode, 403);
    assert.equal(unknown.json<ErrorAnswer>().code, 'ERR_CONSUMER_NOT_FOUND');
    const noSub = await verify('mapped', await idp.sign(claims({ sub: undefined }), 'idp-rs'));
    assert.equal(noSub.statusCode, 403);
  });

  it('verifies access then channel token; channel consumer claim maps; required claims are 403', async () => {
    const access = await idp.sign(claims({ client_id: 'app' }), 'idp-rs');
    const channel = await idp.sign(claims({ sub: 'bob' }), 'idp-es');
    const res = await verify('two-tokens', access, { headers: { 'x-channel-token': channel } });
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json<Record<string, any>>();
    assert.equal(body.channel_token.source, 'header:x-channel-token');
    assert.equal(body.channel_token.claims.sub, 'bob');
    assert.equal(body.consumer.username, 'bob');

    const missingChannel = await verify('two-tokens', access);
    assert.equal(missingChannel.statusCode, 401);
    assert.match(missingChannel.json<ErrorAnswer>().error_description, /channel token/);
    const noClientId = await verify('two-tokens', await idp.sign(claims(), 'idp-rs'), {
      headers: { 'x-channel-token': channel },
    });
    assert.equal(noClientId.statusCode, 403);
    assert.equal(noClientId.json<ErrorAnswer>().code, 'ERR_CLAIM_MISSING');
  });

  it('uses the request host as realm when the profile sets none', async () => {
    const res = await verify('mapped', undefined, { headers: { host: 'gw.example.com:8443' } });
    assert.equal(res.headers['www-authenticate'], 'Bearer realm="gw.example.com"');
  });
});
