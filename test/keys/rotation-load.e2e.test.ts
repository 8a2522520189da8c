import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { it } from 'node:test';
import { compactVerify, createLocalJWKSet, decodeProtectedHeader, type JSONWebKeySet } from 'jose';
import { RotationScheduler } from '../../src/keys/rotation-scheduler';
import { ManualClock, startSts } from '../helpers';

const CONCURRENCY = 20;
const ROTATIONS = 3;
const HOUR = 3600 * 1000;

it('rotates three times under load at concurrency 20 without a single failed verification', async (t) => {
  const clock = new ManualClock();
  const sts = await startSts({
    clock,
    env: { STS_ADMIN_TOKEN: 'load-admin' },
    file: {
      keysets: [{ name: 'edge', algorithm: 'ES256', rotation: { retain: 1 } }],
      signers: [{ name: 'edge', keyset: 'edge', 'keys-to-sign': ['access_token'] }],
    },
  });
  await sts.app.listen(0, '127.0.0.1');
  const { port } = sts.app.getHttpServer().address() as AddressInfo;
  const base = `http://127.0.0.1:${port}`;
  const fetchJwks = async (): Promise<JSONWebKeySet> =>
    (await fetch(`${base}/.well-known/jwks.json`)).json() as Promise<JSONWebKeySet>;

  // The downstream verifier: a JWKS fetched before the rotations begin, refreshed once per
  // prepublish window — the way a gateway's JWKS cache behaves.
  let verifierJwks = createLocalJWKSet(await fetchJwks());
  let refreshes = 0;
  let signed = 0;
  const failures: string[] = [];
  const kids = new Set<string>();
  let stop = false;

  const worker = async (id: number): Promise<void> => {
    for (let n = 0; !stop; n++) {
      const res = await fetch(`${base}/token/edge`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ access_token: { sub: `w${id}-${n}` }, other: n }),
      });
      if (res.status !== 200) {
        failures.push(`HTTP ${res.status}: ${await res.text()}`);
        continue;
      }
      const { access_token: token } = (await res.json()) as { access_token: string };
      try {
        const { payload } = await compactVerify(token, verifierJwks, { algorithms: ['ES256'] });
        assert.equal(JSON.parse(new TextDecoder().decode(payload)).sub, `w${id}-${n}`);
        kids.add(decodeProtectedHeader(token).kid!);
        signed++;
      } catch (err) {
        failures.push(`${decodeProtectedHeader(token).kid}: ${(err as Error).message}`);
      }
    }
  };
  /** Lets the workers run until `count` more tokens have been verified (no wall clock). */
  const whileSigning = async (count: number): Promise<void> => {
    const target = signed + count;
    while (signed < target && failures.length === 0) await new Promise(setImmediate);
  };

  const started = performance.now();
  const workers = Array.from({ length: CONCURRENCY }, (_, id) => worker(id));
  await whileSigning(100);
  for (let rotation = 0; rotation < ROTATIONS; rotation++) {
    const res = await fetch(`${base}/admin/keysets/edge/rotate?prepublish=1h`, {
      method: 'POST',
      headers: { authorization: 'Bearer load-admin' },
    });
    assert.equal(res.status, 200, await res.text());
    await whileSigning(60);
    verifierJwks = createLocalJWKSet(await fetchJwks()); // the one refresh in this window
    refreshes++;
    await whileSigning(60);
    clock.advance(HOUR);
    await sts.app.get(RotationScheduler).tick(); // the next key starts signing
    await whileSigning(100);
  }
  stop = true;
  await Promise.all(workers);
  const seconds = (performance.now() - started) / 1000;

  assert.deepEqual(failures, []);
  assert.equal(kids.size, ROTATIONS + 1, 'every rotation happened under load');
  assert.equal(refreshes, ROTATIONS);
  t.diagnostic(
    `${signed} tokens at concurrency ${CONCURRENCY} across ${ROTATIONS} rotations, 0 failures, ${Math.round(signed / seconds)} tokens/s`,
  );
  await sts.cleanup();
});
