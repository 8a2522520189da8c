import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { KeysetRotation } from '../../src/keys/keyset-rotation';
import { RETENTION_LEEWAY_SECONDS } from '../../src/keys/rotation-policy';
import { RotationScheduler } from '../../src/keys/rotation-scheduler';
import { startIdp, type LocalIdp } from '../idp';
import {
  adminClient,
  LogCapture,
  ManualClock,
  publishedKids,
  signedKid,
  startSts,
  type TestSts,
} from '../helpers';

const TOKEN = 'file-admin-token';
const SECRET = 's'.repeat(32);

const call = (sts: TestSts, method: 'GET' | 'POST', url: string, payload?: object) =>
  adminClient(sts, TOKEN)(method, url, payload);

const status = async (sts: TestSts, url: string): Promise<number> =>
  (await call(sts, 'GET', url)).statusCode;

interface KeysetView {
  retired_at: string | null;
  keys: { kid: string; status: string }[];
}

/** The kid and status of each key of a keyset, through the admin API. */
const keysOf = async (sts: TestSts, keyset: string) => {
  const view = (await call(sts, 'GET', `/admin/keysets/${keyset}`)).json<KeysetView>();
  return { retiredAt: view.retired_at, keys: view.keys.map((k) => [k.kid, k.status]) };
};

/** The audit entries of the configuration file, as logged. */
const fileAudit = (logs: LogCapture) =>
  logs
    .records()
    .filter((record) => record.context === 'Audit' && String(record.msg).startsWith('{'))
    .map((record) => JSON.parse(String(record.msg)) as Record<string, string>)
    .filter((entry) => entry.actor === 'config-file')
    .map(({ action, resource, name, result }) => `${action} ${resource} ${name} ${result}`);

