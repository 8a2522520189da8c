import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Errors, StsError } from '../../src/common/errors';
import { checkClaims, readClaim, type ClaimPolicy } from '../../src/verification/claim-checks';
import { ScopeRequirement } from '../../src/verification/scopes';
import { extractToken, type TokenSources } from '../../src/verification/token-extraction';
import type { TokenRequest } from '../../src/verification/types';
import { bearerChallenge } from '../../src/common/www-authenticate';

describe('scopes: the AND/OR rule of seed 001', () => {
  // ["scope1 scope2"]: scope1 AND scope2. ["scope1", "scope2"]: scope1 OR scope2.
  const table: [readonly string[], unknown, boolean][] = [
    [['scope1 scope2'], 'scope1 scope2', true],
    [['scope1 scope2'], 'scope2 other scope1', true],
    [['scope1 scope2'], ['scope1', 'scope2'], true],
    [['scope1 scope2'], 'scope1', false],
    [['scope1 scope2'], 'scope2', false],
    [['scope1', 'scope2'], 'scope1', true],
    [['scope1', 'scope2'], 'scope2', true],
    [['scope1', 'scope2'], ['scope2'], true],
    [['scope1', 'scope2'], 'scope3', false],
    [['employee demo-service', 'superadmin'], 'employee demo-service', true],
    [['employee demo-service', 'superadmin'], 'superadmin', true],
    [['employee demo-service', 'superadmin'], 'employee', false],
    [['scope1'], 'Scope1', false],
    [['scope1'], 'scope10', false],
    [['scope1'], '  scope1\t', true],
    [['scope1'], ['scope1 scope2'], true],
    [['scope1'], undefined, false],
    [['scope1'], { scope1: true }, false],
  ];
  for (const [required, granted, ok] of table) {
    it(`${JSON.stringify(required)} with ${JSON.stringify(granted)} → ${ok}`, () => {
      assert.equal(new ScopeRequirement(required).isSatisfiedBy(granted), ok);
    });
  }

  it('reads the nested "coffee" claim path', () => {
    const payload = { employee: { favourites: { beverage: ['coffee', 'juice'] } } };
    const value = readClaim(payload, ['employee', 'favourites', 'beverage']);
    assert.equal(new ScopeRequirement(['coffee']).isSatisfiedBy(value), true);
    assert.equal(readClaim(payload, ['employee', 'missing', 'beverage']), undefined);
    assert.equal(readClaim({ a: 'text' }, ['a', 'length']), undefined, 'no walking into strings');
  });
});

describe('claim checks', () => {
  const policy = (extra: Partial<ClaimPolicy> = {}): ClaimPolicy => ({
    leeway: 0,
    expiry: ['exp'],
    notBefore: null,
    issuedAt: true,
    allowLists: [],
    required: [],
    optional: new Set(),
    scopes: null,
    ...extra,
  });
  const rejects = (fn: () => void, code: string) =>
    assert.throws(fn, (err: unknown) => err instanceof StsError && err.code === code);

  it('expiry: now > exp + leeway; a missing exp only when it is listed as optional', () => {
    checkClaims({ exp: 100 }, policy(), 100);
    rejects(() => checkClaims({ exp: 100 }, policy(), 101), 'ERR_TOKEN_EXPIRED');
    checkClaims({ exp: 100 }, policy({ leeway: 5 }), 105);
    rejects(() => checkClaims({}, policy(), 1), 'ERR_TOKEN_INVALID');
    checkClaims({}, policy({ optional: new Set(['exp']) }), 1);
    checkClaims({ deep: { exp: 10 } }, policy({ expiry: ['deep', 'exp'] }), 10);
    rejects(() => checkClaims({ exp: 10, iat: '5' }, policy(), 10), 'ERR_TOKEN_INVALID');
    checkClaims({ exp: 10, iat: 50 }, policy(), 10);
    rejects(
      () => checkClaims({ exp: 10, iat: 50 }, policy({ notBefore: ['nbf'] }), 10),
      'ERR_TOKEN_NOT_YET_VALID',
    );
  });

  it('allow-lists are 401, required claims 403; optional claims are checked when present', () => {
    const issuers = policy({
      allowLists: [{ label: 'issuer', claim: ['iss'], allowed: new Set(['good']) }],
    });
    checkClaims({ exp: 9, iss: 'good' }, issuers, 1);
    rejects(() => checkClaims({ exp: 9, iss: 'bad' }, issuers, 1), 'ERR_TOKEN_INVALID');
    rejects(() => checkClaims({ exp: 9 }, issuers, 1), 'ERR_TOKEN_INVALID');
    const optionalIss = { ...issuers, optional: new Set(['iss']) };
    checkClaims({ exp: 9 }, optionalIss, 1);
    rejects(() => checkClaims({ exp: 9, iss: 'bad' }, optionalIss, 1), 'ERR_TOKEN_INVALID');
    const required = policy({ required: [['tenant', 'id']] });
    rejects(() => checkClaims({ exp: 9, tenant: {} }, required, 1), 'ERR_CLAIM_MISSING');
    checkClaims({ exp: 9, tenant: { id: 't1' } }, required, 1);
  });
});

