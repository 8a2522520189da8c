import assert from 'node:assert/strict';
import { createHash, createPublicKey, X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  calculateJwkThumbprint,
  compactVerify,
  createLocalJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  type JWK,
} from 'jose';
import { caseTitle, refusedAsExpected, type ConformanceCase } from './conformance';
import { selfSignedRsa, type TestCertificate } from '../certificates';
import { startSts, tempDir, type InjectResult, type TestSts } from '../helpers';
import { startIdp, type LocalIdp } from '../idp';

/** Optum's plugin behaviours as data (test/fixtures/kong-upstream-jwt/cases.json). */
interface PeerCase extends ConformanceCase {
  upstream_jwt: Record<string, unknown>;
  request?: {
    via?: 'authz';
    uri?: string;
    consumer?: string;
    content_type?: string;
    body?: string;
    json_body?: string;
  };
  expect: {
    refused?: string;
    header?: string;
    prefix?: string;
    jose?: Record<string, string>;
    verifies_with?: 'certificate' | 'jwks';
    x5c?: 'standard';
    claims?: Record<string, unknown>;
    absent?: string[];
    jti?: string;
    kong_jwt?: Record<string, string>;
  };
}

const FIXTURES = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'kong-upstream-jwt');
const peer = JSON.parse(readFileSync(join(FIXTURES, 'cases.json'), 'utf8')) as {
  source: { commits: Record<string, string> };
  cases: PeerCase[];
};
const TOKEN = 'conformance-admin-token';
const ISSUER = 'https://sts.example.com';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const commits = Object.entries(peer.source.commits)
  .map(([ref, commit]) => `${ref} ${commit.slice(0, 7)}`)
  .join(', ');

