import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ManualClock, startSts, type TestSts } from '../helpers';
import { TestIdp } from '../idp';

// A service that starts before its IdP (docker compose, a node reboot) must verify as soon as
// the IdP is up, not a whole STS_JWKS_COOLDOWN later.
describe('an IdP that is down when the service starts', () => {
  const clock = new ManualClock();
  let idp: TestIdp;
  let sts: TestSts;

  before(async () => {
    idp = await TestIdp.start();
    await idp.addKey('k1');
    idp.mode = 'fail';
    sts = await startSts({
      clock,
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

  const verify = async () =>
    sts.inject({
      method: 'POST',
      url: '/verify/api',
      headers: {
        authorization: `Bearer ${await idp.sign({ sub: 'a', exp: Math.floor(clock.now() / 1000) + 600 }, 'k1')}`,
      },
    });

  it('is tried again after 1 s, 2 s, 4 s …, saying so in Retry-After', async () => {
    const first = await verify();
    assert.equal(first.statusCode, 503);
    assert.equal(first.headers['retry-after'], '1');
    clock.advance(1_000);
    const second = await verify();
    assert.equal(second.statusCode, 503);
    assert.equal(second.headers['retry-after'], '2', 'the boot fetch and this one failed');
    const fetches = idp.fetches;
    clock.advance(1_000);
    assert.equal((await verify()).statusCode, 503);
    assert.equal(idp.fetches, fetches, 'no fetch within the backoff');
  });

  it('verifies once the IdP answers, without waiting out the cooldown', async () => {
    idp.mode = 'serve';
    clock.advance(1_000);
    assert.equal((await verify()).statusCode, 200);
  });
});
