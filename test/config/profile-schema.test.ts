import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config/config';
import { ConfigError } from '../../src/common/validation';
import {
  fieldName,
  GLOBAL_FIELDS,
  TOKEN_FAMILY,
  TOKEN_KINDS,
} from '../../src/config/profile-parameters';
import { validateProfile } from '../../src/config/profile.schema';
import { tempDir } from '../helpers';

const ctx = { issuer: 'https://sts.example.com', allowInsecureHttp: false };

/** What a decK dump of a Kong JWT Signer plugin looks like: every field, unset ones as null. */
function kongDump(): Record<string, unknown> {
  const config: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(GLOBAL_FIELDS)) config[name] = spec.default;
  for (const token of TOKEN_KINDS) {
    for (const [template, spec] of Object.entries(TOKEN_FAMILY)) {
      const value =
        'kongDefault' in spec
          ? spec.kongDefault
          : token === 'channel_token' && 'channelDefault' in spec
            ? spec.channelDefault
            : spec.default;
      config[fieldName(template as keyof typeof TOKEN_FAMILY, token)] =
        typeof value === 'symbol' ? 'kong' : value;
    }
  }
  return {
    ...config,
    access_token_jwks_uri: 'https://idp.example.com/protocol/openid-connect/certs',
    channel_token_optional: true,
  };
}

function problemsOf(file: object, env: Record<string, string> = {}): string[] {
  const dir = tempDir();
  const path = join(dir, 'sts.json');
  writeFileSync(path, JSON.stringify(file));
  try {
    loadConfig({ STS_CONFIG: path, STS_DATA_DIR: dir, ...env });
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.problems.map((p) => `${p.path}: ${p.message}`);
  }
  return [];
}

