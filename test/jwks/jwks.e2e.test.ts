import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { DataSource } from 'typeorm';
import { KeyRegistry } from '../../src/keys/key-registry';
import { MasterKeyRing } from '../../src/keys/master-key';
import { createApp } from '../../src/app';
import { ConfigError } from '../../src/common/validation';
import { LogCapture, startSts, tempDir, TEST_MASTER_KEY, type TestSts } from '../helpers';

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth'];

describe('JWKS endpoints on a fresh start', () => {
  let sts: TestSts;
  before(async () => {
    sts = await startSts({
      file: {
        keysets: [
          { name: 'internal', algorithm: 'HS256' },
          { name: 'edge', algorithm: 'ES256' },
        ],
      },
    });
  });
  after(() => sts.cleanup());

  it('publishes the default RSA key with kid = RFC 7638 thumbprint and no private member', async () => {
    const res = await sts.inject({ url: '/jwks/default' });
    assert.equal(res.statusCode, 200);
    const { keys } = res.json<{ keys: JWK[] }>();
    assert.equal(keys.length, 1);
    const [key] = keys as [JWK];
    assert.equal(key.kty, 'RSA');
    assert.equal(key.alg, 'RS256');
    assert.equal(key.use, 'sig');
    assert.equal(key.kid, await calculateJwkThumbprint(key));
    assert.equal(Buffer.from(key.n!, 'base64url').length * 8, 2048);
  });

  it('serves the same document at both paths, without HMAC keys or private members', async () => {
    const wellKnown = await sts.inject({ url: '/.well-known/jwks.json' });
    const jwks = await sts.inject({ url: '/jwks' });
    assert.equal(wellKnown.body, jwks.body);
    const { keys } = wellKnown.json<{ keys: JWK[] }>();
    assert.deepEqual(keys.map((k) => k.kty).sort(), ['EC', 'RSA']);
    for (const member of PRIVATE_MEMBERS)
      assert.equal(wellKnown.body.includes(`"${member}":`), false, member);
    assert.deepEqual((await sts.inject({ url: '/jwks/internal' })).json(), { keys: [] });
  });

  it('sets Cache-Control and ETag and answers 304 on If-None-Match', async () => {
    const first = await sts.inject({ url: '/.well-known/jwks.json' });
    assert.match(String(first.headers['cache-control']), /^public, max-age=\d+$/);
    const etag = String(first.headers.etag);
    assert.match(etag, /^".+"$/);
    const again = await sts.inject({
      url: '/.well-known/jwks.json',
      headers: { 'if-none-match': `W/${etag}` },
    });
    assert.equal(again.statusCode, 304);
    assert.equal(again.body, '');
    const other = await sts.inject({
      url: '/.well-known/jwks.json',
      headers: { 'if-none-match': '"other"' },
    });
    assert.equal(other.statusCode, 200);
  });

  it('answers 404 in the error shape for an unknown keyset', async () => {
    const res = await sts.inject({ url: '/jwks/nope' });
    assert.equal(res.statusCode, 404);
    assert.deepEqual(res.json(), {
      error: 'not_found',
      error_description: 'keyset "nope" not found',
      code: 'ERR_NOT_FOUND',
    });
  });

  it('stores no private key material in clear in the SQLite file', async () => {
    // Decrypt the stored rows with the master key the test configured to learn the real secrets.
    const ring = new MasterKeyRing([TEST_MASTER_KEY]);
    type Row = {
      keyset_id: string;
      kid: string;
      private_jwk_encrypted: string;
      master_key_id: string;
      name: string;
    };
    const rows = await sts.app
      .get(DataSource)
      .query<Row[]>(
        'SELECT k.keyset_id, k.kid, k.private_jwk_encrypted, k.master_key_id, s.name FROM signing_keys k JOIN keysets s ON s.id = k.keyset_id',
      );
    const secrets = rows.flatMap((row) => {
      const jwk = JSON.parse(
        ring.decrypt(
          row.private_jwk_encrypted,
          row.master_key_id,
          `sts-keyset:${row.keyset_id}:${row.kid}`,
        ),
      ) as Record<string, string>;
      return [jwk.d, jwk.p, jwk.q, jwk.k].filter((v): v is string => v !== undefined);
    });
    assert.ok(rows.some((r) => r.name === 'default') && rows.some((r) => r.name === 'internal'));
    assert.ok(secrets.length >= 5);
    const raw = Buffer.concat(
      ['sts.sqlite', 'sts.sqlite-wal']
        .map((f) => join(sts.dataDir, f))
        .map((f) => {
          try {
            return readFileSync(f);
          } catch {
            return Buffer.alloc(0);
          }
        }),
    );
    assert.ok(raw.length > 0);
    for (const secret of secrets) {
      assert.equal(raw.includes(Buffer.from(secret)), false, 'private member found in clear');
      assert.equal(
        raw.includes(Buffer.from(secret, 'base64url')),
        false,
        'raw private bytes found',
      );
    }
  });
});

