import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import * as client from 'openid-client';
import { freePort, startSts, type TestSts } from './helpers';
import { TestIdp } from './idp';

const EXAMPLE = join(__dirname, '..', '..', 'examples', 'clients', 'openid-client.mjs');

interface ExampleOutput {
  issuer: string;
  exchanged: Record<string, unknown>;
  introspected: Record<string, unknown>;
  verified: Record<string, unknown>;
}

// Independent OAuth and JWT libraries against a listening instance: openid-client (discovery,
// RFC 8693, RFC 7662) and jose's remote JWKS, through the very file the README shows.
describe('independent clients: openid-client and jose', () => {
  let idp: TestIdp;
  let sts: TestSts;
  let issuer: string;

  before(async () => {
    idp = await TestIdp.start();
    await idp.addKey('idp-1');
    // The port first, so that the issuer is the URL clients use (STS_ISSUER), as the docs say.
    const port = await freePort();
    issuer = `http://localhost:${port}`;
    sts = await startSts({
      env: { STS_ISSUER: issuer },
      file: {
        profiles: [
          { name: 'partners', access_token_jwks_uri: idp.jwksUri, channel_token_optional: true },
        ],
        clients: [
          {
            client_id: 'svc-a',
            client_secret: 'secret-a',
            profile: 'partners',
            audiences: ['https://orders.example.com'],
            scopes: ['read', 'write'],
          },
        ],
      },
    });
    await sts.app.listen(port, '127.0.0.1');
  });

  after(async () => {
    await sts?.cleanup();
    await idp?.close();
  });

  const subjectToken = () =>
    idp.sign(
      { sub: 'alice', scope: 'read write', exp: Math.floor(Date.now() / 1000) + 600 },
      'idp-1',
    );

  it('the README example discovers, exchanges, introspects, and its upstream verifies', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [EXAMPLE], {
      env: { PATH: process.env.PATH, STS_ISSUER: issuer, SUBJECT_TOKEN: await subjectToken() },
    });
    const {
      issuer: discovered,
      exchanged,
      introspected,
      verified,
    } = JSON.parse(stdout) as ExampleOutput;
    assert.equal(discovered, issuer);
    assert.equal(exchanged.issued_token_type, 'urn:ietf:params:oauth:token-type:access_token');
    assert.equal(exchanged.scope, 'read');
    assert.equal(introspected.active, true);
    assert.equal(introspected.client_id, 'svc-a');
    assert.equal(introspected.sub, 'alice');
    assert.equal(verified.iss, issuer);
    assert.equal(verified.aud, 'https://orders.example.com');
    assert.equal(verified.scope, 'read');
  });

  it('discovery fails unless the issuer is the URL the client uses', async () => {
    const elsewhere = new URL(issuer.replace('localhost', '127.0.0.1'));
    await assert.rejects(
      client.discovery(elsewhere, 'svc-a', 'secret-a', undefined, {
        algorithm: 'oauth2',
        execute: [client.allowInsecureRequests],
      }),
      /issuer does not match/,
    );
  });

  it('plain http needs the client to opt in', async () => {
    await assert.rejects(
      client.discovery(new URL(issuer), 'svc-a', 'secret-a', undefined, { algorithm: 'oauth2' }),
      /only requests to HTTPS are allowed/,
    );
  });

  it("openid-client's default (OpenID) discovery finds the same endpoints", async () => {
    const config = await client.discovery(new URL(issuer), 'svc-a', 'secret-a', undefined, {
      execute: [client.allowInsecureRequests],
    });
    const metadata = config.serverMetadata();
    assert.equal(metadata.token_endpoint, `${issuer}/exchange`);
    assert.equal(metadata.introspection_endpoint, `${issuer}/introspect`);
    const inactive = await client.tokenIntrospection(config, await subjectToken());
    assert.deepEqual(inactive, { active: false }, "the IdP's token is not one of ours");
  });
});
