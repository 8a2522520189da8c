import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compactVerify, createLocalJWKSet, decodeProtectedHeader, type JWK } from 'jose';
import { KeyRegistry } from '../../src/keys/key-registry';
import { KeysetRotation } from '../../src/keys/keyset-rotation';
import { KeysetStore, RevisionConflict } from '../../src/keys/keyset.store';
import { RETENTION_LEEWAY_SECONDS } from '../../src/keys/rotation-policy';
import { RotationScheduler } from '../../src/keys/rotation-scheduler';
import { KrakendSignerService } from '../../src/signing/krakend-signer.service';
import { ManualClock, startSts, verifyWithPyJwt, type TestSts } from '../helpers';

const SECOND = 1000;
const HOUR = 3600 * SECOND;

async function signWith(sts: TestSts, signer: string): Promise<string> {
  const res = await sts.inject({
    method: 'POST',
    url: `/token/${signer}`,
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify({ access_token: { sub: 'alice' } }),
  });
  assert.equal(res.statusCode, 200, res.body);
  return res.json<{ access_token: string }>().access_token;
}

const kidOf = (token: string): string => decodeProtectedHeader(token).kid!;
const publishedKids = async (sts: TestSts, keyset: string): Promise<string[]> =>
  (await sts.inject({ url: `/jwks/${keyset}` })).json<{ keys: JWK[] }>().keys.map((k) => k.kid!);

describe('manual rotation', () => {
  it('signs with the new kid, keeps the previous key published, and drops it once beyond retain and expired', async () => {
    const clock = new ManualClock();
    const sts = await startSts({
      clock,
      file: {
        keysets: [
          {
            name: 'edge',
            algorithm: 'ES256',
            rotation: { retain: 1, max_token_lifetime: '10m' },
          },
        ],
        signers: [{ name: 'edge', keyset: 'edge', 'keys-to-sign': ['access_token'] }],
      },
    });
    const keysets = sts.app.get(KeyRegistry);
    const rotation = sts.app.get(KeysetRotation);
    const jwks = async () => (await sts.inject({ url: '/jwks/edge' })).json<{ keys: JWK[] }>();
    const verifies = async (token: string) => {
      try {
        await compactVerify(token, createLocalJWKSet(await jwks()), { algorithms: ['ES256'] });
        return true;
      } catch {
        return false;
      }
    };
    const rotated: string[] = [];
    keysets.onRotation((name) => rotated.push(name));

    const first = await signWith(sts, 'edge');
    const etagBefore = (await sts.inject({ url: '/jwks' })).headers.etag;

    const newKey = await rotation.rotate('edge');
    assert.deepEqual(rotated, ['edge']);
    assert.notEqual(newKey.kid, kidOf(first));
    const second = await signWith(sts, 'edge');
    assert.equal(kidOf(second), newKey.kid, 'new tokens carry the new kid');
    assert.ok(await verifies(first), 'a token signed with the previous key still verifies');
    assert.equal(verifyWithPyJwt(first, await jwks(), ['ES256']).sub, 'alice');
    assert.deepEqual(await publishedKids(sts, 'edge'), [newKey.kid, kidOf(first)]);
    assert.notEqual((await sts.inject({ url: '/jwks' })).headers.etag, etagBefore);

    // A second rotation puts the first key beyond retain, but tokens it signed may still be
    // valid: it stays until max_token_lifetime + leeway after its retirement.
    clock.advance(60 * SECOND);
    await rotation.rotate('edge');
    assert.equal((await jwks()).keys.length, 3);
    const firstRetiredAt = clock.now() - 60 * SECOND;
    clock.advance(firstRetiredAt + (600 + RETENTION_LEEWAY_SECONDS) * SECOND - clock.now() - 1);
    await sts.app.get(RotationScheduler).tick();
    assert.equal(await verifies(first), true, 'kept until its tokens have expired');
    clock.advance(1);
    await sts.app.get(RotationScheduler).tick();
    assert.equal(await verifies(first), false, 'beyond retain and expired: gone');
    assert.ok(await verifies(second));
    assert.equal((await jwks()).keys.length, 2, 'current + retain previous');

    // The same state comes back from the database after a restart.
    const published = await jwks();
    await sts.close();
    const again = await startSts({
      clock,
      dataDir: sts.dataDir,
      file: { keysets: [{ name: 'edge', algorithm: 'ES256' }] },
    });
    assert.deepEqual((await again.inject({ url: '/jwks/edge' })).json(), published);
    await again.cleanup();
  });

  it('serializes concurrent rotations of one keyset', async () => {
    const sts = await startSts({
      file: { keysets: [{ name: 'busy', algorithm: 'EdDSA', rotation: { retain: 3 } }] },
    });
    const keysets = sts.app.get(KeyRegistry);
    const rotation = sts.app.get(KeysetRotation);
    const kids = await Promise.all([1, 2, 3].map(() => rotation.rotate('busy')));
    assert.equal(new Set(kids.map((k) => k.kid)).size, 3);
    const summary = keysets.describe('busy');
    assert.deepEqual(
      summary.keys.map((k) => k.status),
      ['current', 'previous', 'previous', 'previous'],
    );
    await sts.cleanup();
  });

  it('refuses to rotate an unknown keyset', async () => {
    const sts = await startSts();
    await assert.rejects(sts.app.get(KeysetRotation).rotate('nope'), /keyset "nope" not found/);
    await sts.cleanup();
  });
});

