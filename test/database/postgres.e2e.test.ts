import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it, mock, type TestContext } from 'node:test';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { ConsumersAdminService } from '../../src/admin/consumers-admin.service';
import { ConsumerService } from '../../src/consumers/consumer.service';
import { ConsumerEntity } from '../../src/database/consumer.entity';
import { KeysetRotation } from '../../src/keys/keyset-rotation';
import { KeysetService } from '../../src/keys/keyset.service';
import { SHARED_STORE_PREPUBLISH_SECONDS } from '../../src/keys/rotation-policy';
import { RotationScheduler } from '../../src/keys/rotation-scheduler';
import {
  adminClient,
  ManualClock,
  publishedKids,
  signedKid,
  startSts,
  tempDir,
  type TestSts,
} from '../helpers';
import { POSTGRES_ADMIN_URL, postgresReachable } from '../postgres';

const TOKEN = 'postgres-admin-token';

describe('on PostgreSQL (several instances sharing one store)', () => {
  const admin = new Client({ connectionString: POSTGRES_ADMIN_URL });
  const databases: string[] = [];

  let available = false;
  before(async () => {
    available = await postgresReachable();
    // A machine without PostgreSQL skips with a message; CI machines run one (and so never skip).
    if (!available && !process.env.CI) return;
    await admin.connect();
  });
  after(async () => {
    if (!available && !process.env.CI) return;
    for (const database of databases)
      await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
  });

  /** Two instances on a fresh database; undefined (the test skipped) without PostgreSQL. */
  async function twoInstances(
    t: TestContext,
    options: { file: object; clock?: ManualClock },
  ): Promise<{ a: TestSts; b: TestSts; url: string } | undefined> {
    if (!available && !process.env.CI) {
      t.skip(`no PostgreSQL at ${POSTGRES_ADMIN_URL}`);
      return undefined;
    }
    const database = `sts_test_${randomBytes(6).toString('hex')}`;
    await admin.query(`CREATE DATABASE ${database}`);
    databases.push(database);
    const url = new URL(POSTGRES_ADMIN_URL);
    url.pathname = `/${database}`;
    const env = { DATABASE_URL: url.toString(), STS_ADMIN_TOKEN: TOKEN };
    const a = await startSts({ ...options, env, dataDir: tempDir() });
    const b = await startSts({ ...options, env, dataDir: tempDir() });
    t.after(async () => {
      await a.cleanup();
      await b.cleanup();
    });
    return { a, b, url: url.toString() };
  }

  it('runs every migration, keeps keys encrypted and shares rotations between two instances', async (t) => {
    const clock = new ManualClock();
    const file = { keysets: [{ name: 'edge', algorithm: 'ES256' }] };
    const both = await twoInstances(t, { file, clock });
    if (!both) return;
    const { a, b, url } = both;
    const before = (await a.inject({ url: '/jwks/edge' })).json<{ keys: { kid: string }[] }>();
    assert.deepEqual(
      (await b.inject({ url: '/jwks/edge' })).json(),
      before,
      'one store, one keyset',
    );

    const rotated = await a.app.get(KeysetRotation).rotate('edge');
    await b.app.get(KeysetService).sync();
    assert.ok((await publishedKids(b, 'edge')).includes(rotated.kid), 'the other instance has it');
    clock.advance(SHARED_STORE_PREPUBLISH_SECONDS * 1000);
    await a.app.get(RotationScheduler).tick();
    await b.app.get(RotationScheduler).tick();
    assert.equal((await publishedKids(b, 'edge'))[0], rotated.kid, 'and picks the switch up');

    const check = new Client({ connectionString: url });
    await check.connect();
    const { rows } = await check.query<{ private_jwk_encrypted: string }>(
      'SELECT private_jwk_encrypted FROM signing_keys',
    );
    await check.end();
    assert.ok(rows.length >= 2);
    for (const row of rows) assert.equal(row.private_jwk_encrypted.includes('"d"'), false);
  });

  it('no instance signs with a key another one does not publish yet', async (t) => {
    const clock = new ManualClock();
    const file = {
      keysets: [
        { name: 'edge', algorithm: 'ES256' },
        // Asks for no pre-publication at all: instances sharing a store still get the minimum.
        { name: 'sched', algorithm: 'ES256', rotation: { period: '1d', prepublish: '0s' } },
      ],
      signers: [
        { name: 'edge', keyset: 'edge', 'keys-to-sign': ['access_token'] },
        { name: 'sched', keyset: 'sched', 'keys-to-sign': ['access_token'] },
      ],
    };
    const both = await twoInstances(t, { file, clock });
    if (!both) return;
    const { a, b } = both;
    /** Whatever `a` signs, `b` publishes — before `b` has synced with the store. */
    const signsOnlyPublished = async (signer: string) => {
      const kid = await signedKid(a, signer);
      assert.ok((await publishedKids(b, signer)).includes(kid), `${signer}: ${kid} unpublished`);
      return kid;
    };
    const tick = async (sts: TestSts) => sts.app.get(RotationScheduler).tick();
    const before = await signsOnlyPublished('edge');

    // An immediate rotation through the admin API becomes the minimum pre-publication.
    const rotate = await adminClient(a, TOKEN)('POST', '/admin/keysets/edge/rotate');
    assert.equal(rotate.statusCode, 200, rotate.body);
    assert.equal(await signsOnlyPublished('edge'), before);
    const next = rotate.json<{ keys: { kid: string; status: string; active_from: string }[] }>()
      .keys[1]!;
    assert.equal(next.status, 'next');
    assert.equal(
      next.active_from,
      new Date(clock.now() + SHARED_STORE_PREPUBLISH_SECONDS * 1000).toISOString(),
    );
    await tick(b);
    clock.advance(SHARED_STORE_PREPUBLISH_SECONDS * 1000);
    await tick(a);
    assert.equal(await signsOnlyPublished('edge'), next.kid);

    // A key pre-published long enough ago switches at once.
    const call = adminClient(b, TOKEN);
    await tick(b);
    await call('POST', '/admin/keysets/edge/rotate?prepublish=1h');
    await tick(a);
    clock.advance(SHARED_STORE_PREPUBLISH_SECONDS * 1000);
    const now = await call('POST', '/admin/keysets/edge/rotate');
    assert.equal(now.json<{ keys: { status: string }[] }>().keys[0]!.status, 'current');
    assert.notEqual(await signedKid(b, 'edge'), next.kid);

    // A scheduled rotation with `prepublish: 0s` publishes first too.
    const first = await signsOnlyPublished('sched');
    clock.advance(24 * 3600_000 - SHARED_STORE_PREPUBLISH_SECONDS * 1000);
    await tick(a);
    assert.equal(await signsOnlyPublished('sched'), first, 'published, not signing yet');
    await tick(b);
    clock.advance(SHARED_STORE_PREPUBLISH_SECONDS * 1000);
    await tick(a);
    assert.notEqual(await signsOnlyPublished('sched'), first);
  });

  it('an instance reads its own writes while a sync of another instance’s write overlaps', async (t) => {
    const both = await twoInstances(t, { file: {} });
    if (!both) return;
    const { a, b } = both;
    const callA = adminClient(a, TOKEN);

    // a's next sync stops right after reading consumer rows (b's), until released.
    let reached!: () => void;
    let release!: () => void;
    const reading = new Promise<void>((resolve) => (reached = resolve));
    const released = new Promise<void>((resolve) => (release = resolve));
    let armed = true;
    a.app.get(DataSource).subscribers.push({
      listenTo: () => ConsumerEntity,
      afterLoad: () => {
        if (!armed) return;
        armed = false;
        reached();
        return released;
      },
    });
    assert.equal(
      (await adminClient(b, TOKEN)('POST', '/admin/consumers', { username: 'bob' })).statusCode,
      201,
    );
    const syncing = a.app.get(ConsumerService).sync();
    await reading;

    // a writes a consumer meanwhile; the sync's older read must not replace it. (An admin write
    // first catches up with the store, which would wait for this sync: it is skipped here, as
    // when the timer's sync starts right after the write caught up.)
    mock.method(a.app.get(ConsumersAdminService), 'caughtUp', () => Promise.resolve());
    const created = callA('POST', '/admin/consumers', { username: 'alice' });
    const store = new Client({ connectionString: both.url });
    await store.connect();
    while ((await store.query(`SELECT 1 FROM consumers WHERE username = 'alice'`)).rowCount === 0)
      await new Promise((resolve) => setTimeout(resolve, 5));
    await store.end();
    // Give the write every chance to finish before the stale read is applied.
    await Promise.race([created, new Promise((resolve) => setTimeout(resolve, 200))]);
    release();
    await syncing;
    assert.equal((await created).statusCode, 201);

    const credential = await callA('POST', '/admin/consumers/alice/jwt', {
      key: 'alice-key',
      secret: 'a'.repeat(32),
    });
    assert.equal(credential.statusCode, 201, credential.body);
    assert.equal((await callA('GET', '/admin/consumers/bob')).statusCode, 200);
  });
});
