import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ErrorBody } from '../../src/common/errors';
import { startSts, type InjectOptions, type TestSts } from '../helpers';

const ADMIN_TOKEN = 'admin-token-for-tests';

describe('a known path with a method it does not serve', () => {
  let sts: TestSts;
  before(async () => {
    sts = await startSts({
      env: { STS_ADMIN_TOKEN: ADMIN_TOKEN },
      file: {
        profiles: [
          {
            name: 'api',
            access_token_jwks_uri: 'http://127.0.0.1:9/jwks',
            channel_token_optional: true,
          },
        ],
      },
    });
  });
  after(() => sts.cleanup());

  const cases: [InjectOptions['method'], string, string][] = [
    ['GET', '/exchange/api', 'POST'], // README's curl without -X POST
    ['GET', '/exchange', 'POST'],
    ['PUT', '/verify/api', 'POST'],
    ['GET', '/introspect', 'POST'],
    ['DELETE', '/jwks', 'GET, HEAD'],
    ['POST', '/.well-known/jwks.json', 'GET, HEAD'],
    ['POST', '/health/live', 'GET, HEAD'],
    ['PATCH', '/admin/keysets', 'GET, HEAD, POST'],
    ['PUT', '/admin/keysets/default/rotate', 'POST'],
  ];
  for (const [method, url, allow] of cases) {
    it(`${method} ${url} → 405, Allow: ${allow}, in the error model`, async () => {
      const res = await sts.inject({ method, url });
      assert.equal(res.statusCode, 405);
      assert.equal(res.headers.allow, allow);
      assert.match(String(res.headers['content-type']), /^application\/json/);
      assert.deepEqual(res.json<ErrorBody>(), {
        error: 'method_not_allowed',
        error_description: `${method} is not served here; use ${allow}`,
        code: 'ERR_METHOD_NOT_ALLOWED',
      });
    });
  }

  it('serves HEAD wherever GET is served, and answers OPTIONS with 405 and Allow', async () => {
    const head = await sts.inject({ method: 'HEAD', url: '/jwks' });
    assert.equal(head.statusCode, 200);
    assert.equal(head.body, '');
    const headOnPost = await sts.inject({ method: 'HEAD', url: '/exchange' });
    assert.equal(headOnPost.statusCode, 405);
    assert.equal(headOnPost.headers.allow, 'POST');
    const options = await sts.inject({ method: 'OPTIONS', url: '/token/default' });
    assert.equal(options.statusCode, 405);
    assert.equal(options.headers.allow, 'POST');
  });

  it('answers 404 for a path no route serves, whatever the method', async () => {
    for (const method of ['GET', 'POST', 'OPTIONS'] as const) {
      const res = await sts.inject({ method, url: '/exchange/api/extra' });
      assert.equal(res.statusCode, 404, method);
      assert.equal(res.headers.allow, undefined);
      assert.equal(res.json<ErrorBody>().code, 'ERR_NOT_FOUND');
    }
  });

  it('never answers 405 on /authz, which serves every method', async () => {
    for (const method of [
      'GET',
      'HEAD',
      'POST',
      'PUT',
      'PATCH',
      'DELETE',
      'OPTIONS',
      'TRACE',
    ] as const) {
      const res = await sts.inject({ method, url: '/authz/api/orders' });
      assert.equal(res.statusCode, 401, method);
      assert.equal(res.headers.allow, undefined);
    }
  });
});

it('answers 404, not 405, on admin paths while the admin API is off', async () => {
  const sts = await startSts();
  for (const [method, url] of [
    ['PATCH', '/admin/keysets'],
    ['GET', '/admin/rekey'],
    ['PUT', '/jwt-signer/jwks'],
  ] as const) {
    const res = await sts.inject({ method, url });
    assert.equal(res.statusCode, 404, `${method} ${url}`);
    assert.equal(res.json<ErrorBody>().code, 'ERR_NOT_FOUND');
  }
  await sts.cleanup();
});
