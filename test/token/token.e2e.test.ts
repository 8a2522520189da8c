import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  compactVerify,
  createLocalJWKSet,
  decodeProtectedHeader,
  flattenedVerify,
  type JWK,
} from 'jose';
import { generateSigningKey } from '../../src/keys/key-generator';
import {
  sendJson,
  startLocalServer,
  startSts,
  verifyWithPyJwt,
  type LocalServer,
  type TestSts,
} from '../helpers';

/** The body of KrakenD's documentation (seed 003). */
const SEED_BODY = {
  access_token: {
    aud: 'http://api.example.com',
    iss: 'https://myapp.example.com',
    sub: '1234567890qwertyuio',
    jti: 'mnb23vcsrt756yuiomnbvcx98ertyuiop',
    roles: ['role_a', 'role_b'],
    exp: 1735689600,
  },
  refresh_token: {
    aud: 'http://api.example.com',
    iss: 'https://myapp.example.com',
    sub: '1234567890qwertyuio',
    jti: 'mnb23vcsrt756yuiomn12876bvcx98ertyuiop',
    exp: 1735689600,
  },
  exp: 1735689600,
};

const ASYMMETRIC = ['RS256', 'PS256', 'ES256', 'EdDSA'] as const;
const KEYS_TO_SIGN = ['access_token', 'refresh_token'];