describe('profiles: Kong JWT Signer parameters', () => {
  it('knows all 153 parameters of Kong 3.15 and takes a full decK dump unchanged', () => {
    const dump = kongDump();
    assert.equal(Object.keys(dump).length, 153);
    const { profile, problems } = validateProfile({ name: 'kong', ...dump }, 'profiles[0]', ctx);
    assert.deepEqual(problems, []);
    assert.equal(profile!.access_token_issuer, 'kong', 'an explicit issuer is kept');
    assert.equal(profile!.channel_token_request_header, null);
    assert.equal(profile!.verify_access_token_notbefore, false, "Kong's explicit false is kept");
  });

  it('checks nbf unless told not to: absent or null is on, an explicit false is off', () => {
    const base = {
      name: 'p',
      access_token_jwks_uri: 'https://idp.example.com/jwks',
      channel_token_optional: true,
    };
    const notBefore = (extra: Record<string, unknown>) => {
      const { profile, problems } = validateProfile({ ...base, ...extra }, 'p', ctx);
      assert.deepEqual(problems, []);
      return [
        profile!.verify_access_token_notbefore,
        profile!.verify_access_token_introspection_notbefore,
        profile!.verify_channel_token_notbefore,
        profile!.verify_channel_token_introspection_notbefore,
      ];
    };
    assert.deepEqual(notBefore({}), [true, true, true, true]);
    assert.deepEqual(
      notBefore({ verify_access_token_notbefore: null, verify_channel_token_notbefore: null }),
      [true, true, true, true],
    );
    assert.deepEqual(
      notBefore({
        verify_access_token_notbefore: false,
        verify_channel_token_introspection_notbefore: false,
      }),
      [false, true, true, false],
    );
  });

  it("takes seed 001's demo configurations and applies Kong's defaults", () => {
    const demos = [
      { access_token_jwks_uri: 'https://kc.example.com/certs', channel_token_optional: true },
      {
        access_token_introspection_endpoint: 'https://curity.example.com/oauth-introspect',
        access_token_introspection_authorization: 'Basic YWRtaW46YWRtaW4=',
        channel_token_optional: true,
      },
      {
        access_token_introspection_endpoint: 'https://curity.example.com/oauth-introspect',
        access_token_introspection_authorization: 'Basic YWRtaW46YWRtaW4=',
        channel_token_jwks_uri: 'https://kc.example.com/certs',
        channel_token_request_header: 'X-JWT-channel-client',
        channel_token_upstream_header: 'X-JWT-channel-upstream',
      },
      {
        channel_token_optional: true,
        verify_access_token_signature: false,
        verify_access_token_expiry: false,
      },
    ];
    for (const demo of demos) {
      const { profile, problems } = validateProfile({ name: 'demo', ...demo }, 'p', ctx);
      assert.deepEqual(problems, [], JSON.stringify(demo));
      assert.ok(profile);
    }
    const { profile } = validateProfile({ name: 'd', ...demos[0] }, 'p', ctx);
    assert.equal(profile!.access_token_issuer, ctx.issuer, 'our issuer, not "kong"');
    assert.equal(profile!.access_token_request_header, 'Authorization');
    assert.equal(profile!.access_token_upstream_header, 'Authorization:Bearer');
    assert.equal(profile!.channel_token_upstream_header, null);
    assert.equal(profile!.access_token_introspection_hint, 'access_token');
    assert.equal(profile!.channel_token_introspection_hint, null);
    assert.deepEqual(profile!.access_token_consumer_by, ['username', 'custom_id']);
    assert.deepEqual(profile!.access_token_scopes_claim, ['scope']);
    assert.equal(profile!.access_token_keyset, 'kong');
    assert.equal(profile!.access_token_signing_algorithm, 'RS256');
    assert.equal(profile!.verify_access_token_expiry, true);
    assert.equal(profile!.credentials, null);
    assert.ok(Object.isFrozen(profile) && Object.isFrozen(profile!.access_token_scopes_claim));
  });

  it('applies the credentials and upstream_jwt defaults', () => {
    const { profile, problems } = validateProfile(
      { name: 'k', credentials: {}, upstream_jwt: {}, channel_token_optional: true },
      'p',
      ctx,
    );
    assert.deepEqual(problems, []);
    assert.deepEqual(profile!.credentials, {
      key_claim_name: 'iss',
      claims_to_verify: [],
      maximum_expiration: 0,
      secret_is_base64: false,
      header_names: ['authorization'],
      uri_param_names: ['jwt'],
      cookie_names: [],
      anonymous: null,
    });
    assert.deepEqual(profile!.upstream_jwt, {
      keyset: 'default',
      header: 'JWT',
      ttl: 60,
      payloadhash: true,
      x5c: false,
      audience: null,
      issuer: null,
      include_credential_type: false,
      key_id: null,
      private_key_location: null,
      public_key_location: null,
    });
  });

  it('lists every problem with its path, next to the other configuration problems', () => {
    const jwks = 'https://idp.example.com/jwks';
    const problems = problemsOf({
      keysets: [{ name: 'k', algorithm: 'none' }],
      profiles: [
        { name: 'no-channel-header', access_token_jwks_uri: jwks },
        {
          name: 'scopes-without-claim',
          access_token_jwks_uri: jwks,
          access_token_scopes_claim: null,
          access_token_scopes_required: ['read'],
          channel_token_optional: true,
        },
        {
          name: 'clashing-headers',
          access_token_jwks_uri: jwks,
          channel_token_optional: true,
          access_token_upstream_header: 'X-Token:Bearer',
          original_access_token_upstream_header: 'x_token',
        },
        {
          name: 'unsupported',
          access_token_jwks_uri: jwks,
          access_token_jwks_uri_client_certificate: { id: 'c1' },
          access_token_endpoints_ssl_verify: false,
          channel_token_optional: true,
        },
        {
          name: 'typos',
          access_token_jwks_uri: jwks,
          acces_token_leeway: 5,
          access_token_leeway: -1,
          access_token_consumer_by: ['email'],
          access_token_scopes_claim: [],
          channel_token_optional: true,
        },
        {
          name: 'plain-http',
          access_token_jwks_uri: 'http://idp.example.com/jwks',
          channel_token_optional: true,
        },
        { name: 'unverifiable', channel_token_optional: true },
        {
          name: 'kong-jwt',
          access_token_jwks_uri: jwks,
          credentials: { maximum_expiration: 60, run_on_preflight: true },
          channel_token_optional: true,
        },
        { name: 'typos', access_token_jwks_uri: jwks, channel_token_optional: true },
      ],
      consumers: [
        { username: 'a', jwt_secrets: [{ key: 'k1', algorithm: 'HS256' }] },
        { username: 'a', jwt_secrets: [{ key: 'k1', algorithm: 'RS256', rsa_public_key: 'x' }] },
      ],
    });
    const expected = [
      /^keysets\[0\]\.algorithm: /,
      /^profiles\[0\]\.channel_token_request_header: no request header is set/,
      /^profiles\[1\]\.access_token_scopes_claim: access_token_scopes_required is set but there is no scopes claim/,
      /^profiles\[2\]\.original_access_token_upstream_header: must differ from access_token_upstream_header/,
      /^profiles\[3\]\.access_token_jwks_uri_client_certificate: .*not supported/,
      /^profiles\[3\]\.access_token_endpoints_ssl_verify: .*NODE_EXTRA_CA_CERTS/,
      /^profiles\[4\]\.acces_token_leeway: should not exist/,
      /^profiles\[4\]\.access_token_leeway: /,
      /^profiles\[4\]\.access_token_consumer_by: /,
      /^profiles\[4\]\.access_token_scopes_claim: /,
      /^profiles\[5\]\.access_token_jwks_uri: plain http is only allowed to loopback hosts/,
      /^profiles\[6\]\.access_token_jwks_uri: no way to verify the access token/,
      /^profiles\[7\]\.credentials\.run_on_preflight: should not exist/,
      /^profiles\[8\]\.name: duplicate name "typos"/,
      /^consumers\[0\]\.jwt_secrets\[0\]: a HS256 credential needs a secret/,
      /^consumers\[1\]\.username: duplicate username "a"/,
      /^consumers\[1\]\.jwt_secrets\[0\]\.key: duplicate credential key "k1"/,
      /^consumers\[1\]\.jwt_secrets\[0\]: rsa_public_key is not a PEM public key/,
    ];
    for (const pattern of expected)
      assert.ok(
        problems.some((p) => pattern.test(p)),
        `missing ${pattern} in:\n${problems.join('\n')}`,
      );
  });

  it('refuses Kong JWT settings Kong would refuse, and mixing credentials with a JWKS', () => {
    const { problems } = validateProfile(
      {
        name: 'k',
        access_token_jwks_uri: 'https://idp.example.com/jwks',
        credentials: { maximum_expiration: 60 },
        channel_token_optional: true,
      },
      'profiles[0]',
      ctx,
    );
    const text = problems.map((p) => `${p.path}: ${p.message}`).join('\n');
    assert.match(text, /profiles\[0\]\.credentials\.maximum_expiration: requires "exp"/);
    assert.match(text, /profiles\[0\]\.access_token_jwks_uri: the credentials block/);
  });

  it('allows plain http to other hosts only with STS_ALLOW_INSECURE_HTTP', () => {
    const profile = {
      name: 'p',
      access_token_jwks_uri: 'http://idp.internal/jwks',
      channel_token_optional: true,
    };
    assert.equal(problemsOf({ profiles: [profile] }).length, 1);
    assert.deepEqual(problemsOf({ profiles: [profile] }, { STS_ALLOW_INSECURE_HTTP: 'true' }), []);
    const loopback = { ...profile, access_token_jwks_uri: 'http://127.0.0.1:9000/jwks' };
    assert.deepEqual(problemsOf({ profiles: [loopback] }), []);
  });
});
