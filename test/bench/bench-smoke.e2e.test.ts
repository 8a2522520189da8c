import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ROWS } from '../../bench/paths';
import type { Row } from '../../bench/report';
import { binary } from '../gateway-harness';
import { tempDir } from '../helpers';

const tools = { wrk: binary('wrk', ['/usr/bin/wrk']), nginx: binary('nginx', ['/usr/sbin/nginx']) };
const haproxy = binary('haproxy', ['/usr/sbin/haproxy']);
// Skipped with a message on a developer machine without wrk or nginx; in CI (which installs them)
// a missing tool is a failure, never a skip.
const missing = Object.entries(tools).filter(([, path]) => !path);
const skip =
  missing.length > 0 && !process.env.CI
    ? `needs ${missing.map(([name]) => name).join(' and ')} (apt-get install)`
    : false;

describe('npm run bench -- --smoke: the harness still measures every path', { skip }, () => {
  it('runs each limit and path once and reports a number for every row, with no failed request', async () => {
    const out = join(tempDir('sts-bench-smoke-'), 'result.json');
    const child = spawn(
      process.execPath,
      [join(__dirname, '..', '..', 'bench', 'run.js'), '--smoke', '--out', out],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise((resolve) => child.once('close', resolve));
    assert.equal(code, 0, output);

    const result = JSON.parse(readFileSync(out, 'utf8')) as { rows: Row[]; notes: string[] };
    // A path answering errors is noted and left out of the table: no such note may appear.
    assert.deepEqual(
      result.notes.filter((note) => !note.includes('distinct tokens (some repeated)')),
      haproxy ? [] : ['HAProxy is not installed: its rows are left out'],
    );
    const expected = ROWS.map((row) => row.label)
      .filter((label) => haproxy || !label.includes('HAProxy'))
      // The smoke run times `npm start` on a fresh data dir only.
      .filter((label) => !label.includes('npm start → /health/ready, warm'))
      .map((label) => label.replace(/^RSS after .*/, 'RSS after 1k distinct tokens (MB)'));
    assert.deepEqual(
      result.rows.map((row) => row.label),
      expected,
    );
    for (const row of result.rows) {
      // A difference of two latencies may come out below zero when everything runs at once.
      if (row.target === 'forward-auth-added-p50') assert.ok(Number.isFinite(row.value.median));
      else assert.ok(row.value.median > 0, `${row.label}: ${row.value.median}`);
      if (row.limit) assert.ok(row.ratio && row.ratio.median > 0, `${row.label}: no ratio`);
      if (!row.target.startsWith('jose-') && row.p50Ms !== undefined)
        assert.ok(row.p99Ms! >= row.p50Ms, `${row.label}: p99 below p50`);
    }
    assert.match(output, /\| POST \/verify\/\{profile\}, RS256, distinct tokens +\| \d+/);
  });
});
