import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Client } from 'pg';
import { KeysetRotation } from '../src/keys/keyset-rotation';
import { KeysetService } from '../src/keys/keyset.service';
import { startSts, tempDir } from './helpers';
import { POSTGRES_ADMIN_URL, postgresReachable } from './postgres';

describe('on PostgreSQL (several instances sharing one store)', () => {
  const database = `sts_test_${randomBytes(6).toString('hex')}`;
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${database}`;
  const admin = new Client({ connectionString: POSTGRES_ADMIN_URL });

  let available = false;
  before(async () => {
    available = await postgresReachable();
    // A machine without PostgreSQL skips with a message; CI machines run one (and so never skip).
    if (!available && !process.env.CI) return;
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`);
  });
  after(async () => {
    if (!available && !process.env.CI) return;
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
  });

  it('runs every migration, keeps keys encrypted and shares rotations between two instances', async (t) => {
    if (!available && !process.env.CI) return t.skip(`no PostgreSQL at ${POSTGRES_ADMIN_URL}`);
    const env = { DATABASE_URL: url.toString() };
    const file = { keysets: [{ name: 'edge', algorithm: 'ES256' }] };
    const a = await startSts({ env, file, dataDir: tempDir() });
    const b = await startSts({ env, file, dataDir: tempDir() });
    const before = (await a.inject({ url: '/jwks/edge' })).json<{ keys: { kid: string }[] }>();
    assert.deepEqual(
      (await b.inject({ url: '/jwks/edge' })).json(),
      before,
      'one store, one keyset',
    );

    const rotated = await a.app.get(KeysetRotation).rotate('edge');
    await b.app.get(KeysetService).sync();
    const seenByB = (await b.inject({ url: '/jwks/edge' })).json<{ keys: { kid: string }[] }>();
    assert.equal(seenByB.keys[0]!.kid, rotated.kid, 'the other instance picks the rotation up');

    const check = new Client({ connectionString: url.toString() });
    await check.connect();
    const { rows } = await check.query<{ private_jwk_encrypted: string }>(
      'SELECT private_jwk_encrypted FROM signing_keys',
    );
    await check.end();
    assert.ok(rows.length >= 3);
    for (const row of rows) assert.equal(row.private_jwk_encrypted.includes('"d"'), false);
    await a.cleanup();
    await b.cleanup();
  });
});
