import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { decodeProtectedHeader, type JWK } from 'jose';
import { KeysetRotation } from '../../src/keys/keyset-rotation';
import { startSts, verifyWithPyJwt, type TestSts } from '../helpers';
import { startIdp, type LocalIdp } from '../idp';

const ISSUER = 'https://sts.example.com';

describe('POST /exchange/{profile} (Kong JWT Signer re-signing)', () => {
  let sts: TestSts;
  let idp: LocalIdp;
  let channelIdp: LocalIdp;
  const now = () => Math.floor(Date.now() / 1000);

  before(async () => {
    idp = await startIdp('ES256');
    channelIdp = await startIdp('RS256', 'https://channel-idp.example.com');
    sts = await startSts({
      env: { STS_ISSUER: ISSUER },
      file: {
        consumers: [{ username: 'alice', custom_id: 'cust-1' }, { username: 'bob' }],
        profiles: [
          {
            channel_token_optional: true,
            name: 'api',
            access_token_jwks_uri: idp.jwksUri,
            access_token_upstream_leeway: 30,
          },
          {
            channel_token_optional: true,
            name: 'edits',
            access_token_jwks_uri: idp.jwksUri,
            remove_access_token_claims: ['drop', 'keep_removed'],
            set_claims: { both: '"global-set"', global_set_only: '"gs"', existing: '"global-set"' },
            set_access_token_claims: { both: '"token-set"' },
            add_access_token_claims: {
              keep_removed: '"token-add"',
              existing: '"token-add"',
              fresh: '"token-add"',
            },
            add_claims: { fresh: '"global-add"', global_add_only: '[1,2]', sub: '"never"' },
          },
          {
            channel_token_optional: true,
            name: 'opaque',
            access_token_introspection_endpoint: idp.introspectionUri,
            access_token_upstream_header: 'X-Upstream-Token',
            original_access_token_upstream_header: 'X-Original-Token',
          },
          {
            name: 'two',
            access_token_introspection_endpoint: idp.introspectionUri,
            // Introspected payloads are trusted (Kong's default), so scopes are checked on them.
            access_token_introspection_scopes_required: ['read'],
            channel_token_jwks_uri: channelIdp.jwksUri,
            channel_token_request_header: 'X-JWT-channel-client',
            channel_token_upstream_header: 'X-JWT-channel-upstream',
          },
          {
            channel_token_optional: true,
            name: 'optum',
            access_token_jwks_uri: idp.jwksUri,
            access_token_upstream_header: 'Authorization:Bearer',
            upstream_jwt: { x5c: true },
          },
          {
            channel_token_optional: true,
            name: 'consumers',
            access_token_jwks_uri: idp.jwksUri,
            access_token_consumer_claim: ['sub'],
            access_token_consumer_by: ['username'],
          },
        ],
      },
    });
  });
  after(async () => {
    await sts?.cleanup();
    await idp?.close();
    await channelIdp.close();
  });

  const exchange = (profile: string, headers: Record<string, string>, payload?: object | string) =>
    sts.inject({
      method: 'POST',
      url: `/exchange/${profile}`,
      headers: {
        ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      payload: typeof payload === 'object' ? JSON.stringify(payload) : payload,
    });
  const jwks = async () =>
    (await sts.inject({ url: '/.well-known/jwks.json' })).json<{ keys: JWK[] }>();
  type ExchangeBody = {
    access_token?: string;
    channel_token?: string;
    expires_in?: number;
    headers: Record<string, string>;
  };

  it('keeps every original claim, moves iss and exp aside, and verifies with PyJWT against our JWKS', async () => {
    const original = {
      sub: 'alice',
      aud: 'orders',
      scope: 'read write',
      nested: { a: [1, 2] },
      iat: now(),
      exp: now() + 600,
    };
    const res = await exchange('api', { authorization: `Bearer ${await idp.sign(original)}` });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.headers['cache-control'], 'no-store');
    const body = res.json<ExchangeBody>();
    assert.equal(body.headers.Authorization, `Bearer ${body.access_token}`);
    assert.ok(body.expires_in! > 600 && body.expires_in! <= 630);
    const claims = verifyWithPyJwt(body.access_token!, await jwks(), ['RS256']);
    assert.deepEqual(claims, {
      ...original,
      iss: ISSUER,
      original_iss: 'https://idp.example.com',
      exp: original.exp + 30,
      original_exp: original.exp,
    });
    assert.equal(decodeProtectedHeader(body.access_token!).typ, 'JWT');
  });

  describe("claim edits follow Kong's order and precedence", () => {
    let claims: Record<string, unknown>;
    before(async () => {
      const token = await idp.sign({
        sub: 'alice',
        drop: 1,
        keep_removed: 'orig',
        existing: 'orig',
        both: 'orig',
        exp: now() + 600,
      });
      const res = await exchange('edits', { authorization: `Bearer ${token}` });
      assert.equal(res.statusCode, 200, res.body);
      claims = verifyWithPyJwt(res.json<ExchangeBody>().access_token!, await jwks(), ['RS256']);
    });
    it('remove_access_token_claims drops claims first', () =>
      assert.equal('drop' in claims, false));
    it('an add sees a removed claim as absent', () =>
      assert.equal(claims.keep_removed, 'token-add'));
    it('set_access_token_claims wins over the global set_claims', () =>
      assert.equal(claims.both, 'token-set'));
    it('global set_claims overwrites existing claims', () => {
      assert.equal(claims.existing, 'global-set');
      assert.equal(claims.global_set_only, 'gs');
    });
    it('add_access_token_claims wins over the global add_claims where absent', () =>
      assert.equal(claims.fresh, 'token-add'));
    it('global add_claims only fills absent claims, JSON-decoded', () => {
      assert.deepEqual(claims.global_add_only, [1, 2]);
      assert.equal(claims.sub, 'alice');
    });
  });

  it('turns an opaque token into a JWT holding the introspection result', async () => {
    const exp = now() + 300;
    const token = idp.opaque({ sub: 'bob', scope: 'read', client_id: 'mobile', exp });
    const res = await exchange('opaque', { authorization: `Bearer ${token}` });
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json<ExchangeBody>();
    assert.equal(
      body.headers['X-Upstream-Token'],
      body.access_token,
      'bare header format: the JWT alone',
    );
    assert.equal(body.headers['X-Original-Token'], token);
    const claims = verifyWithPyJwt(body.access_token!, await jwks(), ['RS256']);
    assert.equal(claims.sub, 'bob');
    assert.equal(claims.client_id, 'mobile');
    assert.equal(claims.exp, exp);
    assert.equal('active' in claims, false);
  });

  describe('access + channel token from two identity providers (seed 001)', () => {
    const channel = () => channelIdp.sign({ sub: 'app-1', exp: now() + 600 });
    it('re-signs both into their upstream headers', async () => {
      const access = idp.opaque({ sub: 'alice', scope: 'read', exp: now() + 300 });
      const res = await exchange('two', {
        authorization: `Bearer ${access}`,
        'x-jwt-channel-client': await channel(),
      });
      assert.equal(res.statusCode, 200, res.body);
      const body = res.json<ExchangeBody>();
      assert.equal(
        body.headers['X-JWT-channel-upstream'],
        body.channel_token,
        'no :Bearer suffix: the bare JWT',
      );
      const claims = verifyWithPyJwt(body.channel_token!, await jwks(), ['RS256']);
      assert.equal(claims.sub, 'app-1');
      assert.equal(claims.original_iss, 'https://channel-idp.example.com');
    });
    const cases: [string, () => Promise<Record<string, string>>, number, RegExp][] = [
      [
        'missing access token',
        async () => ({ 'x-jwt-channel-client': await channel() }),
        401,
        /^Bearer realm="[^"]+"$/,
      ],
      [
        'missing channel token',
        () =>
          Promise.resolve({
            authorization: `Bearer ${idp.opaque({ sub: 'a', scope: 'read', exp: now() + 60 })}`,
          }),
        401,
        /^Bearer realm=/,
      ],
      [
        'inactive access token',
        async () => ({
          authorization: 'Bearer opaque-unknown',
          'x-jwt-channel-client': await channel(),
        }),
        401,
        /error="invalid_token"/,
      ],
      [
        'channel token signed by the wrong IdP',
        async () => ({
          authorization: `Bearer ${idp.opaque({ sub: 'a', scope: 'read', exp: now() + 60 })}`,
          'x-jwt-channel-client': await idp.sign({ sub: 'app-1', exp: now() + 60 }),
        }),
        401,
        /error="invalid_token"/,
      ],
      [
        'access token without the required scope',
        async () => ({
          authorization: `Bearer ${idp.opaque({ sub: 'a', scope: 'write', exp: now() + 60 })}`,
          'x-jwt-channel-client': await channel(),
        }),
        403,
        /error="insufficient_scope"/,
      ],
    ];
    for (const [name, headers, status, challenge] of cases) {
      it(`${name} → ${status}`, async () => {
        const res = await exchange('two', await headers());
        assert.equal(res.statusCode, status, res.body);
        assert.match(String(res.headers['www-authenticate']), challenge);
        assert.equal(typeof res.json<{ error: string }>().error, 'string');
      });
    }
  });

  describe('Optum upstream JWT', () => {
    const optumClaims = async (res: Awaited<ReturnType<typeof exchange>>) => {
      assert.equal(res.statusCode, 200, res.body);
      const jwt = res.json<ExchangeBody>().headers.JWT!;
      return { jwt, claims: verifyWithPyJwt(jwt, await jwks(), ['RS256']) };
    };
    const bearer = async () => ({
      authorization: `Bearer ${await idp.sign({ sub: 'alice', exp: now() + 600 })}`,
    });

    it('hashes a known body like sha256sum, with exp - iat = 60 and a random jti', async () => {
      const body = Buffer.from('{"order": 42}\n');
      const sha = createHash('sha256').update(body).digest('hex');
      const a = await optumClaims(
        await exchange('optum', await bearer(), {
          request: { method: 'POST', uri: '/orders', body_sha256: sha },
        }),
      );
      assert.equal(a.claims.payloadhash, sha);
      assert.equal((a.claims.exp as number) - (a.claims.iat as number), 60);
      assert.equal(a.claims.aud, '/orders');
      assert.equal(a.claims.iss, ISSUER);
      const raw = await optumClaims(
        await exchange(
          'optum',
          { ...(await bearer()), 'content-type': 'application/octet-stream' },
          body.toString(),
        ),
      );
      assert.equal(raw.claims.payloadhash, sha, 'raw body mode hashes the bytes received');
      assert.notEqual(raw.claims.jti, a.claims.jti);
    });

    it('uses "" for no body', async () => {
      const { claims } = await optumClaims(await exchange('optum', await bearer()));
      assert.equal(claims.payloadhash, '');
    });

    it('carries the keyset certificate in x5c', async () => {
      const { jwt } = await optumClaims(await exchange('optum', await bearer()));
      const header = decodeProtectedHeader(jwt);
      const certificate = new X509Certificate(Buffer.from(header.x5c![0]!, 'base64'));
      const key = (await jwks()).keys.find((k) => k.kid === header.kid)!;
      assert.equal(certificate.publicKey.export({ format: 'jwk' }).n, key.n);
    });

    it('refuses a malformed body_sha256 with 400', async () => {
      const res = await exchange('optum', await bearer(), { request: { body_sha256: 'ABC' } });
      assert.equal(res.statusCode, 400);
    });
  });

  it('sets X-Consumer-* for a resolved consumer', async () => {
    const res = await exchange('consumers', {
      authorization: `Bearer ${await idp.sign({ sub: 'alice', exp: now() + 600 })}`,
    });
    assert.equal(res.statusCode, 200, res.body);
    const { headers } = res.json<ExchangeBody>();
    assert.equal(headers['X-Consumer-Username'], 'alice');
    assert.equal(headers['X-Consumer-Custom-ID'], 'cust-1');
    assert.match(headers['X-Consumer-ID']!, /.+/);
    assert.equal(headers['X-Anonymous-Consumer'], '');
  });

  it('always sends every X-Consumer-* header, empty when unknown, so a gateway overwrites client values', async () => {
    const consumerHeaders = async (profile: string, sub: string) => {
      const res = await exchange(profile, {
        authorization: `Bearer ${await idp.sign({ sub, exp: now() + 600 })}`,
      });
      assert.equal(res.statusCode, 200, res.body);
      const { headers } = res.json<ExchangeBody>();
      return Object.fromEntries(
        Object.entries(headers).filter(([name]) => name !== 'Authorization'),
      );
    };
    // A profile without consumer mapping: no consumer, every header present and empty.
    assert.deepEqual(await consumerHeaders('api', 'alice'), {
      'X-Consumer-ID': '',
      'X-Consumer-Custom-ID': '',
      'X-Consumer-Username': '',
      'X-Credential-Identifier': '',
      'X-Anonymous-Consumer': '',
    });
    // A consumer without custom_id: that header is still there, empty.
    const bob = await consumerHeaders('consumers', 'bob');
    assert.match(bob['X-Consumer-ID']!, /.+/);
    assert.deepEqual(bob, {
      'X-Consumer-ID': bob['X-Consumer-ID'],
      'X-Consumer-Custom-ID': '',
      'X-Consumer-Username': 'bob',
      'X-Credential-Identifier': '',
      'X-Anonymous-Consumer': '',
    });
  });

  it('serves a repeated token from the exchange cache without signing, until a rotation', async () => {
    const metric = async (name: string) => {
      const text = (await sts.inject({ url: '/metrics' })).body;
      const line = text.split('\n').find((l) => l.startsWith(name));
      return Number(line?.split(' ').at(-1) ?? 0);
    };
    const signed = 'sts_signing_duration_seconds_count{alg="RS256"}';
    const hits = 'sts_exchange_cache_requests_total{result="hit"}';
    const headers = {
      authorization: `Bearer ${await idp.sign({ sub: 'carol', exp: now() + 600 })}`,
    };
    const first = (await exchange('api', headers)).json<ExchangeBody>().access_token;
    const [signedBefore, hitsBefore] = [await metric(signed), await metric(hits)];
    const second = (await exchange('api', headers)).json<ExchangeBody>().access_token;
    assert.equal(second, first);
    assert.equal(await metric(signed), signedBefore, 'no signing on a cache hit');
    assert.equal(await metric(hits), hitsBefore + 1);
    await sts.app.get(KeysetRotation).rotate('kong'); // Kong's default *_keyset name
    const third = (await exchange('api', headers)).json<ExchangeBody>().access_token!;
    assert.notEqual(third, first);
    assert.notEqual(decodeProtectedHeader(third).kid, decodeProtectedHeader(first!).kid);
  });

  it('answers 404 for an unknown profile and 400 for a malformed JSON body', async () => {
    assert.equal((await exchange('nope', {})).statusCode, 404);
    assert.equal((await exchange('api', {}, '{"access_token": ')).statusCode, 400);
    assert.equal((await exchange('api', {}, { access_token: 1 })).statusCode, 400);
  });
});
