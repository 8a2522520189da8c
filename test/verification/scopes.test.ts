import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { grantedScopes, ScopeRequirement } from '../../src/verification/scopes';
import { startSts, type TestSts } from '../helpers';
import { startIdp, type LocalIdp } from '../idp';

describe('the one scope rule', () => {
  const table: [unknown, string[]][] = [
    ['read write', ['read', 'write']],
    ['  read\twrite ', ['read', 'write']],
    [
      ['read', 'write admin'],
      ['read', 'write', 'admin'],
    ],
    [['read', 7, null, { admin: true }], ['read']],
    [7, []],
    [{ read: true }, []],
    [undefined, []],
  ];
  for (const [claim, scopes] of table) {
    it(`${JSON.stringify(claim)} grants ${JSON.stringify(scopes)}`, () => {
      assert.deepEqual([...grantedScopes(claim)], scopes);
    });
  }

  it('is the rule required scopes are checked with', () => {
    assert.equal(new ScopeRequirement(['7']).isSatisfiedBy([7]), false, 'numbers grant nothing');
    assert.equal(new ScopeRequirement(['admin']).isSatisfiedBy(['read write admin']), true);
  });
});

describe('RFC 8693 narrowing reads scopes by the same rule, at the profile’s claim', () => {
  let sts: TestSts;
  let idp: LocalIdp;
  const basic = `Basic ${Buffer.from('svc:secret-svc-0001').toString('base64')}`;

  before(async () => {
    idp = await startIdp('RS256');
    sts = await startSts({
      file: {
        profiles: [
          {
            name: 'scp',
            access_token_jwks_uri: idp.jwksUri,
            access_token_scopes_claim: ['scp'],
            channel_token_optional: true,
          },
        ],
        clients: [{ client_id: 'svc', client_secret: 'secret-svc-0001', profile: 'scp' }],
      },
    });
  });
  after(async () => {
    await sts?.cleanup();
    await idp?.close();
  });

  const exchange = async (claims: Record<string, unknown>, scope?: string) => {
    const form = new URLSearchParams({
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      subject_token: await idp.sign({
        sub: 'alice',
        exp: Math.floor(Date.now() / 1000) + 600,
        ...claims,
      }),
      subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      ...(scope ? { scope } : {}),
    });
    return sts.inject({
      method: 'POST',
      url: '/exchange',
      headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
      payload: form.toString(),
    });
  };

  it('grants what the configured claim holds', async () => {
    const res = await exchange({ scp: ['read', 'write'], scope: 'admin' });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(decodeJwt(res.json<{ access_token: string }>().access_token).scope, 'read write');
  });

  it('never what another claim holds', async () => {
    const res = await exchange({ scp: ['read'], scope: 'admin' }, 'admin');
    assert.equal(res.statusCode, 400, res.body);
    assert.equal(res.json<{ code: string }>().code, 'ERR_INVALID_SCOPE');
  });
});
