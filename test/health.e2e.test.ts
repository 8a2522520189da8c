import assert from 'node:assert/strict';
import { renameSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ReadinessProbes } from '../src/common/readiness-probes';
import { startSts, type TestSts } from './helpers';

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
