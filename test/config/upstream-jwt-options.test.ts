import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { validateProfile } from '../../src/config/profile.schema';
import { selfSignedRsa } from '../certificates';
import { tempDir } from '../helpers';

const ctx = { issuer: 'https://sts.example.com', allowInsecureHttp: false };

/** An Optum-only profile (no token read) with this upstream_jwt block. */
const withBlock = (upstream_jwt: Record<string, unknown>) =>
  validateProfile(
    {
      name: 'optum',
      access_token_request_header: null,
      access_token_optional: true,
      channel_token_optional: true,
      upstream_jwt,
    },
    'profiles[0]',
    ctx,
  );

describe("upstream_jwt: Optum's options", () => {
  const files: Record<string, string> = {};

  before(async () => {
    const dir = tempDir();
    const gateway = await selfSignedRsa();
    const other = await selfSignedRsa('CN=other');
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const write = (name: string, data: string | Buffer) => {
      files[name] = join(dir, name);
      writeFileSync(files[name], data);
    };
    write('gateway.key', gateway.keyPem);
    write('gateway.cer', gateway.der);
    write('gateway.pem', gateway.pem);
    write('other.cer', other.der);
    write('ec.key', ec.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    write('public.pem', ec.publicKey.export({ type: 'spki', format: 'pem' }));
  });

  it("takes Optum's key files instead of a keyset, with x5c on by default (as Optum always sends it)", () => {
    const { profile, problems } = withBlock({
      issuer: 'source-kong',
      include_credential_type: true,
      key_id: 'gw-1',
      private_key_location: files['gateway.key'],
      public_key_location: files['gateway.cer'],
    });
    assert.deepEqual(problems, []);
    assert.equal(profile!.upstream_jwt!.keyset, null);
    assert.equal(profile!.upstream_jwt!.x5c, true);
    assert.equal(
      withBlock({}).profile!.upstream_jwt!.x5c,
      false,
      'a keyset has no certificate to send',
    );
    const pem = withBlock({
      private_key_location: files['gateway.key'],
      public_key_location: files['gateway.pem'],
    });
    assert.deepEqual(pem.problems, [], 'a PEM certificate is taken too');
    const withoutCertificate = withBlock({ private_key_location: files['gateway.key'] });
    assert.equal(withoutCertificate.profile!.upstream_jwt!.x5c, false);
  });

  const refusals: [string, () => Record<string, unknown>, string][] = [
    [
      'key_id with a keyset',
      () => ({ key_id: 'gw-1' }),
      'key_id: key_id goes with private_key_location',
    ],
    [
      'a certificate with a keyset',
      () => ({ public_key_location: files['gateway.cer'] }),
      'public_key_location: public_key_location goes with private_key_location',
    ],
    [
      'a keyset and key files',
      () => ({ keyset: 'edge', private_key_location: files['gateway.key'] }),
      'keyset: set keyset or private_key_location, not both',
    ],
    [
      'x5c without a certificate',
      () => ({ private_key_location: files['gateway.key'], x5c: true }),
      'x5c: x5c needs the certificate in public_key_location',
    ],
    [
      'an unreadable key file',
      () => ({ private_key_location: '/nonexistent/gateway.key' }),
      'private_key_location: cannot read /nonexistent/gateway.key (ENOENT)',
    ],
    [
      'a file that is no private key',
      () => ({ private_key_location: files['gateway.cer'] }),
      'holds no PEM private key',
    ],
    [
      'a key that is not RSA',
      () => ({ private_key_location: files['ec.key'] }),
      "holds an ec key; Optum's upstream JWT is RS256",
    ],
    [
      'a bare public key as the certificate',
      () => ({
        private_key_location: files['gateway.key'],
        public_key_location: files['public.pem'],
      }),
      'holds no X.509 certificate',
    ],
    [
      'the certificate of another key',
      () => ({
        private_key_location: files['gateway.key'],
        public_key_location: files['other.cer'],
      }),
      'is not for the key in private_key_location',
    ],
  ];
  for (const [name, block, message] of refusals) {
    it(`refuses ${name}, naming the option`, () => {
      const { problems } = withBlock(block());
      assert.ok(
        problems.some(
          (p) =>
            `${p.path}: ${p.message}`.includes(message) &&
            p.path.startsWith('profiles[0].upstream_jwt.'),
        ),
        JSON.stringify(problems),
      );
    });
  }
});