describe('token extraction', () => {
  const headerSlot: TokenSources = { body: 'access_token', headers: ['authorization'] };
  const kongJwt: TokenSources = {
    body: 'access_token',
    bearerHeaders: ['authorization'],
    queryParams: ['jwt'],
    cookies: ['jwt'],
  };
  /** `headers` as Node gives them; the raw lines default to one per header. */
  const find = (
    sources: TokenSources,
    request: Partial<TokenRequest> & { headers?: Record<string, string> },
  ) => {
    const headers = request.headers ?? {};
    const rawHeaders = request.rawHeaders ?? Object.entries(headers).flat();
    return extractToken(sources, { ...request, headers, rawHeaders }, 8192);
  };

  it("strips Bearer/Basic in any case from Kong JWT Signer's header", () => {
    for (const value of ['Bearer abc', 'bearer abc', 'BASIC abc', 'abc'])
      assert.equal(find(headerSlot, { headers: { authorization: value } })?.token, 'abc');
    assert.equal(find(headerSlot, { headers: {} }), undefined);
    for (const value of ['Bearer', 'Bearer ', 'basic  '])
      assert.equal(find(headerSlot, { headers: { authorization: value } }), undefined, value);
  });

  it('Kong JWT reads only Bearer headers, the query and cookies', () => {
    assert.equal(find(kongJwt, { headers: { authorization: 'Basic abc' } }), undefined);
    assert.deepEqual(find(kongJwt, { query: { jwt: 'q' } }), { token: 'q', source: 'query:jwt' });
    assert.deepEqual(find(kongJwt, { headers: { cookie: 'a=1; jwt=c' } }), {
      token: 'c',
      source: 'cookie:jwt',
    });
    assert.equal(find(kongJwt, { query: { jwt: '' } }), undefined);
  });

  it('rejects two different tokens, accepts the same one twice', () => {
    const multiple = (request: object) =>
      assert.throws(
        () => find(kongJwt, request),
        (err: unknown) => err instanceof StsError && err.code === 'ERR_TOKEN_MULTIPLE',
      );
    multiple({ query: { jwt: ['a', 'b'] } });
    multiple({ headers: { authorization: 'Bearer a' }, query: { jwt: 'b' } });
    multiple({ headers: { authorization: 'Bearer a', cookie: 'jwt=b' } });
    multiple({ headers: { cookie: 'jwt=a; other=1; jwt=b' } });
    assert.equal(find(kongJwt, { headers: { cookie: 'jwt=a; other=1; jwt=a' } })?.token, 'a');
    multiple({ headers: { authorization: 'Bearer a' }, body: { access_token: 'b' } });
    assert.throws(
      () => find(headerSlot, { headers: { authorization: 'Bearer a, Bearer b' } }),
      StsError,
    );
    // Node keeps only the first Authorization; the raw lines have both.
    const twice = (first: string, second: string) => ({
      headers: { authorization: first },
      rawHeaders: ['Authorization', first, 'authorization', second],
    });
    multiple(twice('Bearer a', 'Bearer b'));
    assert.throws(() => find(headerSlot, twice('Bearer a', 'b')), StsError);
    assert.equal(find(headerSlot, twice('Bearer a', 'bearer a'))?.token, 'a');
    const same = find(kongJwt, {
      headers: { authorization: 'Bearer a', cookie: 'jwt=a' },
      query: { jwt: ['a', 'a'] },
      body: { access_token: 'a' },
    });
    assert.deepEqual(same, { token: 'a', source: 'header:authorization' });
  });

  it('rejects oversized tokens and non-string body members', () => {
    assert.throws(
      () => find(headerSlot, { headers: { authorization: `Bearer ${'x'.repeat(8193)}` } }),
      (err: unknown) => err instanceof StsError && err.code === 'ERR_TOKEN_TOO_LARGE',
    );
    assert.throws(
      () => find(headerSlot, { body: { access_token: { nested: true } } }),
      (err: unknown) => err instanceof StsError && err.code === Errors.invalidRequest('').code,
    );
  });
});

describe('WWW-Authenticate', () => {
  it('quotes only what RFC 6750 allows', () => {
    assert.equal(bearerChallenge('api'), 'Bearer realm="api"');
    assert.equal(
      bearerChallenge('a"b\\c\u00e9', 'invalid_token', 'bad "x"'),
      'Bearer realm="a?b?c?", error="invalid_token", error_description="bad ?x?"',
    );
  });
});