describe('start-up', () => {
  it('keeps keys across restarts and refuses to start with the wrong master key', async () => {
    const sts = await startSts();
    const before = (await sts.inject({ url: '/jwks' })).body;
    await sts.close();
    const again = await startSts({ dataDir: sts.dataDir });
    assert.equal((await again.inject({ url: '/jwks' })).body, before);
    await again.close();
    await assert.rejects(
      startSts({
        dataDir: sts.dataDir,
        env: { STS_MASTER_KEY: Buffer.alloc(32, 9).toString('base64') },
      }),
      /cannot load keyset "default" key .*master key \w+, which STS_MASTER_KEY does not hold/,
    );
    await sts.cleanup();
  });

  it('refuses a sealed private key moved to another keyset or kid (AES-GCM additional data)', async () => {
    const file = {
      keysets: [
        { name: 'one', algorithm: 'ES256' },
        { name: 'two', algorithm: 'ES256' },
      ],
    };
    const sts = await startSts({ file });
    type KeyRow = { id: string; kid: string; public_jwk: string; private_jwk_encrypted: string };
    const keyOf = async (keyset: string) =>
      (
        await sts.app
          .get(DataSource)
          .query<KeyRow[]>(
            'SELECT k.id, k.kid, k.public_jwk, k.private_jwk_encrypted FROM signing_keys k JOIN keysets s ON s.id = k.keyset_id WHERE s.name = ?',
            [keyset],
          )
      )[0]!;
    const [one, two] = [await keyOf('one'), await keyOf('two')];
    await sts.close();
    const setKey = (id: string, key: Omit<KeyRow, 'id'>) => {
      const db = new Database(join(sts.dataDir, 'sts.sqlite'));
      db.prepare(
        'UPDATE signing_keys SET kid = ?, public_jwk = ?, private_jwk_encrypted = ? WHERE id = ?',
      ).run(key.kid, key.public_jwk, key.private_jwk_encrypted, id);
      db.close();
    };
    /** Restarts; the moved key is named in the log, never published, and another key signs. */
    const refused = async (keyset: string, kid: string) => {
      const logs = new LogCapture();
      const restarted = await startSts({ file, dataDir: sts.dataDir, logStream: logs });
      try {
        assert.ok(
          logs.lines.some((line) =>
            line.includes(
              `keyset \\"${keyset}\\" key ${kid} (current): the stored record is damaged (its private key does not decrypt)`,
            ),
          ),
          logs.lines.join('\n'),
        );
        const jwks = (await restarted.inject({ url: `/jwks/${keyset}` })).json<{ keys: JWK[] }>();
        assert.ok(!jwks.keys.some((k) => k.kid === kid));
        const signing = restarted.app.get(KeyRegistry).signingKey(keyset);
        assert.notEqual(signing.kid, kid);
        assert.ok(jwks.keys.some((k) => k.kid === signing.kid));
      } finally {
        await restarted.close();
      }
    };

    // Keyset one's key, kid and all, copied into keyset two (same master key, same algorithm).
    setKey(two.id, one);
    await refused('two', one.kid);

    // A key row of keyset one under another kid.
    setKey(one.id, { ...one, kid: `${one.kid}-moved` });
    await refused('one', `${one.kid}-moved`);
    await sts.cleanup();
  });

  it('refuses production without a master key, and generates a development key otherwise', async () => {
    const dataDir = tempDir();
    await assert.rejects(
      createApp({ env: { STS_DATA_DIR: dataDir, NODE_ENV: 'production' }, logger: false }),
      /NODE_ENV=production requires STS_MASTER_KEY/,
    );
    const emptyConfig = join(dataDir, 'sts.config.json');
    writeFileSync(emptyConfig, '{}');
    const { app } = await createApp({
      env: { STS_DATA_DIR: dataDir, STS_CONFIG: emptyConfig },
      logger: false,
    });
    assert.match(readFileSync(join(dataDir, 'master.key'), 'utf8'), /^[A-Za-z0-9+/]{43}=\n$/);
    await app.close();
  });

  it('prints the production refusal once, as one line, and exits 1', () => {
    const run = spawnSync(process.execPath, [join(__dirname, '..', '..', 'src', 'main.js')], {
      env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', STS_DATA_DIR: tempDir() },
      encoding: 'utf8',
    });
    assert.equal(run.status, 1);
    const output = `${run.stdout}${run.stderr}`.split('\n');
    const mentions = output.filter((line) => line.includes('STS_MASTER_KEY'));
    assert.deepEqual(mentions, [
      'start-up failed: NODE_ENV=production requires STS_MASTER_KEY (32 bytes, base64; `openssl rand -base64 32`) to encrypt private keys at rest',
    ]);
    assert.ok(!output.some((line) => line.includes('"level":50')), 'no error log line as well');
  });

  it('fails on an invalid config file with every problem listed', async () => {
    await assert.rejects(
      startSts({ file: { keysets: [{ name: 'x', algorithm: 'none' }], signers: [{ name: 'y' }] } }),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        const paths = err.problems.map((p) => p.path);
        assert.ok(paths.includes('keysets[0].algorithm'), paths.join());
        assert.ok(paths.includes('signers[0].keys_to_sign'), paths.join());
        return true;
      },
    );
  });

  it('never replaces a stored keyset silently', async () => {
    const sts = await startSts({ file: { keysets: [{ name: 'edge', algorithm: 'ES256' }] } });
    await sts.close();
    await assert.rejects(
      startSts({ dataDir: sts.dataDir, file: { keysets: [{ name: 'edge', algorithm: 'RS256' }] } }),
      /keyset "edge" is stored with algorithm ES256 .* never replaced silently/,
    );
    await sts.cleanup();
  });
});