describe('the declarative file is the source of truth for what it declares', () => {
  let idp: LocalIdp;
  before(async () => {
    idp = await startIdp('RS256');
  });
  after(() => idp.close());

  const profile = (name: string) => ({
    name,
    access_token_jwks_uri: idp.jwksUri,
    channel_token_optional: true,
  });
  const signer = (name: string, keyset: string) => ({
    name,
    keyset,
    'keys-to-sign': ['access_token'],
  });
  const anonymousProfile = (name: string) => ({
    name,
    credentials: { anonymous: 'guest' },
    channel_token_optional: true,
  });
  const client = (id: string) => ({ client_id: id, client_secret: SECRET, profile: 'kept' });

  it('removes at the next start what it wrote and no longer declares, audited; the admin API’s stay', async () => {
    const clock = new ManualClock();
    const env = { STS_ADMIN_TOKEN: TOKEN };
    const first = await startSts({
      clock,
      env,
      file: {
        keysets: [
          { name: 'kept', algorithm: 'ES256' },
          { name: 'dropped', algorithm: 'ES256', rotation: { max_token_lifetime: '10m' } },
        ],
        signers: [signer('kept', 'kept'), signer('dropped', 'dropped')],
        profiles: [profile('kept'), profile('dropped')],
        consumers: [
          {
            username: 'kept',
            jwt_secrets: [
              { key: 'kept-key', secret: SECRET },
              { key: 'dropped-key', secret: SECRET },
            ],
          },
          { username: 'dropped', jwt_secrets: [{ key: 'dropped-consumer-key', secret: SECRET }] },
        ],
        clients: [client('kept'), client('dropped')],
      },
    });
    // The same kinds through the admin API, including a credential on a file consumer.
    for (const [url, body] of [
      ['/admin/keysets', { name: 'api', algorithm: 'ES256' }],
      ['/admin/signers', signer('api', 'api')],
      ['/admin/profiles', profile('api')],
      ['/admin/consumers', { username: 'api' }],
      ['/admin/consumers/api/jwt', { key: 'api-key', secret: SECRET }],
      ['/admin/consumers/kept/jwt', { key: 'api-key-of-kept', secret: SECRET }],
      ['/admin/clients', client('api')],
    ] as const) {
      const res = await call(first, 'POST', url, body);
      assert.equal(res.statusCode, 201, `${url}: ${res.body}`);
    }
    const droppedKid = await signedKid(first, 'dropped');
    await first.close();

    const logs = new LogCapture();
    const sts = await startSts({
      clock,
      env,
      dataDir: first.dataDir,
      logStream: logs,
      file: {
        keysets: [{ name: 'kept', algorithm: 'ES256' }],
        signers: [signer('kept', 'kept')],
        profiles: [profile('kept')],
        consumers: [{ username: 'kept', jwt_secrets: [{ key: 'kept-key', secret: SECRET }] }],
        clients: [client('kept')],
      },
    });

    for (const url of [
      '/admin/profiles/dropped',
      '/admin/signers/dropped',
      '/admin/consumers/dropped',
      '/admin/consumers/kept/jwt/dropped-key',
      '/admin/clients/dropped',
    ])
      assert.equal(await status(sts, url), 404, `${url} is gone`);
    for (const url of [
      '/admin/profiles/kept',
      '/admin/profiles/api',
      '/admin/signers/api',
      '/admin/consumers/api/jwt/api-key',
      '/admin/consumers/kept/jwt/kept-key',
      '/admin/consumers/kept/jwt/api-key-of-kept',
      '/admin/clients/api',
      '/admin/keysets/api',
    ])
      assert.equal(await status(sts, url), 200, `${url} stays`);
    assert.equal((await sts.inject({ method: 'POST', url: '/verify/dropped' })).statusCode, 404);

    assert.deepEqual(fileAudit(logs).sort(), [
      'delete client dropped success',
      'delete consumer dropped success',
      'delete jwt_credential dropped-key success',
      'delete profile dropped success',
      'delete signer dropped success',
      'retire keyset dropped success',
    ]);

    // The keyset is retired, not deleted: nothing signs with it, its key stays published until
    // every token it signed has expired (max_token_lifetime + leeway), then it goes.
    const retiredAt = clock.now();
    const retired = {
      retiredAt: new Date(retiredAt).toISOString(),
      keys: [[droppedKid, 'previous']],
    };
    assert.deepEqual(await keysOf(sts, 'dropped'), retired);
    // Another instance starting with the same file a second later changes nothing.
    clock.advance(1000);
    await sts.app.get(KeysetRotation).retire('dropped');
    assert.deepEqual(await keysOf(sts, 'dropped'), retired);
    assert.deepEqual(await publishedKids(sts, 'dropped'), [droppedKid]);
    const rotate = await call(sts, 'POST', '/admin/keysets/dropped/rotate');
    assert.equal(rotate.statusCode, 409, rotate.body);

    const gone = retiredAt + (10 * 60 + RETENTION_LEEWAY_SECONDS) * 1000;
    clock.advance(gone - 1 - clock.now());
    await sts.app.get(RotationScheduler).tick();
    assert.deepEqual(await publishedKids(sts, 'dropped'), [droppedKid]);
    clock.advance(1);
    await sts.app.get(RotationScheduler).tick();
    assert.equal(await status(sts, '/admin/keysets/dropped'), 404);
    assert.equal((await sts.inject({ url: '/jwks/dropped' })).statusCode, 404);
    await sts.cleanup();
  });

  it('keeps what is still in use, and a retired keyset declared again signs with its key again', async () => {
    const clock = new ManualClock();
    const env = { STS_ADMIN_TOKEN: TOKEN };
    const keysets = [
      { name: 'used', algorithm: 'ES256' },
      { name: 'back', algorithm: 'ES256' },
      { name: 'lazy', algorithm: 'ES256' },
    ];
    const first = await startSts({
      clock,
      env,
      file: {
        keysets,
        profiles: [anonymousProfile('anon')],
        consumers: [{ username: 'guest', jwt_secrets: [{ key: 'guest-key', secret: SECRET }] }],
      },
    });
    // An admin signer signs with a file keyset; an admin profile names a file consumer.
    assert.equal(
      (await call(first, 'POST', '/admin/signers', signer('api', 'used'))).statusCode,
      201,
    );
    const api = anonymousProfile('api');
    assert.equal((await call(first, 'POST', '/admin/profiles', api)).statusCode, 201);
    const usedKid = await signedKid(first, 'api');
    const backKid = (await publishedKids(first, 'back'))[0]!;
    const lazyKid = (await publishedKids(first, 'lazy'))[0]!;
    await first.close();

    const logs = new LogCapture();
    const second = await startSts({
      clock,
      env,
      dataDir: first.dataDir,
      logStream: logs,
      file: {},
    });
    assert.equal(await signedKid(second, 'api'), usedKid, 'a keyset a signer uses is kept');
    assert.equal(await status(second, '/admin/consumers/guest'), 200, 'so is a profile’s consumer');
    assert.equal(
      await status(second, '/admin/consumers/guest/jwt/guest-key'),
      404,
      'but nothing authenticates as it any more',
    );
    const kept = logs.records().map((record) => String(record.msg));
    assert.ok(kept.some((msg) => /keyset "used" .* signer "api" still uses it: kept/.test(msg)));
    assert.ok(
      kept.some((msg) => /consumer "guest" .* profile "api" .* still uses it: kept/.test(msg)),
    );
    assert.deepEqual((await keysOf(second, 'back')).keys, [[backKid, 'previous']], 'retired');
    // Signing with a retired keyset (a new signer, a profile's *_keyset) makes it sign again.
    const lazy = await call(second, 'POST', '/admin/signers', signer('lazy', 'lazy'));
    assert.equal(lazy.statusCode, 201, lazy.body);
    assert.equal(await signedKid(second, 'lazy'), lazyKid);
    await second.close();

    const third = await startSts({ clock, env, dataDir: first.dataDir, file: { keysets } });
    assert.deepEqual(
      await keysOf(third, 'back'),
      { retiredAt: null, keys: [[backKid, 'current']] },
      'the key it had signs again: no verifier lacks it',
    );
    await third.cleanup();
  });
});
