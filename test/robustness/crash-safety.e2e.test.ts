import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it, type TestContext } from 'node:test';
import Database from 'better-sqlite3';
import { decodeProtectedHeader, SignJWT, type JSONWebKeySet } from 'jose';
import { DataSource } from 'typeorm';
import { KeysetRotation } from '../../src/keys/keyset-rotation';
import { LogCapture, publishedKids, signedKid, startSts, tempDir } from '../helpers';
import {
  adminCall,
  fetchJson,
  fetchJwks,
  PostgresDatabases,
  queryPostgres,
  spawnSts,
  verifyFailure,
  type StsProcess,
} from './processes';

const TOKEN = 'crash-admin';
const admin = adminCall(TOKEN);
const FILE = {
  keysets: [{ name: 'edge', algorithm: 'ES256' }],
  signers: [{ name: 'edge', keyset: 'edge', 'keys-to-sign': ['access_token'] }],
  profiles: [{ name: 'kong', credentials: {}, channel_token_optional: true }],
};
/** Acknowledged admin writes before the kill; the rest are in flight when it lands. */
const ACKED_BEFORE_KILL = 40;
const WRITERS = 4;

const secretOf = (name: string) => `${name}-secret`.padEnd(32, '.');

/** A token the instance's KrakenD signer `edge` signs now. */
async function mint(sts: StsProcess): Promise<string> {
  const res = await fetchJson<{ access_token: string }>(`${sts.base}/token/edge`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      access_token: { sub: 'alice', exp: Math.floor(Date.now() / 1000) + 600 },
    }),
  });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.access_token;
}

/** Admin writes of every kind from several writers until `stop`; the acknowledged ones are kept. */
function adminWrites(sts: StsProcess) {
  const acked: { consumer: string; credential: boolean; patched: boolean; profile: boolean }[] = [];
  let count = 0;
  let stopped = false;
  const writer = async (id: number) => {
    for (let n = 0; !stopped; n++) {
      const name = `w${id}-${n}`;
      const record = { consumer: name, credential: false, patched: false, profile: false };
      try {
        const steps: [() => Promise<{ status: number }>, (() => void) | undefined][] = [
          [() => admin(sts.base, 'POST', '/admin/consumers', { username: name }), undefined],
          [
            () =>
              admin(sts.base, 'POST', `/admin/consumers/${name}/jwt`, {
                key: `${name}-key`,
                secret: secretOf(name),
              }),
            () => (record.credential = true),
          ],
          [
            () => admin(sts.base, 'PATCH', `/admin/consumers/${name}`, { custom_id: `c-${name}` }),
            () => (record.patched = true),
          ],
          [
            () =>
              admin(sts.base, 'PUT', `/admin/profiles/p-${name}`, {
                access_token_jwks_uri: 'http://127.0.0.1:9/jwks',
                channel_token_optional: true,
              }),
            () => (record.profile = true),
          ],
        ];
        for (const [write, done] of steps) {
          const res = await write();
          assert.ok(res.status < 300, `${name}: ${res.status}`);
          if (done) done();
          else acked.push(record);
          count++;
        }
      } catch {
        return; // the process is gone
      }
    }
  };
  const writers = Array.from({ length: WRITERS }, (_, id) => writer(id));
  return {
    acked,
    count: () => count,
    stop: async () => {
      stopped = true;
      await Promise.all(writers);
    },
  };
}

