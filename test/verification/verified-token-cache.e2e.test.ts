import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it, mock } from 'node:test';
import { ConsumerService } from '../../src/consumers/consumer.service';
import { ProfileService } from '../../src/profiles/profile.service';
import { RemoteJwks } from '../../src/verification/remote-jwks.cache';
import { ManualClock, startSts, type TestSts } from '../helpers';
import { TestIdp } from '../idp';

const ISSUER = 'https://idp.example.com';
const HOUR = 3600;

/** Answers that must not differ between a cache hit and a miss (all but per-request headers). */
function comparable(res: { statusCode: number; headers: Record<string, unknown>; body: string }) {
  const headers = { ...res.headers };
  delete headers.date;
  delete headers['x-request-id'];
  return { status: res.statusCode, headers, body: res.body };
}

describe('verified-token cache', () => {
  const clock = new ManualClock();
  const seconds = () => Math.floor(clock.now() / 1000);
  let idp: TestIdp;
  let sts: TestSts;
  let signatureChecks: ReturnType<typeof mock.method>;

  const profile = (extra: Record<string, unknown> = {}) => ({
    name: 'api',
    access_token_jwks_uri: idp.jwksUri,
    access_token_issuers_allowed: [ISSUER],
    access_token_consumer_claim: null,
    channel_token_optional: true,
    ...extra,
  });

  before(async () => {
    idp = await TestIdp.start();
    await idp.addKey('k1');
    sts = await startSts({
      clock,
      env: { STS_VERIFY_CACHE_TTL: '2m' },
      file: {
        profiles: [profile()],
        consumers: [
          { username: 'carol', jwt_secrets: [{ key: 'carol-key', secret: 's'.repeat(32) }] },
        ],
      },
    });
  });
  after(async () => {
    await sts?.cleanup();
    await idp?.close();
  });
  afterEach(() => signatureChecks?.mock.restore());

  const countChecks = () => {
    signatureChecks = mock.method(RemoteJwks.prototype, 'verify');
    return () => signatureChecks.mock.callCount();
  };
  const token = (claims: Record<string, unknown> = {}, kid = 'k1') =>
    idp.sign({ iss: ISSUER, sub: 'alice', exp: seconds() + HOUR, ...claims }, kid);
  const verify = (bearer: string, path = '/verify/api') =>
    sts.inject({ method: 'POST', url: path, headers: { authorization: `Bearer ${bearer}` } });
  const metric = async (name: string) => {
    const text = (await sts.inject({ url: '/metrics' })).body;
    const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
    return Number(line?.split(' ').at(-1) ?? NaN);
  };

  it('checks a repeated token’s signature once, and answers a hit exactly as the miss', async () => {
    const checks = countChecks();
    const bearer = await token();
    const hitsBefore = await metric('sts_verify_cache_requests_total{result="hit"}');
    for (const path of ['/verify/api', '/exchange/api', '/authz/api']) {
      const miss = comparable(await verify(bearer, path));
      const hit = comparable(await verify(bearer, path));
      assert.equal(miss.status, 200, path);
      assert.deepEqual(hit, miss, path);
    }
    assert.equal(checks(), 1, 'one signature check for six requests');
    assert.equal(await metric('sts_verify_cache_requests_total{result="hit"}'), hitsBefore + 5);
  });

  it('never verifies a token from the cache after its exp', async () => {
    const bearer = await token({ exp: seconds() + 60 });
    assert.equal((await verify(bearer)).statusCode, 200);
    clock.advance(61_000);
    const res = await verify(bearer);
    assert.equal(res.statusCode, 401);
    assert.equal(res.json<{ code: string }>().code, 'ERR_TOKEN_EXPIRED');
  });

  it('never verifies a token from the cache before its nbf', async () => {
    const checks = countChecks();
    const bearer = await token({ nbf: seconds() + 60 });
    for (let i = 0; i < 2; i++) {
      const res = await verify(bearer);
      assert.equal(res.json<{ code: string }>().code, 'ERR_TOKEN_NOT_YET_VALID');
    }
    clock.advance(61_000);
    assert.equal((await verify(bearer)).statusCode, 200);
    assert.equal(checks(), 1, 'the signature was good all along; the time was not');
  });

  it('never verifies a token from the cache once its kid left the IdP JWKS', async () => {
    const bearer = await token();
    assert.equal((await verify(bearer)).statusCode, 200);
    // The IdP rotates: k2 arrives, k1 leaves. A token with the unknown k2 makes the STS fetch the
    // set again (past the cooldown); the cached k1 entry must not survive that.
    await idp.addKey('k2');
    idp.withdraw('k1');
    clock.advance(31_000);
    assert.equal((await verify(await token({}, 'k2'))).statusCode, 200);
    const res = await verify(bearer);
    assert.equal(res.statusCode, 401);
    assert.match(res.json<{ error_description: string }>().error_description, /kid/);
    idp.publish('k1');
  });

  it('keeps an entry through a refetch that still holds its kid', async () => {
    const bearer = await token({}, 'k2');
    assert.equal((await verify(bearer)).statusCode, 200);
    const checks = countChecks();
    clock.advance(31_000);
    await idp.addKey('k3');
    assert.equal((await verify(await token({}, 'k3'))).statusCode, 200, 'refetch for k3');
    assert.equal((await verify(bearer)).statusCode, 200);
    assert.equal(checks(), 1, 'only the k3 token was checked');
  });

  it('never verifies a token from the cache after its profile changed', async () => {
    const bearer = await token();
    assert.equal((await verify(bearer)).statusCode, 200);
    const checks = countChecks();
    await sts.app
      .get(ProfileService)
      .save(profile({ access_token_issuers_allowed: ['https://other'] }));
    const res = await verify(bearer);
    assert.equal(res.statusCode, 401, 'the new version checks again, and refuses');
    assert.equal(checks(), 1);
    await sts.app.get(ProfileService).save(profile());
    assert.equal((await verify(bearer)).statusCode, 200);
    assert.equal(checks(), 2, 'and the version after that checks again too');
    assert.equal(
      await metric('sts_verify_cache_entries'),
      1,
      'entries of replaced versions are gone',
    );
  });

  it('lives no longer than STS_VERIFY_CACHE_TTL', async () => {
    const bearer = await token();
    assert.equal((await verify(bearer)).statusCode, 200);
    const checks = countChecks();
    clock.advance(119_000);
    assert.equal((await verify(bearer)).statusCode, 200);
    assert.equal(checks(), 0);
    clock.advance(2_000);
    assert.equal((await verify(bearer)).statusCode, 200);
    assert.equal(checks(), 1, 'past two minutes the signature is checked again');
  });
});

