import assert from 'node:assert/strict';
import type { InjectResult } from '../helpers';

/** What a peer's test case and our answer to it have in common. */
export interface ConformanceCase {
  test: string;
  /** Set when our answer differs on purpose: why, and what the peer answers. */
  difference?: string;
}

/** The case's title in the test report; a deliberate difference says so. */
export const caseTitle = (peerCase: ConformanceCase): string =>
  peerCase.difference ? `${peerCase.test} [deliberate difference]` : peerCase.test;

/**
 * Checks the admin API's answer to storing a case's configuration: refused with a description
 * matching `refused`, or created. True when it was (rightly) refused.
 */
export function refusedAsExpected(stored: InjectResult, refused: string | undefined): boolean {
  if (refused === undefined) {
    assert.equal(stored.statusCode, 201, stored.body);
    return false;
  }
  assert.equal(stored.statusCode, 400, stored.body);
  assert.match(stored.json<{ error_description: string }>().error_description, new RegExp(refused));
  return true;
}
