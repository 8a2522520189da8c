import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { selfSignedRsa } from '../certificates';
import { startSts, tempDir, type TestSts } from '../helpers';

describe("upstream_jwt with Optum's key files", () => {
  let sts: TestSts;

  before(async () => {
    const dir = tempDir();
    const gateway = await selfSignedRsa();
    writeFileSync(join(dir, 'gateway.key'), gateway.keyPem);
    writeFileSync(join(dir, 'gateway.cer'), gateway.der);
    const optumOnly = {
      access_token_request_header: null,
      access_token_optional: true,
      channel_token_optional: true,
    };
    const files = {
      private_key_location: join(dir, 'gateway.key'),
      public_key_location: join(dir, 'gateway.cer'),
    };
    sts = await startSts({
      file: {
        profiles: [
          { name: 'no-x5c', ...optumOnly, upstream_jwt: { ...files, x5c: false } },
          {
            name: 'bearer',
            ...optumOnly,
            upstream_jwt: { ...files, include_credential_type: true, issuer: 'source-kong' },
          },
        ],
      },
    });
  });
  after(async () => {
    await sts?.cleanup();
  });

  it('leaves x5c out when asked, even with a certificate', async () => {
    const res = await sts.inject({ method: 'POST', url: '/exchange/no-x5c' });
    assert.equal(res.statusCode, 200, res.body);
    const jwt = res.json<{ headers: Record<string, string> }>().headers.JWT!;
    assert.equal(decodeProtectedHeader(jwt).x5c, undefined);
  });

  it('sends the Bearer-prefixed token and its issuer through forward-auth too', async () => {
    const res = await sts.inject({ url: '/authz/bearer/orders' });
    assert.equal(res.statusCode, 200, res.body);
    const value = String(res.headers.jwt);
    assert.match(value, /^Bearer ey/);
    assert.equal(decodeJwt(value.slice('Bearer '.length)).iss, 'source-kong');
  });
});
