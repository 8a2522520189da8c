import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { decodeProtectedHeader } from 'jose';
import { tempDir } from '../helpers';
import { startIdp, type LocalIdp } from '../idp';
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

/** Plus the start of the load test below, also at once on an empty database. */
const STARTS = 2;
const WORKERS = 6;
const TOKEN = 'several-admin';
/** Bounds a wait for the instances (a hang fails), never a measured threshold. */
const WAIT_BOUND_MS = 40_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(what: string, check: () => Promise<boolean> | boolean): Promise<void> {
  const bound = Date.now() + WAIT_BOUND_MS;
  while (!(await check())) {
    if (Date.now() > bound) assert.fail(`${what}: not within ${WAIT_BOUND_MS} ms`);
    await sleep(100);
  }
}

/** Current keys per keyset as the store holds them. */
const currentKeys = (url: string) =>
  queryPostgres<{ name: string; kid: string }>(
    url,
    `SELECT k.name, s.kid FROM signing_keys s JOIN keysets k ON k.id = s.keyset_id
     WHERE s.status = 'current' ORDER BY k.name`,
  );

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

  it(`/exchange load on two instances while both rotate: every token verifies against each instance's JWKS; kill -9 mid-rotation, the other completes it`, async (t) => {
    const url = await databases.create(t);
    if (!url) return;
    const idp: LocalIdp = await startIdp('ES256');
    t.after(() => idp.close());
    const file = {
      keysets: [{ name: 'edge', algorithm: 'ES256' }],
      profiles: [
        {
          name: 'api',
          access_token_jwks_uri: idp.jwksUri,
          access_token_keyset: 'edge',
          access_token_signing_algorithm: 'ES256',
          channel_token_optional: true,
        },
        // Its keyset is created by whichever instance serves the profile first.
        {
          name: 'fresh',
          access_token_jwks_uri: idp.jwksUri,
          access_token_keyset: 'fresh',
          channel_token_optional: true,
        },
      ],
    };
    const env = { DATABASE_URL: url, STS_ADMIN_TOKEN: TOKEN };
    const [a, b] = await Promise.all([
      spawnSts({ dataDir: tempDir(), env, file }),
      spawnSts({ dataDir: tempDir(), env, file }),
    ]);
    const instances = [a, b];
    t.after(async () => {
      for (const sts of instances) await sts.kill9();
    });
    // Started together on an empty database, like the test above.
    assert.deepEqual(
      (await currentKeys(url)).map((r) => r.name),
      ['default', 'edge'],
    );
    assert.deepEqual(await fetchJwks(a.base), await fetchJwks(b.base));
    const admin = adminCall(TOKEN);
    const alive = new Set<StsProcess>(instances);

    // Never two current keys: the store is watched for the whole test.
    const twoCurrent: string[] = [];
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        const rows = await currentKeys(url);
        const names = rows.map((r) => r.name);
        if (new Set(names).size !== names.length) twoCurrent.push(JSON.stringify(rows));
        await sleep(50);
      }
    })().catch((err: Error) => twoCurrent.push(`watcher: ${err.message}`));

    const failures: string[] = [];
    /** kid → the instances that signed with it. */
    const signedBy = new Map<string, Set<string>>();
    let verified = 0;
    let loading = true;
    const worker = async (id: number) => {
      for (let n = 0; loading; n++) {
        const target = instances[(id + n) % 2]!;
        if (!alive.has(target)) continue;
        const subject = await idp.sign({
          sub: `w${id}-${n}`,
          exp: Math.floor(Date.now() / 1000) + 600,
        });
        let res;
        try {
          res = await fetchJson<{ access_token: string }>(
            `${target.base}/exchange/${n % 4 ? 'api' : 'fresh'}`,
            {
              method: 'POST',
              headers: { authorization: `Bearer ${subject}` },
            },
          );
        } catch (err) {
          // The instance was killed under this request: the gateway retries elsewhere.
          if (!alive.has(target)) continue;
          throw err;
        }
        if (res.status !== 200) {
          if (alive.has(target))
            failures.push(`exchange: ${res.status} ${JSON.stringify(res.body)}`);
          continue;
        }
        const token = res.body.access_token;
        const kid = decodeProtectedHeader(token).kid!;
        const who = target === a ? 'a' : 'b';
        signedBy.set(kid, (signedBy.get(kid) ?? new Set()).add(who));
        // A verifier downstream fetches the JWKS from whichever instance it reaches: each alone
        // must hold the key.
        for (const verifier of [...alive]) {
          const failure = await fetchJwks(verifier.base).then(
            (jwks) => verifyFailure(token, jwks),
            (err: Error) => `no JWKS: ${err.message}`,
          );
          // An instance killed meanwhile has no say.
          if (failure && alive.has(verifier))
            failures.push(
              `signed by ${who}, kid ${kid}, against ${verifier === a ? 'a' : 'b'}: ${failure}`,
            );
        }
        verified++;
      }
    };
    const whileLoaded = async (count: number) => {
      const target = verified + count;
      await until(`${count} more tokens`, () => verified >= target || failures.length > 0);
    };
    const signsOn = (sts: StsProcess, kid: string) =>
      signedBy.get(kid)?.has(sts === a ? 'a' : 'b') ?? false;

    const workers = Array.from({ length: WORKERS }, (_, id) =>
      worker(id).catch((err: Error) => failures.push(`worker ${id}: ${err.message}`)),
    );
    try {
      await whileLoaded(50);
      const [first] = await currentKeys(url).then((rows) => rows.filter((r) => r.name === 'edge'));

      // Both instances are asked to rotate at once: one next key, switched to by both.
      const rotations = await Promise.all(
        instances.map((sts) => admin(sts.base, 'POST', '/admin/keysets/edge/rotate')),
      );
      assert.deepEqual(
        rotations.map((r) => r.status),
        [200, 200],
        JSON.stringify(rotations),
      );
      const nexts = await queryPostgres<{ kid: string }>(
        url,
        `SELECT kid FROM signing_keys WHERE status = 'next'`,
      );
      assert.equal(nexts.length, 1, 'two rotations at once publish one next key');
      const second = nexts[0]!.kid;
      assert.notEqual(second, first!.kid);
      await until(
        'both instances sign with the next key',
        () => signsOn(a, second) && signsOn(b, second),
      );
      await whileLoaded(30);

      // a rotates, and is killed once the next key is stored: b switches to it when it is due.
      const rotated = await admin(a.base, 'POST', '/admin/keysets/edge/rotate');
      assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
      alive.delete(a);
      await a.kill9();
      const third = (rotated.body as { keys: { kid: string; status: string }[] }).keys.find(
        (k) => k.status === 'next',
      )!.kid;
      await until('b completes the rotation a started', () => signsOn(b, third));
      await whileLoaded(30);
      assert.deepEqual(
        (await currentKeys(url)).filter((r) => r.name === 'edge').map((r) => r.kid),
        [third],
      );
    } finally {
      loading = false;
      await Promise.all(workers);
      watching = false;
      await watcher;
    }
    assert.deepEqual(failures, []);
    assert.deepEqual(twoCurrent, [], 'never two current keys');
    t.diagnostic(
      `${verified} tokens, each verified against every live instance's JWKS, 0 failures`,
    );
  });
});
