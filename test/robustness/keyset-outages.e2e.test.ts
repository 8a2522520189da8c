import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeProtectedHeader, type JWK } from 'jose';
import { generateSigningKey } from '../../src/keys/key-generator';
import { LogCapture, sendJson, startSts, tempDir, type TestSts } from '../helpers';
import { metric, startFaultyDependency, waitFor, type FaultyDependency } from './outage-helpers';
import { sendRaw } from './raw-http';

/**
 * An external private key set (`keysets[].jwks_url`) failing. At boot the contract is to stop:
 * start-up fails, within the outbound deadline, naming the URL, and starts once the key server
 * answers. Later a failed refresh keeps the last good keys: signing goes on, the failure is
 * counted (`sts_external_keyset_loads_total`) and logged, and the keys the server publishes once
 * it is back are picked up at the next refresh, without a restart.
 */
describe('external key set outages (keysets[].jwks_url)', () => {
  let keys: JWK[];
  let keyServer: FaultyDependency;
  let sts: TestSts | undefined;
  const logs = new LogCapture();

  const file = () => ({
    keysets: [
      {
        name: 'remote',
        algorithm: 'RS256',
        jwks_url: `${keyServer.url}/private.json`,
        refresh: '1s',
      },
    ],
    signers: [{ name: 'remote-signer', keyset: 'remote', keys_to_sign: ['access_token'] }],
  });

  before(async () => {
    keys = [(await generateSigningKey('RS256')).privateJwk];
    keyServer = await startFaultyDependency((_req, res) => sendJson(res, 200, { keys }));
  });
  after(async () => {
    await sts?.cleanup();
    await keyServer.close();
  });

  it('down at boot: start-up fails within the deadline naming the URL, and starts once it answers', async () => {
    await keyServer.proxy.cut();
    await assert.rejects(startSts({ dataDir: tempDir(), file: file() }), (err: Error) =>
      err.message.includes(`${keyServer.url}/private.json`),
    );
    keyServer.fault = 'slow';
    await keyServer.proxy.restore();
    // A key server that accepts and never answers fails start-up at the outbound deadline (5 s).
    await assert.rejects(startSts({ dataDir: tempDir(), file: file() }), /timed out/);
    keyServer.fault = 'none';
    sts = await startSts({ logStream: logs, file: file() });
  });

  it('down later: signing goes on with the last keys, counted and logged; new keys after', async () => {
    assert.ok(sts, 'started by the previous test');
    await sts.app.listen(0, '127.0.0.1');
    const base = await sts.app.getUrl();
    const sign = async () => {
      const res = await sendRaw(base, {
        path: '/token/remote-signer',
        headers: [['Content-Type', 'application/json']],
        body: JSON.stringify({ access_token: { sub: 'alice' } }),
      });
      assert.equal(res.status, 200, res.body);
      return decodeProtectedHeader((JSON.parse(res.body) as { access_token: string }).access_token)
        .kid;
    };
    const loads = (result: 'ok' | 'failure') =>
      metric(base, 'sts_external_keyset_loads_total', { keyset: 'remote', result });
    const firstKid = await sign();
    assert.equal(firstKid, keys[0]!.kid ?? firstKid);

    for (const outage of ['down', 'error', 'garbage'] as const) {
      const failures = await loads('failure');
      const lines = logs.lines.length;
      if (outage === 'down') await keyServer.proxy.cut();
      else keyServer.fault = outage;
      await waitFor(
        `a failed refresh (${outage})`,
        async () => (await loads('failure')) > failures,
      );
      assert.equal(await sign(), firstKid, `${outage}: the last good key signs`);
      assert.ok(
        logs
          .records()
          .slice(lines)
          .some((line) =>
            /refresh of external keyset "remote" failed, keeping the last keys/.test(
              String(line.msg),
            ),
          ),
        `${outage}: a log line`,
      );
      if (outage === 'down') await keyServer.proxy.restore();
      keyServer.fault = 'none';
    }

    // The source rotated meanwhile: its new key signs after the next good refresh.
    keys = [(await generateSigningKey('RS256')).privateJwk];
    const oks = await loads('ok');
    await waitFor('a good refresh', async () => (await loads('ok')) > oks);
    assert.notEqual(await sign(), firstKid);
  });
});
