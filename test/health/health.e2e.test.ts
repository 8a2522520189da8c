import assert from 'node:assert/strict';
import { renameSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ReadinessProbes } from '../../src/common/readiness-probes';
import { startSts, type TestSts } from '../helpers';
import { TestIdp } from '../idp';

interface Health {
  status: string;
  info?: Record<string, { status: string; [k: string]: unknown }>;
  error?: Record<string, { status: string; message?: string }>;
}

describe('health endpoints', () => {
  let sts: TestSts;
  before(async () => {
    sts = await startSts();
  });
  after(() => sts.cleanup());

  const ready = async () => {
    const res = await sts.inject({ url: '/health/ready' });
    assert.equal(res.headers['cache-control'], 'no-store');
    return { status: res.statusCode, body: res.json<Health>() };
  };

  it('live answers 200 while the process serves HTTP', async () => {
    const res = await sts.inject({ url: '/health/live' });
    assert.equal(res.statusCode, 200);
    assert.equal(res.json<Health>().status, 'ok');
  });

  it('ready checks the database with a real query and the default keyset', async () => {
    const { status, body } = await ready();
    assert.equal(status, 200);
    assert.equal(body.status, 'ok');
    assert.equal(body.info!.database!.status, 'up');
    assert.equal(body.info!.database!.keysets, 1);
    assert.equal(body.info!.keys!.status, 'up');
  });

  // Renaming is what an operator's mistake, a lost volume or a cleanup job looks like. The
  // app's open SQLite handle would keep answering from the unlinked file, so the probe also
  // queries through a fresh connection to the configured path.
  it('goes not-ready while the database file is unavailable, and back when restored', async () => {
    const file = join(sts.dataDir, 'sts.sqlite');
    renameSync(file, `${file}.moved`);
    try {
      const down = await ready();
      assert.equal(down.status, 503);
      assert.equal(down.body.status, 'error');
      assert.equal(down.body.error!.database!.status, 'down');
      assert.equal(
        down.body.error!.database!.message,
        'database file not usable at its configured path',
      );
      assert.equal(down.body.info!.keys!.status, 'up', 'the other checks still report');
      assert.equal((await sts.inject({ url: '/health/live' })).statusCode, 200, 'still live');
    } finally {
      renameSync(`${file}.moved`, file);
    }
    const up = await ready();
    assert.equal(up.status, 200);
    assert.equal(up.body.info!.database!.status, 'up');
  });

  it('includes probes other modules register', async () => {
    let warmed = false;
    sts.app.get(ReadinessProbes).register('warmup', () => {
      if (!warmed) throw new Error('cache not warmed yet');
      return { keys: 3 };
    });
    const cold = await ready();
    assert.equal(cold.status, 503);
    assert.equal(cold.body.error!.warmup!.status, 'down');
    assert.equal(cold.body.error!.warmup!.message, 'cache not warmed yet');
    warmed = true;
    const warm = await ready();
    assert.equal(warm.status, 200);
    assert.equal(warm.body.info!.warmup!.keys, 3);
  });
});

describe('IdP JWKS readiness follows the profiles that exist', () => {
  const ADMIN_TOKEN = 'admin-token-readiness-3f9a';
  let sts: TestSts;
  let idp: TestIdp;
  let cold1: TestIdp;
  let cold2: TestIdp;

  const admin = (method: 'POST' | 'PUT' | 'DELETE', url: string, payload?: object) =>
    sts.inject({ method, url, headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, payload });
  const profile = (name: string, jwksUri: string) => ({
    name,
    access_token_jwks_uri: jwksUri,
    channel_token_optional: true,
  });
  /** The status, and the idp_jwks check's message (when down) or count of sets (when up). */
  const idpJwks = async (): Promise<[number, unknown]> => {
    const res = await sts.inject({ url: '/health/ready' });
    const body = res.json<Health>();
    const down = body.error?.idp_jwks;
    return [res.statusCode, down ? down.message : body.info?.idp_jwks?.sets];
  };

  before(async () => {
    [idp, cold1, cold2] = await Promise.all([TestIdp.start(), TestIdp.start(), TestIdp.start()]);
    await idp.addKey('k1');
    cold1.mode = 'fail';
    cold2.mode = 'fail';
    const env = { STS_ADMIN_TOKEN: ADMIN_TOKEN };
    // Created through the admin API, then known at the next start (as in a running fleet).
    const first = await startSts({ env });
    sts = first;
    for (const created of [
      profile('api', idp.jwksUri),
      profile('a1', cold1.jwksUri),
      profile('a2', cold1.jwksUri),
      profile('b', cold2.jwksUri),
    ])
      assert.equal((await admin('POST', '/admin/profiles', created)).statusCode, 201);
    await first.close();
    sts = await startSts({ env, dataDir: first.dataDir });
  });
  after(async () => {
    await sts.cleanup();
    await Promise.all([idp.close(), cold1.close(), cold2.close()]);
  });

  it('a boot set stops counting once no profile uses it (deleted or edited away)', async () => {
    const notReady = (message: string) => [503, message];
    assert.deepEqual(await idpJwks(), notReady('2 of 3 identity-provider JWKS never fetched'));

    // a2 still verifies with cold1's keys.
    assert.equal((await admin('DELETE', '/admin/profiles/a1')).statusCode, 204);
    assert.deepEqual(await idpJwks(), notReady('2 of 3 identity-provider JWKS never fetched'));
    assert.equal((await admin('DELETE', '/admin/profiles/a2')).statusCode, 204);
    assert.deepEqual(await idpJwks(), notReady('1 of 2 identity-provider JWKS never fetched'));

    const moved = await admin('PUT', '/admin/profiles/b', profile('b', idp.jwksUri));
    assert.equal(moved.statusCode, 200, moved.body);
    assert.deepEqual(await idpJwks(), [200, 1]);

    // A set named at run time does not count, even one a boot profile used before (an admin typo
    // never takes a ready instance out of rotation).
    const typo = await admin('POST', '/admin/profiles', profile('typo', cold2.jwksUri));
    assert.equal(typo.statusCode, 201, typo.body);
    assert.deepEqual(await idpJwks(), [200, 1]);
  });
});
