import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { tempDir } from '../helpers';
import { fetchJwks, PostgresDatabases, queryPostgres, spawnSts } from './processes';

const STARTS = 3;
/** Everything a file can declare: each instance applies it to the store at start. */
const FILE = {
  keysets: [{ name: 'edge', algorithm: 'ES256' }],
  signers: [{ name: 'edge', keyset: 'edge', 'keys-to-sign': ['access_token'] }],
  consumers: [{ username: 'alice', jwt_secrets: [{ key: 'alice-key', secret: 'a'.repeat(32) }] }],
  profiles: [
    { name: 'api', access_token_jwks_uri: 'http://127.0.0.1:9/jwks', channel_token_optional: true },
  ],
  clients: [
    { client_id: 'svc', client_secret: 'svc-secret', profile: 'api', audiences: ['https://o'] },
  ],
};

describe('several instances on one PostgreSQL, as real processes', () => {
  const databases = new PostgresDatabases();
  after(() => databases.dropAll());

  it(`two instances started at the same moment on an empty database (${STARTS} times): one schema, one current key per keyset, the same JWKS`, async (t) => {
    for (let round = 0; round < STARTS; round++) {
      const url = await databases.create(t);
      if (!url) return;
      const env = { DATABASE_URL: url };
      const started = await Promise.allSettled([
        spawnSts({ dataDir: tempDir(), env, file: FILE }),
        spawnSts({ dataDir: tempDir(), env, file: FILE }),
      ]);
      const both = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
      try {
        assert.deepEqual(
          started.flatMap((s) => (s.status === 'rejected' ? [String(s.reason)] : [])),
          [],
          `round ${round}: both instances start`,
        );
        const current = await queryPostgres<{ name: string; n: string }>(
          url,
          `SELECT k.name, count(*) AS n FROM signing_keys s JOIN keysets k ON k.id = s.keyset_id
           WHERE s.status = 'current' GROUP BY k.name ORDER BY k.name`,
        );
        assert.deepEqual(
          current.map((r) => [r.name, Number(r.n)]),
          [
            ['default', 1],
            ['edge', 1],
          ],
        );
        const keys = await queryPostgres(url, 'SELECT kid FROM signing_keys');
        assert.equal(keys.length, 2, 'no key was generated twice');
        const [a, b] = both;
        assert.deepEqual(await fetchJwks(a!.base), await fetchJwks(b!.base));
      } finally {
        for (const sts of both) await sts.stop();
      }
    }
  });
});
