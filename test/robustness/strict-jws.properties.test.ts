import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { StsError } from '../../src/common/errors';
import { MAX_JSON_DEPTH } from '../../src/common/json-depth';
import { checkStrictJws } from '../../src/verification/strict-jws';
import { fuzz } from './fuzz';

/**
 * The strict reading of a JWS (src/verification/strict-jws.ts) refuses duplicate member names at
 * any depth and nothing else: no false alarm on any JSON a real IdP could sign (member names with
 * quotes, backslashes, escapes, any Unicode), and no duplicate missed however it is spelled.
 */
const b64url = (text: string) => Buffer.from(text).toString('base64url');
const tokenOf = (payload: string) => `${b64url('{"alg":"RS256"}')}.${b64url(payload)}.c2ln`;

const claims = fc.dictionary(
  fc.string({ unit: 'binary', maxLength: 8 }),
  fc.jsonValue({ maxDepth: 4 }),
) as fc.Arbitrary<Record<string, unknown>>;

/**
 * `value` as JSON text where the `which`-th object holding members (depth first) has its first
 * member written once more, its name spelled with a \u escape: valid JSON a last-wins reader
 * takes without a word.
 */
function withDuplicate(value: unknown, which: number): { text: string; injected: boolean } {
  let seen = 0;
  let injected = false;
  const write = (node: unknown): string => {
    if (Array.isArray(node)) return `[${node.map(write).join(',')}]`;
    if (typeof node !== 'object' || node === null) return JSON.stringify(node);
    const entries = Object.entries(node);
    const members = entries.map(([name, v]) => `${JSON.stringify(name)}:${write(v)}`);
    if (entries.length > 0 && seen++ === which) {
      const [name, v] = entries[0]!;
      const first = name.charCodeAt(0).toString(16).padStart(4, '0');
      const escaped = `"\\u${first}${JSON.stringify(name.slice(1)).slice(1)}`;
      members.push(`${name === '' ? '""' : escaped}:${write(v)}`);
      injected = true;
    }
    return `{${members.join(',')}}`;
  };
  return { text: write(value), injected };
}

const refusal = (token: string): string | undefined => {
  try {
    checkStrictJws(token);
    return undefined;
  } catch (err) {
    assert.ok(err instanceof StsError, String(err));
    return err.description;
  }
};

describe('strict JWS reading (fast-check)', () => {
  it('takes any JSON object with distinct member names', (t) => {
    fc.assert(
      fc.property(claims, (payload) => {
        assert.equal(refusal(tokenOf(JSON.stringify(payload))), undefined);
      }),
      fuzz(t, 500),
    );
  });

  it('refuses a member name written twice at any depth, escaped or not', (t) => {
    fc.assert(
      fc.property(claims, fc.nat(20), (payload, which) => {
        const { text, injected } = withDuplicate(payload, which);
        fc.pre(injected);
        assert.equal(refusal(tokenOf(text)), 'the token payload has a duplicate member name');
      }),
      fuzz(t, 500),
    );
  });

  it(`refuses nesting beyond ${MAX_JSON_DEPTH} levels, and only beyond`, (t) => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 200 }), fc.boolean(), (depth, objects) => {
        const open = objects ? '{"a":' : '[';
        const close = objects ? '}' : ']';
        const text = `{"x":${open.repeat(depth - 1)}0${close.repeat(depth - 1)}}`;
        const problem = refusal(tokenOf(text));
        if (depth <= MAX_JSON_DEPTH) assert.equal(problem, undefined);
        else assert.match(problem ?? '', /nests deeper/);
      }),
      fuzz(t, 200),
    );
  });
});
