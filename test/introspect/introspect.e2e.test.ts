import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { SignJWT, createLocalJWKSet, generateKeyPair, jwtVerify, type JSONWebKeySet } from 'jose';
import { KeyRegistry } from '../../src/keys/key-registry';
import { KeysetRotation } from '../../src/keys/keyset-rotation';
import { RotationScheduler } from '../../src/keys/rotation-scheduler';
import { CertificateService } from '../../src/signing/certificate.service';
import { ManualClock, startSts, type TestSts } from '../helpers';

const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

describe('POST /introspect (RFC 7662) and metadata (RFC 8414)', () => {
  let sts: TestSts;
  const clock = new ManualClock(Date.UTC(2026, 5, 1));
  const now = () => Math.floor(clock.now() / 1000);

  before(async () => {
    sts = await startSts({
      clock,
      env: { STS_ISSUER: 'https://sts.example.com' },
      file: {
        keysets: [
          { name: 'edge', algorithm: 'ES256', rotation: { retain: 1, max_token_lifetime: '10m' } },
        ],
        signers: [{ name: 'edge', keyset: 'edge', 'keys-to-sign': ['access_token'] }],
        clients: [{ client_id: 'gateway:1', client_secret: 's3cr3t/+=', profile: 'api' }],
      },
    });
  });
  after(() => sts.cleanup());

  const mint = async (claims: object) => {
    const res = await sts.inject({
      method: 'POST',
      url: '/token/edge',
      headers: { 'content-type': 'application/json' },
      payload: { access_token: claims },
    });
    return res.json<{ access_token: string }>().access_token;
  };
  const introspect = (
    form: Record<string, string>,
    authorization = basic('gateway:1', 's3cr3t/+='),
  ) =>
    sts.inject({
      method: 'POST',
      url: '/introspect',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization },
      payload: new URLSearchParams(form).toString(),
    });

  it('reports our valid token as active with its claims, no-store', async () => {
    const token = await mint({ sub: 'alice', scope: 'read', exp: now() + 300 });
    const res = await introspect({ token, token_type_hint: 'access_token' });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['cache-control'], 'no-store');
    const body = res.json<Record<string, unknown>>();
    assert.equal(body.active, true);
    assert.equal(body.sub, 'alice');
    assert.equal(body.scope, 'read');
  });

  it('refuses a JSON body with 415: RFC 7662 takes form parameters only', async () => {
    const token = await mint({ sub: 'alice', exp: now() + 300 });
    const res = await sts.inject({
      method: 'POST',
      url: '/introspect',
      headers: {
        'content-type': 'application/json',
        authorization: basic('gateway:1', 's3cr3t/+='),
      },
      payload: { token },
    });
    assert.equal(res.statusCode, 415);
    assert.equal(res.json<{ code: string }>().code, 'ERR_UNSUPPORTED_MEDIA_TYPE');
  });

  it('authenticates with client_secret_post too', async () => {
    const token = await mint({ sub: 'bob', exp: now() + 300 });
    const res = await introspect({ token, client_id: 'gateway:1', client_secret: 's3cr3t/+=' }, '');
    assert.equal(res.json<{ active: boolean }>().active, true);
  });

  it('answers exactly {active:false} for expired, foreign, tampered, garbage and dropped-key tokens', async () => {
    const expired = await mint({ sub: 'alice', exp: now() - 1 });
    const { privateKey } = await generateKeyPair('ES256');
    const foreign = await new SignJWT({ sub: 'eve', exp: now() + 300 })
      .setProtectedHeader({ alg: 'ES256', kid: 'x' })
      .sign(privateKey);
    const valid = await mint({ sub: 'alice', exp: now() + 86_400 });
    const [h, p, s] = valid.split('.');
    const tampered = [
      h,
      Buffer.from(JSON.stringify({ sub: 'admin', exp: now() + 300 })).toString('base64url'),
      s,
    ].join('.');
    const noExp = await mint({ sub: 'alice' });
    for (const token of [expired, foreign, tampered, 'not-a-jwt', noExp, `${p}`]) {
      assert.deepEqual((await introspect({ token })).json(), { active: false });
    }
    const keysets = sts.app.get(KeysetRotation);
    await keysets.rotate('edge');
    assert.equal(
      (await introspect({ token: valid })).json<{ active: boolean }>().active,
      true,
      'previous key retained',
    );
    await keysets.rotate('edge');
    // Beyond retain, a key stays until its tokens have expired (max_token_lifetime + leeway).
    clock.advance((600 + 61) * 1000);
    await sts.app.get(RotationScheduler).tick();
    assert.deepEqual(
      (await introspect({ token: valid })).json(),
      { active: false },
      'key no longer retained',
    );
  });

  it('refuses unauthenticated callers with 401 invalid_client and WWW-Authenticate: Basic', async () => {
    for (const authorization of [basic('gateway:1', 'wrong'), basic('nobody', 'x'), '']) {
      const res = await introspect({ token: 'x' }, authorization);
      assert.equal(res.statusCode, 401);
      assert.equal(res.json<{ error: string }>().error, 'invalid_client');
      assert.match(String(res.headers['www-authenticate']), /^Basic /);
    }
    const missing = await introspect({});
    assert.equal(missing.statusCode, 400);
    assert.equal(missing.json<{ error: string }>().error, 'invalid_request');
  });

  it('publishes RFC 8414 metadata', async () => {
    const res = await sts.inject({ url: '/.well-known/oauth-authorization-server' });
    assert.equal(res.statusCode, 200);
    const body = res.json<Record<string, unknown>>();
    assert.equal(body.issuer, 'https://sts.example.com');
    assert.equal(body.jwks_uri, 'https://sts.example.com/.well-known/jwks.json');
    assert.equal(body.token_endpoint, 'https://sts.example.com/exchange');
    assert.equal(body.introspection_endpoint, 'https://sts.example.com/introspect');
    assert.deepEqual(body.grant_types_supported, [
      'urn:ietf:params:oauth:grant-type:token-exchange',
    ]);
    assert.deepEqual(body.token_endpoint_auth_methods_supported, [
      'client_secret_basic',
      'client_secret_post',
    ]);
    assert.deepEqual(body.access_token_signing_alg_values_supported, ['ES256', 'RS256']);
  });

  it('serves issuer discovery at /.well-known/openid-configuration, true of this service only', async () => {
    const rfc8414 = (await sts.inject({ url: '/.well-known/oauth-authorization-server' })).json<
      Record<string, unknown>
    >();
    const res = await sts.inject({ url: '/.well-known/openid-configuration' });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['cache-control'], 'public, max-age=300');
    const discovery = res.json<Record<string, unknown>>();
    assert.deepEqual({ ...discovery }, { ...rfc8414, subject_types_supported: ['public'] });
    for (const absent of [
      'authorization_endpoint',
      'userinfo_endpoint',
      'id_token_signing_alg_values_supported',
      'scopes_supported',
    ])
      assert.ok(!(absent in discovery), `${absent}: no login, no ID tokens here`);
    const pathOf = (member: string) => {
      const url = new URL(String(discovery[member]));
      assert.equal(url.origin, 'https://sts.example.com', member);
      return url.pathname;
    };
    // Every URL it names is one this service serves (a wrong method is 405, an unknown path 404).
    for (const member of ['jwks_uri', 'token_endpoint', 'introspection_endpoint'])
      assert.notEqual((await sts.inject({ url: pathOf(member) })).statusCode, 404, member);
    // An upstream configured by the issuer URL alone verifies what we mint with those keys.
    const jwks = createLocalJWKSet(
      (await sts.inject({ url: pathOf('jwks_uri') })).json<JSONWebKeySet>(),
    );
    const token = await mint({ iss: discovery.issuer, sub: 'alice', exp: now() + 300 });
    const { payload } = await jwtVerify(token, jwks, {
      issuer: String(discovery.issuer),
      currentDate: new Date(clock.now()),
    });
    assert.equal(payload.sub, 'alice');
  });

  it('generates and keeps a self-signed certificate per signing key', async () => {
    const keysets = sts.app.get(KeyRegistry);
    const certificates = sts.app.get(CertificateService);
    const key = keysets.signingKey('edge');
    const chain = await certificates.chainFor('edge', key);
    assert.equal(chain.length, 1);
    const certificate = new X509Certificate(Buffer.from(chain[0]!, 'base64'));
    assert.ok(certificate.verify(certificate.publicKey), 'self-signed');
    const jwk = certificate.publicKey.export({ format: 'jwk' });
    assert.equal(jwk.x, key.publicJwk!.x);
    assert.deepEqual(await certificates.chainFor('edge', key), chain);
  });
});