/** After a restart: every acknowledged write is there, whole (the credential verifies). */
async function assertWritesKept(sts: StsProcess, acked: ReturnType<typeof adminWrites>['acked']) {
  assert.ok(acked.length > 0);
  for (const record of acked) {
    const consumer = await admin(sts.base, 'GET', `/admin/consumers/${record.consumer}`);
    assert.equal(consumer.status, 200, `consumer ${record.consumer} lost`);
    if (record.patched) assert.equal(consumer.body.custom_id, `c-${record.consumer}`);
    if (record.profile)
      assert.equal(
        (await admin(sts.base, 'GET', `/admin/profiles/p-${record.consumer}`)).status,
        200,
      );
    if (!record.credential) continue;
    const token = await new SignJWT({ iss: `${record.consumer}-key` })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('10m')
      .sign(new TextEncoder().encode(secretOf(record.consumer)));
    const verified = await fetchJson(`${sts.base}/verify/kong`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(
      verified.status,
      200,
      `credential of ${record.consumer}: ${JSON.stringify(verified.body)}`,
    );
  }
}

/** The JWKS serves every key that signed, and the instance signs with a key it publishes. */
async function assertKeysConsistent(sts: StsProcess, tokens: string[]): Promise<JSONWebKeySet> {
  const jwks = await fetchJwks(sts.base);
  for (const token of tokens)
    assert.equal(
      await verifyFailure(token, jwks),
      undefined,
      `kid ${decodeProtectedHeader(token).kid}`,
    );
  assert.equal(await verifyFailure(await mint(sts), jwks), undefined, 'signs with a published key');
  const damaged = sts.lines.filter((l) => /damaged/.test(String(l.msg)));
  assert.deepEqual(damaged, [], 'no key record was half-written');
  return jwks;
}

describe('crash safety: kill -9, then a restart on the same data', () => {
  const databases = new PostgresDatabases();
  after(() => databases.dropAll());

  const stores: [string, (t: TestContext) => Promise<Record<string, string> | undefined>][] = [
    ['SQLite', () => Promise.resolve({})],
    [
      'PostgreSQL',
      async (t) => {
        const url = await databases.create(t);
        return url ? { DATABASE_URL: url } : undefined;
      },
    ],
  ];
  for (const [store, database] of stores) {
    it(`${store}: right after a rotation, and during admin writes and a rotation: no key lost or half-written, old tokens verify, every acknowledged write kept`, async (t) => {
      const storeEnv = await database(t);
      if (!storeEnv) return;
      const dataDir = tempDir();
      const env: Record<string, string> = { ...storeEnv, STS_ADMIN_TOKEN: TOKEN };
      const currentKeys = async (): Promise<number> => {
        const sql = `SELECT count(*) AS n FROM signing_keys s JOIN keysets k ON k.id = s.keyset_id WHERE k.name = 'edge' AND s.status = 'current'`;
        if (env.DATABASE_URL)
          return Number((await queryPostgres<{ n: string }>(env.DATABASE_URL, sql))[0]!.n);
        const db = new Database(join(dataDir, 'sts.sqlite'), { readonly: true });
        try {
          return (db.prepare(sql).get() as { n: number }).n;
        } finally {
          db.close();
        }
      };
      const tokens: string[] = [];

      // 1. Killed right after a rotation answered.
      let sts = await spawnSts({ dataDir, env, file: FILE });
      tokens.push(await mint(sts));
      const rotated = await admin(sts.base, 'POST', '/admin/keysets/edge/rotate');
      assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
      tokens.push(await mint(sts));
      await sts.kill9();
      assert.equal(await currentKeys(), 1);

      // 2. Killed during admin writes of every kind, with a rotation under way.
      sts = await spawnSts({ dataDir, env });
      await assertKeysConsistent(sts, tokens);
      tokens.push(await mint(sts));
      const writes = adminWrites(sts);
      while (writes.count() < ACKED_BEFORE_KILL)
        await new Promise((resolve) => setTimeout(resolve, 5));
      const rotating = admin(sts.base, 'POST', '/admin/keysets/edge/rotate').catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 5));
      await sts.kill9();
      await Promise.all([writes.stop(), rotating]);
      assert.equal(await currentKeys(), 1);

      sts = await spawnSts({ dataDir, env });
      try {
        await assertKeysConsistent(sts, tokens);
        await assertWritesKept(sts, writes.acked);
        assert.equal(await currentKeys(), 1);
      } finally {
        await sts.stop();
      }
      t.diagnostic(
        `${tokens.length} tokens minted before the kills verify; ${writes.acked.length} consumers acknowledged before the kill kept`,
      );
    });
  }

  it('a damaged key record is named in the log, never signs and is not published; a new key signs', async () => {
    const file = FILE;
    const sts = await startSts({ file });
    await sts.app.get(KeysetRotation).rotate('edge');
    const query = (sql: string) =>
      sts.app.get(DataSource).query<{ kid: string; status: string }[]>(sql);
    const rows = await query(
      `SELECT s.kid, s.status FROM signing_keys s JOIN keysets k ON k.id = s.keyset_id WHERE k.name = 'edge'`,
    );
    const current = rows.find((r) => r.status === 'current')!.kid;
    const previous = rows.find((r) => r.status === 'previous')!.kid;
    assert.equal(await signedKid(sts, 'edge'), current);
    await sts.close();

    // The current key's sealed private key loses a byte; the previous key's public key is another one.
    const db = new Database(join(sts.dataDir, 'sts.sqlite'));
    db.prepare(
      `UPDATE signing_keys SET private_jwk_encrypted = substr(private_jwk_encrypted, 1, 40) || substr(private_jwk_encrypted, 42) WHERE kid = ?`,
    ).run(current);
    db.prepare(
      `UPDATE signing_keys SET public_jwk = (SELECT public_jwk FROM signing_keys WHERE kid = ?) WHERE kid = ?`,
    ).run(current, previous);
    db.close();

    const logs = new LogCapture();
    const restarted = await startSts({ file, dataDir: sts.dataDir, logStream: logs });
    try {
      const named = logs.records().filter((r) => /damaged/.test(String(r.msg)));
      const signing = await signedKid(restarted, 'edge');
      assert.deepEqual(
        named.map((r) => r.msg as string).sort(),
        [
          `keyset "edge" key ${current} (current): the stored record is damaged (its private key does not decrypt); it never signs and is not published`,
          `keyset "edge" key ${previous} (previous): the stored record is damaged (its public key is not the one of its kid); it never signs and is not published`,
          `keyset "edge": its current key's record is damaged; kid ${signing} signs from now on`,
        ].sort(),
      );
      for (const r of named) assert.doesNotMatch(JSON.stringify(r), /"d"|ciphertext/);
      const published = await publishedKids(restarted, 'edge');
      assert.ok(
        !published.includes(current) && !published.includes(previous),
        'neither is published',
      );
      assert.notEqual(signing, current);
      assert.ok(published.includes(signing), 'the new key is published');
    } finally {
      await restarted.cleanup();
    }
  });
});