describe('POST /token/{signer} (KrakenD signer)', () => {
  let sts: TestSts;
  let keyServer: LocalServer;
  let backend: LocalServer;
  const hmacKey = {
    kty: 'oct',
    kid: 'sim2',
    alg: 'HS256',
    k: Buffer.alloc(32, 3).toString('base64url'),
  };

  before(async () => {
    const other = await generateSigningKey('HS256');
    keyServer = await startLocalServer((_req, res) =>
      sendJson(res, 200, { keys: [hmacKey, { ...other.privateJwk, kid: 'other' }] }),
    );
    backend = await startLocalServer((_req, res, body) => {
      const { user } = JSON.parse(body) as { user: string };
      if (user === 'broken') return sendJson(res, 200, { access_token: 'plain string' });
      if (user === 'down') return sendJson(res, 503, { error: 'down' });
      return sendJson(res, 200, { access_token: { sub: user, exp: 1735689600 }, exp: 1735689600 });
    });
    sts = await startSts({
      file: {
        keysets: ASYMMETRIC.map((alg) => ({ name: `k-${alg}`, algorithm: alg })),
        signers: [
          ...ASYMMETRIC.map((alg) => ({
            name: `s-${alg}`,
            keyset: `k-${alg}`,
            'keys-to-sign': KEYS_TO_SIGN,
          })),
          { name: 'full', 'keys-to-sign': KEYS_TO_SIGN, full: true },
          {
            name: 'sim',
            alg: 'HS256',
            kid: 'sim2',
            'jwk-url': `${keyServer.url}/jwk/symmetric.json`,
            'keys-to-sign': KEYS_TO_SIGN,
          },
          {
            name: 'issuer',
            'keys-to-sign': ['access_token'],
            backend: `${backend.url}/token-issuer`,
          },
        ],
      },
    });
  });
  after(async () => {
    await sts.cleanup();
    await keyServer.close();
    await backend.close();
  });

  const post = (signer: string, payload: unknown, headers: Record<string, string> = {}) =>
    sts.inject({
      method: 'POST',
      url: `/token/${signer}`,
      headers: { 'content-type': 'application/json', ...headers },
      payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
    });

  for (const alg of ASYMMETRIC) {
    it(`signs the seed body with ${alg}, verifiable by PyJWT and jose against our JWKS`, async () => {
      const res = await post(`s-${alg}`, SEED_BODY);
      assert.equal(res.statusCode, 200, res.body);
      const body = res.json<Record<string, unknown>>();
      assert.equal(body.exp, 1735689600, 'top-level exp stays as is');
      assert.deepEqual(Object.keys(body).sort(), ['access_token', 'exp', 'refresh_token']);
      const jwks = (await sts.inject({ url: '/.well-known/jwks.json' })).json<{ keys: JWK[] }>();
      for (const name of ['access_token', 'refresh_token'] as const) {
        const token = body[name] as string;
        const header = decodeProtectedHeader(token);
        assert.equal(header.alg, alg);
        assert.equal(header.typ, 'JWT');
        assert.deepEqual(verifyWithPyJwt(token, jwks, [alg]), SEED_BODY[name]);
        const { payload } = await compactVerify(token, createLocalJWKSet(jwks), {
          algorithms: [alg],
        });
        assert.deepEqual(JSON.parse(new TextDecoder().decode(payload)), SEED_BODY[name]);
      }
    });
  }

  it('leaves unlisted keys untouched and a missing listed key out', async () => {
    const res = await post('s-RS256', { access_token: { sub: 'a' }, note: { keep: true }, n: 1 });
    assert.equal(res.statusCode, 200);
    const body = res.json<Record<string, unknown>>();
    assert.deepEqual(body.note, { keep: true });
    assert.equal(body.n, 1);
    assert.equal('refresh_token' in body, false);
  });

  it('returns the JWS JSON serialization with full: true', async () => {
    const res = await post('full', SEED_BODY);
    assert.equal(res.statusCode, 200);
    const jws = JSON.parse(res.json<{ access_token: string }>().access_token) as {
      payload: string;
      protected: string;
      signature: string;
    };
    const jwks = (await sts.inject({ url: '/jwks/default' })).json<{ keys: JWK[] }>();
    const { payload } = await flattenedVerify(jws, createLocalJWKSet(jwks), {
      algorithms: ['RS256'],
    });
    assert.deepEqual(JSON.parse(new TextDecoder().decode(payload)), SEED_BODY.access_token);
  });

  it('signs with the jwk-url key selected by kid (KrakenD symmetric example)', async () => {
    const res = await post('sim', SEED_BODY);
    assert.equal(res.statusCode, 200, res.body);
    const token = res.json<{ access_token: string }>().access_token;
    assert.equal(decodeProtectedHeader(token).kid, 'sim2');
    const { payload } = await compactVerify(
      token,
      new Uint8Array(Buffer.from(hmacKey.k, 'base64url')),
      {
        algorithms: ['HS256'],
      },
    );
    assert.equal(JSON.parse(new TextDecoder().decode(payload)).sub, SEED_BODY.access_token.sub);
    const published = await sts.inject({ url: '/.well-known/jwks.json' });
    assert.equal(published.body.includes(hmacKey.k), false, 'HMAC key material is never published');
  });

  it('forwards the body to the backend and signs its answer', async () => {
    const res = await post('issuer', { user: 'john', pass: 'doe' });
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json<{ access_token: string; exp: number }>();
    assert.equal(body.exp, 1735689600);
    const jwks = (await sts.inject({ url: '/jwks/default' })).json<{ keys: JWK[] }>();
    assert.equal(verifyWithPyJwt(body.access_token, jwks, ['RS256']).sub, 'john');
    assert.deepEqual(JSON.parse(backend.requests.at(-1)!.body), { user: 'john', pass: 'doe' });
    const broken = await post('issuer', { user: 'broken' });
    assert.equal(broken.statusCode, 502);
    assert.equal(broken.json<{ code: string }>().code, 'ERR_BAD_GATEWAY');
    assert.equal((await post('issuer', { user: 'down' })).statusCode, 502);
  });

  describe('bad input answers 4xx in the documented shape', () => {
    const cases: [
      string,
      () => Promise<{ statusCode: number; json: <T>() => T }>,
      number,
      string,
      RegExp,
    ][] = [
      [
        'malformed JSON',
        () => post('s-RS256', '{"access_token": {'),
        400,
        'ERR_INVALID_REQUEST',
        /JSON/,
      ],
      [
        'a JSON array body',
        () => post('s-RS256', [1, 2]),
        400,
        'ERR_INVALID_REQUEST',
        /must be a JSON object/,
      ],
      [
        'a JSON string body',
        () => post('s-RS256', '"text"'),
        400,
        'ERR_INVALID_REQUEST',
        /must be a JSON object/,
      ],
      ['an empty body', () => post('s-RS256', ''), 400, 'ERR_INVALID_REQUEST', /./],
      [
        'a listed key that is not an object',
        () => post('s-RS256', { access_token: 'abc' }),
        400,
        'ERR_INVALID_REQUEST',
        /"access_token" is listed in keys-to-sign but is a string, not a JSON object/,
      ],
      [
        'a listed key that is an array',
        () => post('s-RS256', { refresh_token: [1] }),
        400,
        'ERR_INVALID_REQUEST',
        /"refresh_token" .* is an array/,
      ],
      [
        'a body over the size limit',
        () => post('s-RS256', { access_token: { blob: 'x'.repeat(1024 * 1024 + 10) } }),
        413,
        'ERR_PAYLOAD_TOO_LARGE',
        /exceeds/,
      ],
      [
        'an unknown signer',
        () => post('nope', SEED_BODY),
        404,
        'ERR_NOT_FOUND',
        /signer "nope" not found/,
      ],
      [
        'a non-JSON content type',
        () => post('s-RS256', 'a=b', { 'content-type': 'application/x-www-form-urlencoded' }),
        415,
        'ERR_UNSUPPORTED_MEDIA_TYPE',
        /application\/json/,
      ],
    ];
    for (const [name, send, status, code, description] of cases) {
      it(name, async () => {
        const res = await send();
        assert.equal(res.statusCode, status);
        const body = res.json<{ error: string; error_description: string; code: string }>();
        assert.equal(body.code, code);
        assert.equal(typeof body.error, 'string');
        assert.match(body.error_description, description);
      });
    }
  });
});
