import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { ExchangeCache } from '../../src/signing/exchange-cache';
import { applyClaimEdits, decodeClaimValue } from '../../src/signing/claims-transform';
import { optumClaims, payloadHashOf } from '../../src/signing/optum';

describe("Kong's re-signing claim edits", () => {
  const original = {
    iss: 'https://idp.example.com',
    sub: 'alice',
    exp: 1000,
    scope: 'a b',
    keep: 'x',
    drop: 'y',
  };

  it('moves iss to original_iss and sets our issuer', () => {
    const out = applyClaimEdits(original, { issuer: 'https://sts.example.com' });
    assert.equal(out.iss, 'https://sts.example.com');
    assert.equal(out.original_iss, 'https://idp.example.com');
  });

  it('shifts exp by the upstream leeway (also negative) and keeps original_exp', () => {
    assert.deepEqual(
      [
        applyClaimEdits(original, { upstreamLeeway: 60 }),
        applyClaimEdits(original, { upstreamLeeway: -30 }),
      ].map((c) => [c.exp, c.original_exp]),
      [
        [1060, 1000],
        [970, 1000],
      ],
    );
    assert.equal('original_exp' in applyClaimEdits(original, { upstreamLeeway: 0 }), false);
  });

  it('removes listed claims before anything else is written', () => {
    const out = applyClaimEdits(original, { remove: ['drop', 'keep'], add: { keep: '"added"' } });
    assert.equal('drop' in out, false);
    assert.equal(out.keep, 'added', 'add sees the claim as absent after removal');
  });

  it('per-token set > global set > existing > per-token add > global add', () => {
    const out = applyClaimEdits(
      { existing: 'orig', both_set: 'orig' },
      {
        globalSet: {
          both_set: '"global-set"',
          only_global_set: '"gs"',
          existing_vs_global_set: '"gs"',
        },
        set: { both_set: '"token-set"' },
        add: { existing: '"token-add"', new_add: '"token-add"' },
        globalAdd: { existing: '"global-add"', new_add: '"global-add"', only_global_add: '"ga"' },
      },
    );
    assert.equal(out.both_set, 'token-set');
    assert.equal(out.only_global_set, 'gs');
    assert.equal(out.existing, 'orig');
    assert.equal(out.new_add, 'token-add');
    assert.equal(out.only_global_add, 'ga');
  });

  it('JSON-decodes values that parse and keeps the rest as strings', () => {
    assert.deepEqual(decodeClaimValue('[1,2]'), [1, 2]);
    assert.equal(decodeClaimValue('true'), true);
    assert.equal(decodeClaimValue('42'), 42);
    assert.deepEqual(decodeClaimValue('{"a":1}'), { a: 1 });
    assert.equal(decodeClaimValue('plain text'), 'plain text');
  });

  it('does not mutate its input', () => {
    const input = { ...original };
    applyClaimEdits(input, { issuer: 'x', remove: ['sub'], set: { a: '1' } });
    assert.deepEqual(input, original);
  });
});

describe('Optum upstream JWT claims', () => {
  it('hashes the body as lowercase hex SHA-256, empty string without a body', () => {
    const body = Buffer.from('{"hello":"world"}');
    assert.equal(payloadHashOf(body), createHash('sha256').update(body).digest('hex'));
    assert.match(payloadHashOf(body), /^[0-9a-f]{64}$/);
    assert.equal(payloadHashOf(undefined), '');
    assert.equal(payloadHashOf(Buffer.alloc(0)), '');
  });

  it('has iat, exp = iat + ttl, a random jti, iss, aud, the consumer (Optum names and ours) and payloadhash', () => {
    const input = {
      nowSeconds: 1000,
      ttlSeconds: 60,
      issuer: 'https://sts.example.com',
      audience: '/orders',
      consumer: { id: 'c-1', username: 'alice' },
      payloadHash: '',
    };
    const a = optumClaims(input);
    const b = optumClaims(input);
    assert.equal(a.iat, 1000);
    assert.equal(a.exp, 1060);
    assert.notEqual(a.jti, b.jti);
    assert.equal(a.aud, '/orders');
    assert.deepEqual(a.consumer, { id: 'c-1', username: 'alice' });
    assert.equal(a.consumerid, 'c-1');
    assert.equal(a.consumername, 'alice');
    const nameless = optumClaims({ ...input, consumer: { id: 'c-2', custom_id: 'x' } });
    assert.equal(nameless.consumerid, 'c-2');
    assert.equal('consumername' in nameless, false, 'Optum sends no username it does not have');
    assert.equal(a.payloadhash, '');
  });
});

describe('exchange cache', () => {
  it('serves a token while more than 10% of its lifetime is left', () => {
    const cache = new ExchangeCache();
    const key = ExchangeCache.key('profile', 'v1', 'access', 'token');
    cache.set(key, { token: 't', mintedAt: 1000, exp: 1100 });
    assert.equal(cache.get(key, 1089)?.token, 't');
    assert.equal(cache.get(key, 1090), undefined, 'exactly 10% left is not enough');
    assert.equal(cache.get(key, 1091), undefined);
  });

  it('keys on every part and never stores the token', () => {
    assert.notEqual(
      ExchangeCache.key('p', 'v1', 'access', 'tok'),
      ExchangeCache.key('p', 'v2', 'access', 'tok'),
    );
    assert.notEqual(
      ExchangeCache.key('p', 'v1', 'access', 'tok'),
      ExchangeCache.key('p', 'v1', 'channel', 'tok'),
    );
    assert.equal(
      ExchangeCache.key('p', 'v1', 'access', 'secret-token').includes('secret-token'),
      false,
    );
  });

  it('stays bounded by entries and bytes with 100k distinct tokens', () => {
    const cache = new ExchangeCache({
      maxEntries: 5000,
      maxBytes: 1024 * 1024,
      minRemainingShare: 0.1,
    });
    const minted = 'x'.repeat(600);
    for (let i = 0; i < 100_000; i++) {
      cache.set(ExchangeCache.key('p', 'v', 'access', `token-${i}`), {
        token: minted,
        mintedAt: 0,
        exp: 3600,
      });
    }
    assert.ok(cache.size <= 5000, `size ${cache.size}`);
    assert.ok(cache.bytes <= 1024 * 1024, `bytes ${cache.bytes}`);
    assert.equal(
      cache.get(ExchangeCache.key('p', 'v', 'access', 'token-99999'), 1)?.token,
      minted,
      'most recent kept',
    );
    assert.equal(
      cache.get(ExchangeCache.key('p', 'v', 'access', 'token-0'), 1),
      undefined,
      'oldest evicted',
    );
  });

  it('does not cache tokens without a lifetime', () => {
    const cache = new ExchangeCache();
    cache.set('k', { token: 't', mintedAt: 10, exp: 10 });
    assert.equal(cache.size, 0);
  });
});
