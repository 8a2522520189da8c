import assert from 'node:assert/strict';
import { createPublicKey, type JsonWebKey } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CompactSign, compactVerify, FlattenedSign, importJWK, type JWK } from 'jose';
import { marshalLikeGo } from '../../src/signing/go-json';
import { serializeFlattened } from '../../src/signing/jws';
import { caseTitle, refusedAsExpected, type ConformanceCase } from './conformance';
import { issueServerCertificate, type TestCertificate } from '../certificates';
import { startLocalServer, startSts, tempDir, type LocalServer, type TestSts } from '../helpers';

/** KrakenD's own signer tests as data (test/fixtures/krakend-jose/cases.json). */
interface PeerCase extends ConformanceCase {
  signer?: unknown;
  body?: string;
  requests?: number;
  primitive?: {
    key: string;
    protected: { alg: string };
    payload: string;
    form: 'full' | 'compact';
  };
  expect: {
    tokens?: Record<string, string>;
    verifies?: Record<string, string>;
    refused?: string;
    serialized?: string;
    jwk_fetches?: number;
  };
}

const FIXTURES = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'krakend-jose');
const peer = JSON.parse(readFileSync(join(FIXTURES, 'cases.json'), 'utf8')) as {
  source: { commit: string };
  bodies: Record<string, Record<string, unknown>>;
  cases: PeerCase[];
};
const TOKEN = 'conformance-admin-token';

/** A key of KrakenD's fixture sets, `private.json#2011-04-29`. */
function fixtureJwk(ref: string): JWK {
  const [file, kid] = ref.split('#') as [string, string];
  const set = JSON.parse(readFileSync(join(FIXTURES, file), 'utf8')) as { keys: JWK[] };
  return set.keys.find((k) => k.kid === kid)!;
}

/** The public half of a fixture key (the secret for oct keys), to verify what we signed. */
function verificationKey(ref: string) {
  const jwk = fixtureJwk(ref);
  if (jwk.kty === 'oct') return Buffer.from(jwk.k!, 'base64url');
  return createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
}

const bodyAt = (path: string): Record<string, unknown> =>
  path
    .split('.')
    .reduce<Record<string, unknown>>(
      (value, name) => value[name] as Record<string, unknown>,
      peer.bodies,
    );

describe(`KrakenD signer conformance (krakend-jose ${peer.source.commit.slice(0, 7)})`, () => {
  let sts: TestSts;
  let keys: LocalServer;
  let tlsKeys: LocalServer;
  let certificates: { ca: TestCertificate; leaf: TestCertificate };
  let caFile: string;

  const serveFixture: Parameters<typeof startLocalServer>[0] = (req, res) => {
    const name = new URL(req.url ?? '/', 'http://keys').pathname.slice(1);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(readFileSync(join(FIXTURES, name)));
  };

  before(async () => {
    certificates = await issueServerCertificate();
    caFile = join(tempDir(), 'ca.pem');
    writeFileSync(caFile, certificates.ca.pem);
    keys = await startLocalServer(serveFixture);
    tlsKeys = await startLocalServer(serveFixture, {
      key: certificates.leaf.keyPem,
      cert: certificates.leaf.pem + certificates.ca.pem,
    });
    sts = await startSts({ env: { STS_ADMIN_TOKEN: TOKEN } });
  });
  after(async () => {
    await sts?.cleanup();
    await keys?.close();
    await tlsKeys?.close();
  });

  /** The case's signer block with its placeholders filled; `?case=` keeps each case's key fetches apart. */
  const resolve = (value: unknown, index: number): unknown => {
    if (typeof value === 'string')
      return value
        .replace(/^\{jwk:(\w+)\}$/, (_, name) => `${keys.url}/${name}.json?case=${index}`)
        .replace(/^\{jwk-tls:(\w+)\}$/, (_, name) => `${tlsKeys.url}/${name}.json?case=${index}`)
        .replace(/^\{file:(\w+)\}$/, (_, name) => join(FIXTURES, `${name}.json`))
        .replace(/^\{ca\}$/, caFile)
        .replace(/^\{pin:leaf\}$/, certificates.leaf.publicKeyPin);
    if (Array.isArray(value)) return value.map((item) => resolve(item, index));
    if (value && typeof value === 'object')
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolve(v, index)]));
    return value;
  };

  const putSigner = (name: string, signer: unknown) =>
    sts.inject({
      method: 'PUT',
      url: `/admin/signers/${name}`,
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      payload: JSON.stringify(signer),
    });

  peer.cases.forEach((peerCase, index) => {
    it(caseTitle(peerCase), async () => {
      const { expect } = peerCase;
      if (peerCase.primitive) {
        // KrakenD's signing primitive with its bare {alg} header, which its signer never emits:
        // our payload bytes and member order under the same key give its exact bytes.
        const { key, protected: header, payload, form } = peerCase.primitive;
        const jwk = fixtureJwk(key);
        const signingKey = await importJWK(jwk, jwk.alg);
        const bytes = new TextEncoder().encode(marshalLikeGo(bodyAt(payload)));
        const serialized =
          form === 'full'
            ? serializeFlattened(
                await new FlattenedSign(bytes).setProtectedHeader(header).sign(signingKey),
              )
            : await new CompactSign(bytes).setProtectedHeader(header).sign(signingKey);
        assert.equal(serialized, expect.serialized);
        return;
      }

      const name = `case-${index}`;
      const stored = await putSigner(name, resolve(peerCase.signer, index));
      if (refusedAsExpected(stored, expect.refused)) return;
      let answer: Record<string, unknown> = {};
      for (let i = 0; i < (peerCase.requests ?? 1); i++) {
        const res = await sts.inject({
          method: 'POST',
          url: `/token/${name}`,
          headers: { 'content-type': 'application/json' },
          payload: JSON.stringify(peer.bodies[peerCase.body!]),
        });
        assert.equal(res.statusCode, 200, res.body);
        answer = res.json();
      }
      for (const [member, token] of Object.entries(expect.tokens ?? {}))
        assert.equal(answer[member], token, `${member}: KrakenD's exact bytes`);
      for (const [member, key] of Object.entries(expect.verifies ?? {})) {
        const { payload } = await compactVerify(answer[member] as string, verificationKey(key));
        assert.deepEqual(
          JSON.parse(new TextDecoder().decode(payload)),
          peer.bodies[peerCase.body!]![member],
        );
      }
      if (expect.jwk_fetches !== undefined) {
        const fetches = tlsKeys.requests.filter((r) => r.url.endsWith(`?case=${index}`));
        assert.equal(
          fetches.length,
          expect.jwk_fetches,
          'the key set is fetched once, not per request',
        );
      }
    });
  });
});
