import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { it } from 'node:test';
import { compactVerify, createLocalJWKSet, type JSONWebKeySet } from 'jose';
import { createApp } from '../../src/app';
import { ConsumerService } from '../../src/consumers/consumer.service';
import { ProfileService } from '../../src/profiles/profile.service';
import { startSts, type TestSts } from '../helpers';

const OLD = Buffer.alloc(32, 1).toString('base64');
const NEW = Buffer.alloc(32, 2).toString('base64');
const NEWER = Buffer.alloc(32, 3).toString('base64');
const FILE = {
  keysets: [
    { name: 'edge', algorithm: 'ES256' },
    { name: 'internal', algorithm: 'HS256' },
  ],
  signers: [{ name: 'edge', keyset: 'edge', 'keys-to-sign': ['access_token'] }],
  // Secrets are sealed too: a profile credential, and (added through the API) an HMAC secret.
  profiles: [
    {
      name: 'introspected',
      access_token_introspection_endpoint: 'http://127.0.0.1:9/introspect',
      access_token_introspection_authorization: 'Basic aW50cm86c2VjcmV0',
      channel_token_optional: true,
    },
  ],
  consumers: [{ username: 'alice' }],
};
const SEALED = 5; // 3 private keys, the profile credential, alice's HMAC secret
const REKEY_CLI = join(__dirname, '..', '..', 'src', 'cli', 'rekey.js');

const sign = async (sts: TestSts): Promise<string> => {
  const res = await sts.inject({
    method: 'POST',
    url: '/token/edge',
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify({ access_token: { sub: 'alice' } }),
  });
  assert.equal(res.statusCode, 200, res.body);
  return res.json<{ access_token: string }>().access_token;
};

it('rekeys with `npm run rekey` and POST /admin/rekey; the old key alone then fails clearly', async () => {
  const first = await startSts({ file: FILE, env: { STS_MASTER_KEY: OLD } });
  await first.app
    .get(ConsumerService)
    .addCredential('alice', { key: 'alice-key', secret: 'alice-hmac-secret' });
  const token = await sign(first);
  const jwks = (await first.inject({ url: '/jwks' })).json<JSONWebKeySet>();
  await first.close();

  // The command, with the service's own environment and the new key listed first.
  const cli = spawnSync(process.execPath, [REKEY_CLI], {
    env: { ...process.env, ...first.env, STS_MASTER_KEY: `${NEW},${OLD}` },
    encoding: 'utf8',
  });
  assert.equal(cli.status, 0, cli.stderr);
  assert.match(cli.stdout, new RegExp(`re-encrypted ${SEALED} of ${SEALED} sealed values`));

  // After the rekey the old key alone cannot start the service, and says why.
  await assert.rejects(
    createApp({ env: { ...first.env, STS_MASTER_KEY: OLD }, logger: false }),
    /cannot load keyset "\w+" key [\w-]+: stored key material was encrypted under master key \w+, which STS_MASTER_KEY does not hold/,
  );

  // The new key alone serves the same keys: same JWKS, tokens from before still verify.
  const second = await startSts({
    file: FILE,
    dataDir: first.dataDir,
    env: { STS_MASTER_KEY: NEW, STS_ADMIN_TOKEN: 'rekey-admin' },
  });
  assert.deepEqual((await second.inject({ url: '/jwks' })).json(), jwks);
  await compactVerify(token, createLocalJWKSet(jwks), { algorithms: ['ES256'] });
  assert.equal(
    (await sign(second)).split('.')[0],
    token.split('.')[0],
    'same header: same kid signs',
  );
  const again = spawnSync(process.execPath, [REKEY_CLI], {
    env: { ...process.env, ...second.env },
    encoding: 'utf8',
  });
  assert.match(
    again.stdout,
    new RegExp(`re-encrypted 0 of ${SEALED}`),
    'nothing left under another key',
  );
  await second.close();

  // The admin call does the same on a running instance.
  const third = await startSts({
    file: FILE,
    dataDir: first.dataDir,
    env: { STS_MASTER_KEY: `${NEWER},${NEW}`, STS_ADMIN_TOKEN: 'rekey-admin' },
  });
  const rekey = () =>
    third.inject({
      method: 'POST',
      url: '/admin/rekey',
      headers: { authorization: 'Bearer rekey-admin' },
    });
  const res = await rekey();
  assert.equal(res.statusCode, 200, res.body);
  assert.deepEqual(Object.keys(res.json()), ['rekeyed', 'total', 'master_key_id']);
  assert.equal(res.json().rekeyed, SEALED);
  assert.equal((await rekey()).json().rekeyed, 0);
  await third.close();

  const fourth = await startSts({
    file: FILE,
    dataDir: first.dataDir,
    env: { STS_MASTER_KEY: NEWER },
  });
  assert.deepEqual((await fourth.inject({ url: '/jwks' })).json(), jwks);
  assert.equal(
    fourth.app.get(ConsumerService).credential('alice-key')?.secret,
    'alice-hmac-secret',
  );
  assert.equal(
    fourth.app.get(ProfileService).parameters('introspected')
      ?.access_token_introspection_authorization,
    'Basic aW50cm86c2VjcmV0',
  );
  await fourth.cleanup();
});

it('a rekey that cannot decrypt changes nothing', async () => {
  const sts = await startSts({ file: FILE, env: { STS_MASTER_KEY: OLD } });
  await sts.close();
  const cli = spawnSync(process.execPath, [REKEY_CLI], {
    env: { ...process.env, ...sts.env, STS_MASTER_KEY: `${NEWER},${NEW}` },
    encoding: 'utf8',
  });
  assert.equal(cli.status, 1);
  assert.match(cli.stderr, /rekey failed, nothing was changed: .*does not hold/);
  const again = await startSts({ file: FILE, dataDir: sts.dataDir, env: { STS_MASTER_KEY: OLD } });
  await sign(again);
  await again.cleanup();
});