describe('verified-token cache with Kong JWT credentials', () => {
  let sts: TestSts;
  const secret = 'carol-shared-secret-of-32-bytes!';

  before(async () => {
    sts = await startSts({
      file: {
        profiles: [
          {
            name: 'kong',
            credentials: { claims_to_verify: ['exp'] },
            channel_token_optional: true,
          },
        ],
        consumers: [{ username: 'carol', jwt_secrets: [{ key: 'carol-key', secret }] }],
      },
    });
  });
  after(() => sts?.cleanup());

  it('never verifies from the cache with a credential that was removed', async () => {
    const { SignJWT } = await import('jose');
    const bearer = await new SignJWT({ iss: 'carol-key' })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(secret));
    const verify = () =>
      sts.inject({
        method: 'POST',
        url: '/verify/kong',
        headers: { authorization: `Bearer ${bearer}` },
      });
    assert.equal((await verify()).statusCode, 200);
    assert.equal((await verify()).statusCode, 200);
    await sts.app.get(ConsumerService).removeCredential('carol-key');
    const res = await verify();
    assert.equal(res.statusCode, 401);
    assert.match(
      res.json<{ error_description: string }>().error_description,
      /No credentials found/,
    );
  });
});

describe('verified-token cache turned off', () => {
  let idp: TestIdp;
  let sts: TestSts;

  before(async () => {
    idp = await TestIdp.start();
    await idp.addKey('k1');
    sts = await startSts({
      env: { STS_VERIFY_CACHE_MAX: '0' },
      file: {
        profiles: [
          { name: 'api', access_token_jwks_uri: idp.jwksUri, channel_token_optional: true },
        ],
      },
    });
  });
  after(async () => {
    await sts?.cleanup();
    await idp?.close();
  });

  it('checks every signature when STS_VERIFY_CACHE_MAX is 0', async () => {
    const checks = mock.method(RemoteJwks.prototype, 'verify');
    try {
      const bearer = await idp.sign(
        { sub: 'alice', exp: Math.floor(Date.now() / 1000) + HOUR },
        'k1',
      );
      for (let i = 0; i < 3; i++) {
        const res = await sts.inject({
          method: 'POST',
          url: '/verify/api',
          headers: { authorization: `Bearer ${bearer}` },
        });
        assert.equal(res.statusCode, 200);
      }
      assert.equal(checks.mock.callCount(), 3);
    } finally {
      checks.mock.restore();
    }
  });
});