describe('scheduled rotation (injected clock)', () => {
  it('pre-publishes exactly prepublish before, rotates exactly at its time, then unpublishes by age', async () => {
    const clock = new ManualClock();
    const t0 = clock.now();
    const sts = await startSts({
      clock,
      file: {
        keysets: [
          {
            name: 'sched',
            algorithm: 'ES256',
            rotation: { period: '1d', prepublish: '1h', retain: 0, max_token_lifetime: '2h' },
          },
        ],
        signers: [{ name: 'sched', keyset: 'sched', 'keys-to-sign': ['access_token'] }],
      },
    });
    const scheduler = sts.app.get(RotationScheduler);
    const rotated: string[] = [];
    sts.app.get(KeyRegistry).onRotation((name) => rotated.push(name));
    const at = async (ms: number) => {
      clock.advance(t0 + ms - clock.now());
      await scheduler.tick();
    };

    const k1 = kidOf(await signWith(sts, 'sched'));
    await at(23 * HOUR - 1);
    assert.deepEqual(await publishedKids(sts, 'sched'), [k1], 'nothing published early');

    await at(23 * HOUR);
    const kids = await publishedKids(sts, 'sched');
    assert.equal(kids.length, 2, 'the next key is published exactly prepublish before');
    const k2 = kids[1]!;
    const view = sts.app.get(KeyRegistry).describe('sched');
    assert.equal(view.keys.find((k) => k.kid === k2)!.status, 'next');
    assert.equal(view.stored!.scheduledRotationAt, t0 + 24 * HOUR);
    assert.equal(kidOf(await signWith(sts, 'sched')), k1, 'a pre-published key never signs');

    await at(24 * HOUR - 1);
    assert.equal(kidOf(await signWith(sts, 'sched')), k1);
    assert.deepEqual(rotated, []);

    await at(24 * HOUR);
    assert.equal(kidOf(await signWith(sts, 'sched')), k2, 'rotation happens exactly at its time');
    assert.deepEqual(rotated, ['sched']);
    assert.deepEqual(await publishedKids(sts, 'sched'), [k2, k1], 'the old key stays published');

    // retain 0: the old key goes once every token it signed has expired (2 h + 60 s leeway).
    const gone = 24 * HOUR + 2 * HOUR + RETENTION_LEEWAY_SECONDS * SECOND;
    await at(gone - 1);
    assert.deepEqual(await publishedKids(sts, 'sched'), [k2, k1]);
    await at(gone);
    assert.deepEqual(await publishedKids(sts, 'sched'), [k2]);

    // The next period counts from when k2 started signing.
    await at(47 * HOUR - 1);
    assert.equal((await publishedKids(sts, 'sched')).length, 1);
    await at(47 * HOUR);
    assert.equal((await publishedKids(sts, 'sched')).length, 2);
    await sts.cleanup();
  });

  it('after downtime past the rotation time, still publishes a full prepublish window first', async () => {
    const clock = new ManualClock();
    const t0 = clock.now();
    const file = {
      keysets: [{ name: 'late', algorithm: 'EdDSA', rotation: { period: '1d', prepublish: '1h' } }],
    };
    const sts = await startSts({ clock, file });
    const k1 = (await publishedKids(sts, 'late'))[0]!;
    await sts.close();

    clock.advance(30 * HOUR); // no instance ran across the whole prepublish window
    const again = await startSts({ clock, dataDir: sts.dataDir, file });
    const keysets = again.app.get(KeyRegistry);
    assert.equal(keysets.signingKey('late').kid, k1, 'no key signs unannounced');
    assert.equal(keysets.describe('late').stored!.scheduledRotationAt, t0 + 31 * HOUR);
    clock.advance(HOUR);
    await again.app.get(RotationScheduler).tick();
    assert.notEqual(keysets.signingKey('late').kid, k1);
    await again.cleanup();
  });
});

