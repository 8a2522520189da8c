import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { errorAnswer } from '../src/common/error-answer';
import { ERROR_CATALOGUE, StsError } from '../src/common/errors';

/** Where the error tables a user reads are kept. */
const DOCUMENT = join(__dirname, '..', '..', 'docs', 'errors.md');

/** `| 401 | `invalid_token` | `ERR_TOKEN_MISSING` | … |` rows of the document's error tables. */
function documentedCodes(): Map<string, { status: number; error: string }[]> {
  const rows = new Map<string, { status: number; error: string }[]>();
  const row = /^\|\s*(\d{3})\s*\|\s*`([a-z_]+)`\s*\|\s*`(ERR_[A-Z_]+)`\s*\|/;
  for (const line of readFileSync(DOCUMENT, 'utf8').split('\n')) {
    const match = row.exec(line);
    if (!match) continue;
    const [, status, error, code] = match;
    rows.set(code!, [...(rows.get(code!) ?? []), { status: Number(status), error: error! }]);
  }
  return rows;
}

// As fastify tests its docs/Reference/Errors.md: the catalogue and the document cannot drift.
describe('error catalogue', () => {
  const documented = documentedCodes();

  it('documents every code once, with its status and error', () => {
    for (const [code, entry] of Object.entries(ERROR_CATALOGUE)) {
      assert.deepEqual(
        documented.get(code),
        [{ status: entry.status, error: entry.error }],
        `${code} in the error tables`,
      );
    }
  });

  it('documents no code the service does not have', () => {
    const unknown = [...documented.keys()].filter((code) => !(code in ERROR_CATALOGUE));
    assert.deepEqual(unknown, []);
  });
});

describe('error answers', () => {
  it('keep internals of a 500 out of the body', () => {
    const answer = errorAnswer(
      new StsError('ERR_SIGNING_KEY_UNAVAILABLE', 'keyset "edge" has no key'),
    );
    assert.equal(answer.status, 500);
    assert.deepEqual(answer.body, {
      error: 'server_error',
      error_description: 'internal error',
      code: 'ERR_SIGNING_KEY_UNAVAILABLE',
    });
  });

  it('challenge as RFC 6750 and RFC 6749 §5.2 say', () => {
    const challenge = (err: StsError) => errorAnswer(err).headers['www-authenticate'];
    assert.equal(
      challenge(
        new StsError('ERR_TOKEN_MISSING', 'no token', { realm: 'api', credentialsMissing: true }),
      ),
      'Bearer realm="api"',
    );
    assert.equal(
      challenge(new StsError('ERR_INSUFFICIENT_SCOPE', "needs 'a'", { realm: 'api' })),
      `Bearer realm="api", error="insufficient_scope", error_description="needs 'a'"`,
    );
    assert.equal(
      challenge(new StsError('ERR_UNAUTHORIZED', 'wrong', { realm: 'sts-admin' })),
      'Bearer realm="sts-admin", error="invalid_token"',
    );
    assert.equal(
      challenge(new StsError('ERR_INVALID_CLIENT', 'no')),
      'Basic realm="sts", charset="UTF-8"',
    );
    assert.equal(
      challenge(new StsError('ERR_INVALID_CLIENT', 'no', { unchallenged: true })),
      undefined,
    );
    assert.equal(
      errorAnswer(new StsError('ERR_IDP_UNAVAILABLE', 'down', { retryAfterSeconds: 2.2 })).headers[
        'retry-after'
      ],
      '3',
    );
  });
});
