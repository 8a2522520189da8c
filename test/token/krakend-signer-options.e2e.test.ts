import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decodeProtectedHeader, type JWK } from 'jose';
import { ConfigError } from '../../src/common/validation';
import { generateSigningKey } from '../../src/keys/key-generator';
import { issueServerCertificate, type TestCertificate } from '../certificates';
import {
  sendJson,
  startLocalServer,
  startSts,
  tempDir,
  type LocalServer,
  type TestSts,
} from '../helpers';

/** The signer's problems at start-up, as `path: message`. */
async function startupProblems(signers: object[]): Promise<string[]> {
  try {
    const sts = await startSts({ file: { signers } });
    await sts.cleanup();
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.problems.map((p) => `${p.path}: ${p.message}`);
  }
  assert.fail('the configuration was accepted');
}

const payloadOf = (token: string): string =>
  Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8');

describe('KrakenD signer options, spelled as KrakenD spells them', () => {
  let sts: TestSts;
  let tlsKeys: LocalServer;
  let certificates: { ca: TestCertificate; leaf: TestCertificate };
  let caFile: string;
  let privateJwk: JWK;

  before(async () => {
    certificates = await issueServerCertificate();
    caFile = join(tempDir(), 'ca.pem');
    writeFileSync(caFile, certificates.ca.pem);
    privateJwk = { ...(await generateSigningKey('ES256')).privateJwk, kid: 'edge-1' };
    tlsKeys = await startLocalServer((_req, res) => sendJson(res, 200, { keys: [privateJwk] }), {
      key: certificates.leaf.keyPem,
      cert: certificates.leaf.pem + certificates.ca.pem,
    });
    sts = await startSts({
      env: { STS_ADMIN_TOKEN: 'admin' },
      file: {
        signers: [
          { name: 'current', keys_to_sign: ['access_token'], typ: 'at+jwt' },
          { name: 'full', keys_to_sign: ['access_token'], full: true },
        ],
      },
    });
  });
  after(async () => {
    await sts?.cleanup();
    await tlsKeys?.close();
  });

  const sign = (signer: string, body: object) =>
    sts.inject({
      method: 'POST',
      url: `/token/${signer}`,
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify(body),
    });
  const putSigner = (name: string, signer: object) =>
    sts.inject({
      method: 'PUT',
      url: `/admin/signers/${name}`,
      headers: { authorization: 'Bearer admin', 'content-type': 'application/json' },
      payload: JSON.stringify(signer),
    });

  it('takes keys_to_sign and typ (the typ header)', async () => {
    const res = await sign('current', { access_token: { sub: 'a' }, other: { sub: 'b' } });
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json<{ access_token: string; other: object }>();
    assert.equal(decodeProtectedHeader(body.access_token).typ, 'at+jwt');
    assert.deepEqual(body.other, { sub: 'b' });
  });

  it('writes the claims as KrakenD does: keys sorted at every level, HTML characters escaped', async () => {
    const res = await sts.inject({
      method: 'POST',
      url: '/token/current',
      headers: { 'content-type': 'application/json' },
      payload:
        '{"access_token": {"sub": "a", "nested": {"z": 1, "10": 2, "9": 3, "é": 4, "e": 5}, "html": "<a & b>", "list": [{"b": 1, "a": 2}], "n": 1.0}}',
    });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(
      payloadOf(res.json<{ access_token: string }>().access_token),
      // 1.0 is written 1: a difference, KrakenD keeps the literal.
      '{"html":"\\u003ca \\u0026 b\\u003e","list":[{"a":2,"b":1}],"n":1,"nested":{"10":2,"9":3,"e":5,"z":1,"é":4},"sub":"a"}',
    );
  });

  it('gives full: true members in KrakenD order (payload, protected, signature)', async () => {
    const res = await sign('full', { access_token: { sub: 'a' } });
    assert.equal(res.statusCode, 200, res.body);
    const jws = JSON.parse(res.json<{ access_token: string }>().access_token) as object;
    assert.deepEqual(Object.keys(jws), ['payload', 'protected', 'signature']);
  });

  /** A signer of the ES256 key of the TLS key server. */
  const tlsSigner = () => ({
    alg: 'ES256',
    kid: 'edge-1',
    jwk_url: `${tlsKeys.url}/jwks.json`,
    keys_to_sign: ['t'],
  });

  it('matches a pin against any certificate of the server chain (here the CA, pin unpadded)', async () => {
    const pinned = await putSigner('ca-pin', {
      ...tlsSigner(),
      jwk_local_ca: caFile,
      jwk_fingerprints: [certificates.ca.publicKeyPin.replace(/=$/, '')],
    });
    assert.equal(pinned.statusCode, 201, pinned.body);
    const res = await sign('ca-pin', { t: { sub: 'a' } });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(decodeProtectedHeader(res.json<{ t: string }>().t).kid, 'edge-1');
  });

  it('refuses a pin of the whole certificate, and a server whose CA is not given (whatever disable_jwk_security says)', async () => {
    const tls = tlsSigner();
    const wholeCertificate = createHash('sha256').update(certificates.leaf.der).digest('base64url');
    const pinned = await putSigner('old-pin', {
      ...tls,
      jwk_local_ca: caFile,
      jwk_fingerprints: [wholeCertificate],
    });
    assert.equal(pinned.statusCode, 400);
    assert.match(
      pinned.json<{ error_description: string }>().error_description,
      /no certificate of the server chain matches a pinned fingerprint/,
    );
    // disable_jwk_security allows plain http only; cipher_suites has no effect.
    const untrusted = await putSigner('no-ca', {
      ...tls,
      disable_jwk_security: true,
      cipher_suites: [5, 10],
    });
    assert.equal(untrusted.statusCode, 400);
    assert.match(
      untrusted.json<{ error_description: string }>().error_description,
      /cannot sign: .* request failed/,
    );
  });

  it('refuses at start-up, naming the option: two spellings, two key sources, bad pins, encrypted keys', async () => {
    const problems = await startupProblems([
      { name: 'a', keys_to_sign: ['t'], 'keys-to-sign': ['t'] },
      {
        name: 'b',
        keys_to_sign: ['t'],
        alg: 'RS256',
        jwk_url: 'https://k.example.com/j',
        'jwk-url': 'https://k.example.com/j',
      },
      {
        name: 'c',
        keys_to_sign: ['t'],
        alg: 'RS256',
        jwk_url: 'https://k.example.com/j',
        jwk_local_path: '/keys/jwks.json',
      },
      { name: 'd', keys_to_sign: ['t'], jwk_local_path: '/keys/jwks.json', keyset: 'edge' },
      {
        name: 'e',
        keys_to_sign: ['t'],
        alg: 'RS256',
        jwk_url: 'https://k.example.com/j',
        jwk_fingerprints: ['S3Jha2VuRCBpcyB0aGUgYmVzdCBnYXRld2F5LCBhbmQgeW91IGtub3cgaXQ=='],
      },
      {
        name: 'f',
        keys_to_sign: ['t'],
        jwk_local_path: '/keys/jwks.enc',
        secret_url: 'base64key://x',
        cypher_key: 'eA==',
      },
    ]);
    for (const expected of [
      'signers[0].keys-to-sign: set keys_to_sign or its older spelling keys-to-sign, not both',
      'signers[1].jwk-url: set jwk_url or its older spelling jwk-url, not both',
      'signers[2].jwk_local_path: set jwk_local_path or jwk_url, not both',
      'signers[3]: set either keyset or jwk_local_path, not both',
      'signers[3].alg: alg is required with jwk_local_path',
      'signers[4].jwk_fingerprints[0]: "S3Jha2VuRCBpcyB0aGUgYmVzdCBnYXRld2F5LCBhbmQgeW91IGtub3cgaXQ==" is not a fingerprint',
      "signers[5].secret_url: KrakenD's encrypted key files (secret_url, cypher_key) are not supported",
      "signers[5].cypher_key: KrakenD's encrypted key files",
    ])
      assert.ok(
        problems.some((p) => p.startsWith(expected)),
        `${expected}\n  in:\n${problems.join('\n')}`,
      );
  });
});
