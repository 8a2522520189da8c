import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { JWK } from 'jose';
import {
  binary,
  freePort,
  startCaddy,
  startEchoUpstream,
  startNginx,
  type EchoUpstream,
  type Ports,
  type RunningGateway,
} from './gateway-harness';
import { startSts, verifyWithPyJwt, type TestSts } from './helpers';
import { startIdp, type LocalIdp } from './idp';

type Echo = { method: string; headers: Record<string, string | undefined>; bodyBytes: number };

/** What a client may send under the names of headers the STS answers (identity, Optum JWT). */
const FORGED = {
  'x-consumer-id': 'forged-id',
  'x-consumer-custom-id': 'forged-custom-id',
  'x-consumer-username': 'mallory',
  'x-credential-identifier': 'forged-credential',
  'x-anonymous-consumer': 'true',
  jwt: 'forged.jwt.value',
};

const GATEWAYS: {
  name: string;
  path: string | undefined;
  start: (bin: string, ports: Ports, edit?: (conf: string) => string) => Promise<RunningGateway>;
}[] = [
  { name: 'nginx auth_request', path: binary('nginx', ['/usr/sbin/nginx']), start: startNginx },
  { name: 'Caddy forward auth', path: binary('caddy', ['/usr/bin/caddy']), start: startCaddy },
];

for (const gateway of GATEWAYS) {
  // Skipped with a clear message on a developer machine without the binary; in CI (which installs
  // both) a missing binary is a failure, never a skip.
  const skip =
    gateway.path || process.env.CI
      ? false
      : `${gateway.name}: binary not installed (apt-get install nginx caddy)`;
  describe(`through a real ${gateway.name} with the shipped example config`, { skip }, () => {
    let sts: TestSts;
    let idp: LocalIdp;
    let upstream: EchoUpstream;
    let proxy: RunningGateway;
    /** The same example config in front of profile "plain", which maps no consumer. */
    let plainProxy: RunningGateway;
    const now = () => Math.floor(Date.now() / 1000);
    const token = (claims: Record<string, unknown> = {}) =>
      idp.sign({ sub: 'alice', scope: 'read', exp: now() + 600, ...claims });

    before(async () => {
      idp = await startIdp();
      upstream = await startEchoUpstream();
      sts = await startSts({
        file: {
          consumers: [{ username: 'alice', custom_id: 'cust-1' }],
          profiles: [
            {
              channel_token_optional: true,
              name: 'api',
              access_token_jwks_uri: idp.jwksUri,
              access_token_scopes_required: ['read'],
              access_token_consumer_claim: ['sub'],
            },
            { channel_token_optional: true, name: 'plain', access_token_jwks_uri: idp.jwksUri },
          ],
        },
      });
      const stsPort = await freePort();
      await sts.app.listen(stsPort, '127.0.0.1');
      assert.ok(gateway.path, `${gateway.name} is not installed`);
      const ports = { sts: stsPort, upstream: upstream.port };
      proxy = await gateway.start(gateway.path, { ...ports, gateway: await freePort() });
      plainProxy = await gateway.start(
        gateway.path,
        { ...ports, gateway: await freePort() },
        (conf) => conf.replace('/authz/api', '/authz/plain'),
      );
    });
    after(async () => {
      await proxy?.stop();
      await plainProxy?.stop();
      await sts?.cleanup();
      await upstream?.close();
      await idp?.close();
    });

    const call = async (init: RequestInit & { path?: string } = {}, through = proxy) => {
      const res = await fetch(`${through.url}${init.path ?? '/orders/42?x=1'}`, init);
      const text = await res.text();
      return {
        status: res.status,
        headers: res.headers,
        echo: res.status === 200 ? (JSON.parse(text) as Echo) : undefined,
      };
    };

    it('delivers our re-signed token and X-Consumer-* to the upstream, overwriting client-supplied ones', async () => {
      const res = await call({ headers: { authorization: `Bearer ${await token()}`, ...FORGED } });
      assert.equal(res.status, 200, proxy.output());
      const headers = res.echo!.headers;
      const jwks = (await (
        await fetch(`${await sts.app.getUrl()}/.well-known/jwks.json`)
      ).json()) as { keys: JWK[] };
      const claims = verifyWithPyJwt(String(headers.authorization).replace(/^Bearer /, ''), jwks, [
        'RS256',
      ]);
      assert.equal(claims.sub, 'alice');
      assert.equal(claims.original_iss, 'https://idp.example.com');
      assert.equal(headers['x-consumer-username'], 'alice');
      assert.equal(headers['x-consumer-custom-id'], 'cust-1');
      assert.notEqual(headers['x-consumer-id'], FORGED['x-consumer-id']);
      assert.match(String(headers['x-consumer-id']), /.+/);
      // Answered empty (no credential, not anonymous, no Optum JWT): the client's value is gone.
      for (const name of ['x-credential-identifier', 'x-anonymous-consumer', 'jwt'])
        assert.equal(headers[name] ?? '', '', `${name}: ${headers[name]}`);
    });

    it('without a resolved consumer, no client-supplied X-Consumer-* (nor a placeholder) reaches the upstream', async () => {
      const res = await call(
        { headers: { authorization: `Bearer ${await token({ sub: 'mallory' })}`, ...FORGED } },
        plainProxy,
      );
      assert.equal(res.status, 200, plainProxy.output());
      const headers = res.echo!.headers;
      assert.match(String(headers.authorization), /^Bearer ey/);
      // Removed (nginx drops an empty header) or empty (Caddy), never the client's value.
      for (const name of Object.keys(FORGED))
        assert.equal(headers[name] ?? '', '', `${name}: ${headers[name]}`);
    });

    it('answers 401 with WWW-Authenticate at the client for an expired token', async () => {
      const res = await call({
        headers: { authorization: `Bearer ${await token({ exp: now() - 3600 })}` },
      });
      assert.equal(res.status, 401);
      assert.match(
        res.headers.get('www-authenticate') ?? '',
        /^Bearer realm=".*", error="invalid_token"/,
      );
    });

    it('answers 403 for a token lacking the required scope', async () => {
      const res = await call({
        headers: { authorization: `Bearer ${await token({ scope: 'write' })}` },
      });
      assert.equal(res.status, 403);
    });

    it('authorizes a 1 MiB JSON body and a multipart body (the STS never reads them)', async () => {
      const authorization = `Bearer ${await token()}`;
      const json = JSON.stringify({ blob: 'x'.repeat(1024 * 1024) });
      const big = await call({
        method: 'POST',
        body: json,
        headers: { authorization, 'content-type': 'application/json' },
      });
      assert.equal(big.status, 200);
      assert.equal(big.echo!.bodyBytes, Buffer.byteLength(json));
      const form = new FormData();
      form.append('file', new Blob([Buffer.alloc(64 * 1024, 7)]), 'data.bin');
      const multipart = await call({ method: 'POST', body: form, headers: { authorization } });
      assert.equal(multipart.status, 200);
      assert.match(String(multipart.echo!.headers['content-type']), /^multipart\/form-data/);
    });
  });
}
