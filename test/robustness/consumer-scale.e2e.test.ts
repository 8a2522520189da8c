import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { SignJWT } from 'jose';
import { STORE_SYNC_MS } from '../../src/database/store-sync';
import { tempDir } from '../helpers';
import { adminCall, fetchJson, PostgresDatabases, spawnSts, type StsProcess } from './processes';

/** `STS_SCALE_CONSUMERS=10000` for the full run (docs/operating.md has its numbers). */
const CONSUMERS = Number(process.env.STS_SCALE_CONSUMERS ?? 1000);
/** The rates compared: the first and the last this many consumers. */
const WINDOW = Math.min(1000, CONSUMERS / 4);
const CREATORS = 8;
/** Every this many consumers, a change made on one instance is timed until the other applies it. */
const PROBE_EVERY = Math.max(50, CONSUMERS / 20);
/** The documented bound for a change to apply on every instance: one sync round, plus one. */
const PROPAGATION_BOUND_MS = 2 * STORE_SYNC_MS;
const TOKEN = 'scale-admin';
const VERIFY_PAUSE_MS = 10;
const FILE = { profiles: [{ name: 'kong', credentials: {}, channel_token_optional: true }] };

const admin = adminCall(TOKEN);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const secretOf = (name: string, version = 0) => `${name}-secret-${version}`.padEnd(32, '.');
const tokenOf = (name: string, version = 0) =>
  new SignJWT({ iss: `${name}-key`, sub: name })
    .setProtectedHeader({ alg: 'HS256' })
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(secretOf(name, version)));
const verify = async (sts: StsProcess, token: string) =>
  (
    await fetchJson(`${sts.base}/verify/kong`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    })
  ).status;
/** Resident memory of a process, in MiB (Linux). */
const rssMiB = (sts: StsProcess) =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${sts.child.pid}/status`, 'utf8'))![1]) / 1024;

describe('consumers at scale', () => {
  const databases = new PostgresDatabases();
  after(() => databases.dropAll());

  it(`${CONSUMERS} consumers with JWT credentials created and changed through the admin API of two instances while /verify runs: a flat creation rate, every change on the other instance within the bound, lookups unaffected`, async (t) => {
    const url = await databases.create(t);
    if (!url) return;
    const env = { DATABASE_URL: url, STS_ADMIN_TOKEN: TOKEN };
    const [a, b] = await Promise.all([
      spawnSts({ dataDir: tempDir(), env, file: FILE }),
      spawnSts({ dataDir: tempDir(), env, file: FILE }),
    ]);
    t.after(async () => {
      await a.stop();
      await b.stop();
    });
    const rssBefore = [rssMiB(a), rssMiB(b)];

    // A consumer present from the start is verified on both instances the whole time.
    const probe = 'probe';
    assert.equal(
      (await admin(a.base, 'POST', '/admin/consumers', { username: probe })).status,
      201,
    );
    assert.equal(
      (
        await admin(a.base, 'POST', `/admin/consumers/${probe}/jwt`, {
          key: `${probe}-key`,
          secret: secretOf(probe),
        })
      ).status,
      201,
    );
    const probeToken = await tokenOf(probe);
    let verifying = true;
    const verifyFailures: string[] = [];
    let verifications = 0;
    const verifier = (async () => {
      await sleep(STORE_SYNC_MS + 500); // b has applied the probe consumer
      while (verifying) {
        for (const sts of [a, b]) {
          const status = await verify(sts, probeToken);
          if (status !== 200) verifyFailures.push(`${sts.base}: ${status}`);
          verifications++;
        }
        // A steady background load, not a benchmark competing for the two cores.
        await sleep(VERIFY_PAUSE_MS);
      }
    })();

    /** When each consumer (with its credential) was acknowledged. */
    const doneAt: number[] = [];
    const propagation: number[] = [];
    const probes: Promise<void>[] = [];
    let next = 0;
    const started = performance.now();
    const creator = async () => {
      for (let i = next++; i < CONSUMERS; i = next++) {
        const name = `c${i}`;
        const created = await admin(a.base, 'POST', '/admin/consumers', {
          username: name,
          custom_id: `id-${i}`,
        });
        assert.equal(created.status, 201, JSON.stringify(created.body));
        const credential = await admin(a.base, 'POST', `/admin/consumers/${name}/jwt`, {
          key: `${name}-key`,
          secret: secretOf(name),
        });
        assert.equal(credential.status, 201, JSON.stringify(credential.body));
        doneAt.push(performance.now());
        if (i % PROBE_EVERY === 0) probes.push(changeAndTime(name));
      }
    };
    /** A new secret set on b: timed until a verifies with it and no longer with the old one. */
    const changeAndTime = async (name: string) => {
      const oldToken = await tokenOf(name);
      const newToken = await tokenOf(name, 1);
      const changed = await admin(b.base, 'PATCH', `/admin/consumers/${name}/jwt/${name}-key`, {
        secret: secretOf(name, 1),
      });
      assert.equal(changed.status, 200, JSON.stringify(changed.body));
      assert.equal(await verify(b, newToken), 200, 'the instance written to applies it at once');
      const from = performance.now();
      while ((await verify(a, newToken)) !== 200 || (await verify(a, oldToken)) !== 401) {
        assert.ok(
          performance.now() - from < PROPAGATION_BOUND_MS * 3,
          `${name}: never applied on a`,
        );
        await sleep(20);
      }
      propagation.push(performance.now() - from);
    };
    await Promise.all(Array.from({ length: CREATORS }, creator));
    await Promise.all(probes);
    const seconds = (performance.now() - started) / 1000;

    // The last consumer created on a verifies on b within the bound too.
    const last = `c${CONSUMERS - 1}`;
    const lastToken = await tokenOf(last);
    const from = performance.now();
    while ((await verify(b, lastToken)) !== 200) await sleep(20);
    propagation.push(performance.now() - from);
    verifying = false;
    await verifier;

    const rate = (from: number, to: number) => WINDOW / ((doneAt[to]! - doneAt[from]!) / 1000);
    const firstRate = rate(0, WINDOW - 1);
    const lastRate = rate(CONSUMERS - WINDOW, CONSUMERS - 1);
    const rssAfter = [rssMiB(a), rssMiB(b)];
    const slowest = Math.max(...propagation);
    t.diagnostic(
      `${CONSUMERS} consumers with credentials in ${seconds.toFixed(1)} s: ${firstRate.toFixed(0)}/s for the first ${WINDOW}, ${lastRate.toFixed(0)}/s for the last ${WINDOW} (ratio ${(lastRate / firstRate).toFixed(2)}); ` +
        `${propagation.length} changes applied on the other instance in at most ${slowest.toFixed(0)} ms (median ${propagation.sort((x, y) => x - y)[propagation.length >> 1]!.toFixed(0)} ms); ` +
        `${verifications} verifications meanwhile, ${verifyFailures.length} failed; RSS a ${rssBefore[0]!.toFixed(0)} → ${rssAfter[0]!.toFixed(0)} MiB, b ${rssBefore[1]!.toFixed(0)} → ${rssAfter[1]!.toFixed(0)} MiB`,
    );
    assert.ok(
      lastRate >= 0.5 * firstRate,
      `creation slowed from ${firstRate.toFixed(0)}/s to ${lastRate.toFixed(0)}/s`,
    );
    assert.ok(slowest <= PROPAGATION_BOUND_MS, `a change took ${slowest.toFixed(0)} ms to apply`);
    assert.deepEqual(verifyFailures, []);
    assert.ok(verifications > 0);
  });
});
