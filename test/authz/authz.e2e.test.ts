import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeJwt, type JWK } from 'jose';
import { ProfileExchangeService } from '../../src/upstream/profile-exchange.service';
import { startSts, verifyWithPyJwt, type InjectOptions, type TestSts } from '../helpers';
import { startIdp, type LocalIdp } from '../idp';

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE'] as const;
const CONSUMER_HEADERS = [
  'x-consumer-id',
  'x-consumer-custom-id',
  'x-consumer-username',
  'x-credential-identifier',
  'x-anonymous-consumer',
];

describe('ANY /authz/{profile} (forward-auth)', () => {
  let sts: TestSts;
  let idp: LocalIdp;
  const now = () => Math.floor(Date.now() / 1000);
  const token = (claims: Record<string, unknown> = {}) =>
    idp.sign({ sub: 'alice', scope: 'read', exp: now() + 600, ...claims });

  before(async () => {
    idp = await startIdp();
    sts = await startSts({
      file: {
        consumers: [{ username: 'alice', custom_id: 'cust-1' }, { username: 'bob' }],
        profiles: [
          {
            channel_token_optional: true,
            name: 'api',
            access_token_jwks_uri: idp.jwksUri,
            access_token_scopes_required: ['read'],
            access_token_consumer_claim: ['sub'],
            upstream_jwt: {},
          },
          { channel_token_optional: true, name: 'plain', access_token_jwks_uri: idp.jwksUri },
          {
            channel_token_optional: true,
            name: 'down',
            access_token_jwks_uri: 'http://127.0.0.1:9/jwks',
          },
        ],
      },
    });
  });
  after(async () => {
    await sts?.cleanup();
    await idp?.close();
  });

  const authz = (options: Partial<InjectOptions> & { url?: string }) =>
    sts.inject({ method: 'GET', url: '/authz/api', ...options });

  it('answers exactly 200 with an empty body and the upstream headers', async () => {
    const res = await authz({ headers: { authorization: `Bearer ${await token()}` } });
    assert.equal(res.statusCode, 200);
    assert.equal(res.body, '');
    assert.equal(res.headers['cache-control'], 'no-store');
    const authorization = String(res.headers.authorization);
    assert.match(authorization, /^Bearer ey/);
    assert.equal(res.headers['x-sts-authorization'], authorization);
    assert.equal(res.headers['x-consumer-username'], 'alice');
    assert.equal(res.headers['x-consumer-custom-id'], 'cust-1');
    assert.match(String(res.headers.jwt), /^ey/);
    const jwks = (await sts.inject({ url: '/.well-known/jwks.json' })).json<{ keys: JWK[] }>();
    assert.equal(verifyWithPyJwt(authorization.slice(7), jwks, ['RS256']).sub, 'alice');
  });

  it('answers every X-Consumer-* header, empty when unknown (no mapping, no custom_id)', async () => {
    const consumerHeaders = async (url: string, sub: string) => {
      const res = await authz({
        url,
        headers: { authorization: `Bearer ${await token({ sub })}` },
      });
      assert.equal(res.statusCode, 200);
      return Object.fromEntries(CONSUMER_HEADERS.map((name) => [name, res.headers[name]]));
    };
    assert.deepEqual(await consumerHeaders('/authz/plain', 'alice'), {
      'x-consumer-id': '',
      'x-consumer-custom-id': '',
      'x-consumer-username': '',
      'x-credential-identifier': '',
      'x-anonymous-consumer': '',
    });
    const bob = await consumerHeaders('/authz/api', 'bob');
    assert.match(String(bob['x-consumer-id']), /.+/);
    assert.equal(bob['x-consumer-username'], 'bob');
    assert.equal(bob['x-consumer-custom-id'], '', 'present and empty without custom_id');
  });

  it('works for every method, any path suffix and any content type without reading the body', async () => {
    const headers = { authorization: `Bearer ${await token()}` };
    for (const method of METHODS) {
      const res = await authz({ method, url: '/authz/api/orders/42?x=1', headers });
      assert.equal(res.statusCode, 200, `${method}: ${res.body}`);
    }
    const bodies: [string, string | Buffer][] = [
      ['application/json', '{"broken": '],
      [
        'multipart/form-data; boundary=x',
        '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--x--\r\n',
      ],
      ['application/x-www-form-urlencoded', '%%%'],
      ['application/octet-stream', Buffer.alloc(2 * 1024 * 1024, 1)],
      ['text/plain', 'hello'],
    ];
    for (const [contentType, payload] of bodies) {
      const res = await authz({
        method: 'POST',
        headers: { ...headers, 'content-type': contentType },
        payload,
      });
      assert.equal(res.statusCode, 200, `${contentType}: ${res.statusCode}`);
    }
  });

  it('takes the original URI from a trusted proxy (Optum aud) and ignores it otherwise', async () => {
    const headers = {
      authorization: `Bearer ${await token()}`,
      'x-forwarded-uri': '/orders?id=7',
      'x-forwarded-method': 'POST',
    };
    const res = await authz({ headers });
    assert.equal(decodeJwt(String(res.headers.jwt)).aud, '/orders?id=7');
    const untrusting = await startSts({
      env: { STS_TRUSTED_PROXIES: '10.9.8.7' },
      file: {
        profiles: [
          {
            channel_token_optional: true,
            name: 'api',
            access_token_jwks_uri: idp.jwksUri,
            upstream_jwt: {},
          },
        ],
      },
    });
    const res2 = await untrusting.inject({ url: '/authz/api/direct', headers });
    assert.equal(decodeJwt(String(res2.headers.jwt)).aud, '/direct');
    await untrusting.cleanup();
  });

  const denials: [string, () => Promise<InjectOptions>, number, RegExp][] = [
    ['no token', () => Promise.resolve({ url: '/authz/api' }), 401, /^Bearer realm="[^"]+"$/],
    [
      'an expired token',
      async () => ({
        url: '/authz/api',
        headers: { authorization: `Bearer ${await token({ exp: now() - 3600 })}` },
      }),
      401,
      /error="invalid_token"/,
    ],
    [
      'a token lacking the scope',
      async () => ({
        url: '/authz/api',
        headers: { authorization: `Bearer ${await token({ scope: 'write' })}` },
      }),
      403,
      /error="insufficient_scope"/,
    ],
    [
      'an unknown profile',
      async () => ({ url: '/authz/nope', headers: { authorization: `Bearer ${await token()}` } }),
      401,
      /error="invalid_token"/,
    ],
    [
      'a URL Fastify cannot route (bad percent-encoding)',
      async () => ({
        url: '/authz/api/orders/%zz',
        headers: { authorization: `Bearer ${await token()}` },
      }),
      401,
      /error="invalid_token"/,
    ],
    [
      'a profile name longer than any path parameter',
      () => Promise.resolve({ url: `/authz/${'p'.repeat(2000)}` }),
      401,
      /error="invalid_token"/,
    ],
    [
      'an unreachable identity provider',
      async () => ({ url: '/authz/down', headers: { authorization: `Bearer ${await token()}` } }),
      401,
      /error="invalid_token"/,
    ],
  ];
  for (const [name, build, status, challenge] of denials) {
    it(`${name} → ${status} with WWW-Authenticate and an empty body`, async () => {
      const res = await sts.inject({ method: 'GET', ...(await build()) });
      assert.equal(res.statusCode, status);
      assert.equal(res.body, '');
      assert.match(String(res.headers['www-authenticate']), challenge);
    });
  }

  it('answers 401, never 5xx, when an internal error is injected', async () => {
    const exchange = sts.app.get(ProfileExchangeService);
    const original = exchange.exchange.bind(exchange);
    exchange.exchange = () => Promise.reject(new Error('injected fault'));
    try {
      for (const method of METHODS) {
        const res = await authz({ method, headers: { authorization: `Bearer ${await token()}` } });
        assert.equal(res.statusCode, 401, method);
        assert.match(String(res.headers['www-authenticate']), /^Bearer /);
      }
    } finally {
      exchange.exchange = original;
    }
  });
});