describe('several instances sharing one database', () => {
  it('a stale writer loses: the revision guard writes nothing', async () => {
    const sts = await startSts({ file: { keysets: [{ name: 'race', algorithm: 'ES256' }] } });
    const store = sts.app.get(KeysetStore);
    const stale = (await store.read('race'))!;
    await sts.app.get(KeysetRotation).rotate('race');
    let ran = false;
    await assert.rejects(
      store.change(stale.keyset, () => {
        ran = true;
        return Promise.resolve();
      }),
      RevisionConflict,
    );
    assert.equal(ran, false);
    await sts.cleanup();
  });

  it('each instance applies what the other did: one rotation, same keys, same signers', async () => {
    const clock = new ManualClock();
    const file = {
      keysets: [
        { name: 'shared', algorithm: 'ES256', rotation: { period: '1d', prepublish: '1h' } },
      ],
    };
    const a = await startSts({ clock, file });
    const b = await startSts({ clock, file, dataDir: a.dataDir });
    const tickBoth = async () => {
      await a.app.get(RotationScheduler).tick();
      await b.app.get(RotationScheduler).tick();
    };

    clock.advance(23 * HOUR);
    await tickBoth();
    assert.equal((await publishedKids(a, 'shared')).length, 2);
    assert.deepEqual(await publishedKids(b, 'shared'), await publishedKids(a, 'shared'));

    clock.advance(HOUR);
    const rotatedOnB: string[] = [];
    b.app.get(KeyRegistry).onRotation((name) => rotatedOnB.push(name));
    await tickBoth();
    const statuses = a.app
      .get(KeyRegistry)
      .describe('shared')
      .keys.map((k) => k.status);
    assert.deepEqual(statuses, ['current', 'previous'], 'rotated once, not twice');
    assert.equal(
      b.app.get(KeyRegistry).signingKey('shared').kid,
      a.app.get(KeyRegistry).signingKey('shared').kid,
    );
    assert.deepEqual(rotatedOnB, ['shared'], 'listeners fire on the instance that synced too');

    // A keyset and a signer created through one instance serve on the other after a sync.
    await a.app.get(KrakendSignerService).put({
      name: 'fresh',
      keyset: 'fresh',
      alg: 'EdDSA',
      'keys-to-sign': ['access_token'],
    });
    await b.app.get(RotationScheduler).tick();
    await b.app.get(KrakendSignerService).sync();
    const token = await signWith(b, 'fresh');
    assert.equal(kidOf(token), a.app.get(KeyRegistry).signingKey('fresh').kid);

    await a.app.get(KrakendSignerService).remove('fresh');
    await b.app.get(KrakendSignerService).sync();
    const gone = await b.inject({
      method: 'POST',
      url: '/token/fresh',
      headers: { 'content-type': 'application/json' },
      payload: '{}',
    });
    assert.equal(gone.statusCode, 404);
    await b.close();
    await a.cleanup();
  });
});