describe(`Optum upstream JWT conformance (kong-upstream-jwt ${commits})`, () => {
  let sts: TestSts;
  let idp: LocalIdp;
  let gateway: TestCertificate;
  let publicKeyPem: string;
  let files: Record<string, string>;
  let consumerId: string;

  before(async () => {
    gateway = await selfSignedRsa();
    publicKeyPem = createPublicKey(gateway.keyPem).export({
      type: 'spki',
      format: 'pem',
    }) as string;
    const dir = tempDir();
    files = {
      '{key}': join(dir, 'gateway.key'),
      '{cert-der}': join(dir, 'gateway.cer'),
      '{public-key-pem}': join(dir, 'gateway.pub.pem'),
    };
    writeFileSync(files['{key}']!, gateway.keyPem);
    writeFileSync(files['{cert-der}']!, gateway.der);
    writeFileSync(files['{public-key-pem}']!, publicKeyPem);
    idp = await startIdp('RS256');
    sts = await startSts({
      env: { STS_ADMIN_TOKEN: TOKEN, STS_ISSUER: ISSUER },
      file: {
        // The spec's consumer and its Kong JWT credential: the key that verifies the upstream JWT.
        consumers: [
          {
            username: 'tieske',
            custom_id: 'also_tieske',
            jwt_secrets: [{ key: 'source-kong', algorithm: 'RS256', rsa_public_key: publicKeyPem }],
          },
        ],
        profiles: [
          {
            name: 'kong-jwt',
            channel_token_optional: true,
            credentials: { header_names: ['My-Authorization'], key_claim_name: 'iss' },
          },
        ],
      },
    });
    const consumers = await sts.inject({
      url: '/admin/consumers',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    consumerId = consumers
      .json<{ data: { id: string; username: string }[] }>()
      .data.find((c) => c.username === 'tieske')!.id;
  });
  after(async () => {
    await sts?.cleanup();
    await idp?.close();
  });

  const admin = (method: 'PUT', url: string, body: unknown) =>
    sts.inject({
      method,
      url,
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      payload: JSON.stringify(body),
    });

  /** The case's block with its file placeholders filled. */
  const block = (upstream: Record<string, unknown>) =>
    Object.fromEntries(
      Object.entries(upstream).map(([k, v]) => [k, typeof v === 'string' ? (files[v] ?? v) : v]),
    );

  /** One profile per case: Optum's block on a route without authentication, or with a consumer. */
  const profileFor = (peerCase: PeerCase) => ({
    channel_token_optional: true,
    ...(peerCase.request?.consumer
      ? {
          access_token_jwks_uri: idp.jwksUri,
          access_token_consumer_claim: ['sub'],
          access_token_consumer_by: ['username'],
        }
      : { access_token_request_header: null, access_token_optional: true }),
    upstream_jwt: block(peerCase.upstream_jwt),
  });

  const bodyOf = (request: PeerCase['request']) => request?.body ?? request?.json_body ?? undefined;

  /** The upstream request as the gateway reports it to us. */
  async function send(profile: string, request: PeerCase['request'] = {}): Promise<InjectResult> {
    const headers: Record<string, string> = {};
    if (request.consumer)
      headers.authorization = `Bearer ${await idp.sign({ sub: request.consumer, exp: Math.floor(Date.now() / 1000) + 600 })}`;
    if (request.via === 'authz')
      return sts.inject({
        method: 'POST',
        url: `/authz/${profile}`,
        headers: { ...headers, 'content-type': request.content_type ?? 'text/plain' },
        payload: request.body,
      });
    if (request.content_type !== undefined)
      return sts.inject({
        method: 'POST',
        url: `/exchange/${profile}`,
        headers: { ...headers, 'content-type': request.content_type },
        payload: request.body,
      });
    const described: Record<string, string> = {};
    if (request.uri) described.uri = request.uri;
    if (request.json_body !== undefined)
      described.body_sha256 = createHash('sha256').update(request.json_body).digest('hex');
    return sts.inject({
      method: 'POST',
      url: `/exchange/${profile}`,
      headers: { ...headers, 'content-type': 'application/json' },
      payload: JSON.stringify({ request: described }),
    });
  }

  const headerValue = (res: InjectResult, via: string | undefined, name: string): string => {
    assert.equal(res.statusCode, 200, res.body);
    const value =
      via === 'authz'
        ? res.headers[name.toLowerCase()]
        : res.json<{ headers: Record<string, string> }>().headers[name];
    assert.equal(typeof value, 'string', `the ${name} header`);
    return value as string;
  };

  /** A claim the case names by meaning ({now}, {consumer.id}, …), as a value to compare. */
  const expected = (value: unknown, peerCase: PeerCase, claims: Record<string, unknown>) => {
    const now = Math.floor(Date.now() / 1000);
    switch (value) {
      case '{now}':
        assert.ok(Math.abs((claims.iat as number) - now) <= 5, 'iat is now');
        return claims.iat;
      case '{now+60}':
        assert.ok(Math.abs((claims.exp as number) - now - 60) <= 5, 'exp is a minute ahead');
        return (claims.iat as number) + 60;
      case '{our issuer}':
        return ISSUER;
      case '{consumer.id}':
        return consumerId;
      case '{sha256 of body}':
        return createHash('sha256').update(bodyOf(peerCase.request)!).digest('hex');
      default:
        return value;
    }
  };

  peer.cases.forEach((peerCase, index) => {
    it(caseTitle(peerCase), async () => {
      const { expect, request } = peerCase;
      const name = `case-${index}`;
      const stored = await admin('PUT', `/admin/profiles/${name}`, profileFor(peerCase));
      if (refusedAsExpected(stored, expect.refused)) return;

      const value = headerValue(await send(name, request), request?.via, expect.header ?? 'JWT');
      const prefix = expect.prefix ?? (value.startsWith('Bearer ') ? 'Bearer ' : '');
      assert.equal(value.slice(0, prefix.length), prefix);
      const jwt = value.slice(prefix.length);
      assert.match(jwt, /^ey[\w-]+\.[\w-]+\.[\w-]+$/, 'a bare compact JWS after the prefix');
      const header = decodeProtectedHeader(jwt);
      const claims = decodeJwt(jwt);

      for (const [member, want] of Object.entries(expect.jose ?? {})) {
        const thumbprint = await calculateJwkThumbprint(
          createPublicKey(gateway.keyPem).export({ format: 'jwk' }),
        );
        assert.equal(header[member], want === '{thumbprint}' ? thumbprint : want, member);
      }
      if (expect.verifies_with === 'certificate')
        await compactVerify(jwt, new X509Certificate(gateway.der).publicKey);
      if (expect.verifies_with === 'jwks') {
        const jwks = (await sts.inject({ url: '/.well-known/jwks.json' })).json<{ keys: JWK[] }>();
        await compactVerify(jwt, createLocalJWKSet(jwks));
      }
      if (expect.x5c === 'standard') assert.deepEqual(header.x5c, [gateway.der.toString('base64')]);
      for (const [claim, want] of Object.entries(expect.claims ?? {}))
        assert.deepEqual(claims[claim], expected(want, peerCase, claims), claim);
      for (const claim of expect.absent ?? []) assert.equal(claim in claims, false, claim);
      if (expect.jti) {
        const again = decodeJwt(headerValue(await send(name, request), request?.via, 'JWT'));
        assert.match(String(claims.jti), UUID);
        assert.match(String(again.jti), UUID);
        assert.notEqual(again.jti, claims.jti);
      }
      if (expect.kong_jwt) {
        // The spec's loopback: Kong JWT verifies the upstream JWT with the consumer's credential.
        const verified = await sts.inject({
          method: 'POST',
          url: '/exchange/kong-jwt',
          headers: { [expect.header ?? 'JWT']: value },
        });
        assert.equal(verified.statusCode, 200, verified.body);
        const headers = verified.json<{ headers: Record<string, string> }>().headers;
        for (const [name, want] of Object.entries(expect.kong_jwt))
          assert.equal(headers[name], want === '{consumer.id}' ? consumerId : want, name);
      }
    });
  });
});
