import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';
import { DataSource, type EntitySubscriberInterface } from 'typeorm';
import { ConsumerService } from '../../src/consumers/consumer.service';
import { ConsumerEntity } from '../../src/database/consumer.entity';
import { JwtCredentialEntity } from '../../src/database/jwt-credential.entity';
import { MasterKeyRing } from '../../src/keys/master-key';
import { adminClient, ManualClock, startSts, type TestSts } from '../helpers';

const TOKEN = 'consumer-admin-token';
const env = { STS_ADMIN_TOKEN: TOKEN };

/** Counts the consumer and credential rows an instance reads, and the secrets it decrypts. */
function storeWork(sts: TestSts) {
  const counts = { rows: 0, decrypts: 0 };
  const counter: EntitySubscriberInterface = {
    afterLoad: (entity) => {
      if (entity instanceof ConsumerEntity || entity instanceof JwtCredentialEntity) counts.rows++;
    },
  };
  sts.app.get(DataSource).subscribers.push(counter);
  const ring = sts.app.get(MasterKeyRing);
  const decrypt = ring.decrypt.bind(ring);
  mock.method(ring, 'decrypt', (...args: Parameters<MasterKeyRing['decrypt']>) => {
    counts.decrypts++;
    return decrypt(...args);
  });
  /** What `work` read and decrypted. */
  return async (work: () => Promise<unknown>) => {
    counts.rows = counts.decrypts = 0;
    await work();
    return { ...counts };
  };
}

const createWithCredential = async (sts: TestSts, name: string): Promise<void> => {
  const call = adminClient(sts, TOKEN);
  assert.equal((await call('POST', '/admin/consumers', { username: name })).statusCode, 201);
  const res = await call('POST', `/admin/consumers/${name}/jwt`, {
    key: `${name}-key`,
    secret: `${name}-secret`.padEnd(32, '.'),
  });
  assert.equal(res.statusCode, 201, res.body);
};

describe('consumers change consumer by consumer', () => {
  it('a write reads and decrypts as many rows with 45 consumers as with 5', async () => {
    const sts = await startSts({ env });
    const measure = storeWork(sts);
    for (let i = 0; i < 5; i++) await createWithCredential(sts, `early-${i}`);
    const few = await measure(() => createWithCredential(sts, 'probe-1'));
    for (let i = 0; i < 40; i++) await createWithCredential(sts, `late-${i}`);
    const many = await measure(() => createWithCredential(sts, 'probe-2'));
    assert.deepEqual(many, few, 'the cost of a write does not grow with the consumers held');
    assert.ok(few.decrypts <= 1, `decrypts only the credential it wrote (${few.decrypts})`);
    // The next sync does not read back what this instance wrote itself.
    assert.deepEqual(await measure(() => sts.app.get(ConsumerService).sync()), {
      rows: 0,
      decrypts: 0,
    });
    await sts.cleanup();
  });

  it('an instance applies only what another one changed, deletions and renames included', async () => {
    const a = await startSts({ env });
    const b = await startSts({ env, dataDir: a.dataDir });
    const consumersOfB = b.app.get(ConsumerService);
    const measure = storeWork(b);
    for (let i = 0; i < 20; i++) await createWithCredential(a, `bulk-${i}`);
    await consumersOfB.sync();
    assert.equal(consumersOfB.credential('bulk-19-key')?.consumer.username, 'bulk-19');

    assert.deepEqual(await measure(() => consumersOfB.sync()), { rows: 0, decrypts: 0 });
    assert.deepEqual(
      await measure(async () => {
        await createWithCredential(a, 'one-more');
        await consumersOfB.sync();
      }),
      { rows: 2, decrypts: 1 },
      'one consumer and its credential read, one secret decrypted',
    );

    const call = adminClient(a, TOKEN);
    await call('PATCH', '/admin/consumers/bulk-1', { username: 'renamed' });
    await call('DELETE', '/admin/consumers/bulk-2');
    await call('DELETE', '/admin/consumers/bulk-3/jwt/bulk-3-key');
    await consumersOfB.sync();
    assert.equal(consumersOfB.find('username', 'bulk-1'), undefined);
    assert.equal(consumersOfB.credential('bulk-1-key')?.consumer.username, 'renamed');
    assert.equal(consumersOfB.find('username', 'bulk-2'), undefined);
    assert.equal(consumersOfB.credential('bulk-2-key'), undefined);
    assert.equal(consumersOfB.find('username', 'bulk-3')?.username, 'bulk-3');
    assert.equal(consumersOfB.credential('bulk-3-key'), undefined);
    await b.close();
    await a.cleanup();
  });

  it('an instance behind the change log reloads everything', async () => {
    const clock = new ManualClock();
    const a = await startSts({ env, clock });
    const b = await startSts({ env, clock, dataDir: a.dataDir });
    await createWithCredential(a, 'early');
    // b does not sync for two hours; meanwhile the log forgets what it recorded.
    clock.advance(2 * 3600_000);
    await createWithCredential(a, 'late');
    await createWithCredential(b, 'from-b');
    await a.app.get(ConsumerService).sync();
    await b.app.get(ConsumerService).sync();
    for (const key of ['early-key', 'late-key'])
      assert.ok(b.app.get(ConsumerService).credential(key), key);
    await b.close();
    await a.cleanup();
  });
});
