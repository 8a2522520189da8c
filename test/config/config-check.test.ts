import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { checkConfigFile } from '../../src/cli/config-check';
import { tempDir } from '../helpers';

const CHECK_CLI = join(__dirname, '..', '..', 'src', 'cli', 'config-check.js');

/** The real command, in a child process (exit code and streams as a shell sees them). */
function run(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [CHECK_CLI, ...args], { encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** The same check in process, for the many cases that only look at its output. */
function check(...args: string[]): { status: number; stdout: string; stderr: string } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const status = checkConfigFile(args, {
    log: (line) => stdout.push(line),
    error: (line) => stderr.push(line),
  });
  return { status, stdout: stdout.join('\n'), stderr: stderr.join('\n') };
}

function file(name: string, text: string): string {
  const path = join(tempDir(), name);
  writeFileSync(path, text);
  return path;
}

describe('npm run config:check', () => {
  it('accepts a valid file with exit code 0', () => {
    const path = file(
      'sts.config.yaml',
      [
        'keysets:',
        '  - name: edge',
        '    algorithm: ES256',
        '    rotation: { period: 30d, prepublish: 1h, retain: 2, max_token_lifetime: 2h }',
        'signers:',
        '  - name: krakend',
        '    keyset: edge',
        '    keys-to-sign: [access_token]',
      ].join('\n'),
    );
    const result = run(path);
    assert.equal(result.status, 0, result.stderr);
    assert.match(
      result.stdout,
      /: ok \(1 keysets, 1 signers, 0 profiles, 0 consumers, 0 clients\)/,
    );
  });

  it('prints every problem with its path and exits 1, without touching the environment', () => {
    const path = file(
      'bad.json',
      JSON.stringify({
        surprise: true,
        keysets: [
          { name: 'a', algorithm: 'none' },
          { name: 'b', algorithm: 'ES256', rotation: { period: '1h', prepublish: '2h' } },
          { name: 'b', algorithm: 'ES256', rotation: { retain: -1, period: 'soon' } },
        ],
        signers: [
          { name: 's', 'jwk-url': 'https://keys.example.com/jwks.json', 'keys-to-sign': [] },
        ],
      }),
    );
    const result = run(path);
    assert.equal(result.status, 1);
    for (const expected of [
      /- surprise: should not exist/,
      /- keysets\[0\]\.algorithm: algorithm must be one of/,
      /- keysets\[1\]\.rotation\.prepublish: prepublish must be shorter than period/,
      /- keysets\[2\]\.name: duplicate name "b"/,
      /- keysets\[2\]\.rotation\.retain: /,
      /- keysets\[2\]\.rotation\.period: period must be a duration/,
      /- signers\[0\]\.keys-to-sign: /,
      /- signers\[0\]\.alg: alg is required with jwk-url/,
    ]) {
      assert.match(result.stderr, expected);
    }
    assert.match(result.stderr, /: 8 problem\(s\)/);
  });

  it('reports unreadable or unparsable files and a missing argument', () => {
    assert.match(check('/nonexistent/sts.yaml').stderr, /STS_CONFIG: cannot read/);
    assert.match(check(file('broken.yaml', 'keysets: [')).stderr, /not valid YAML\/JSON/);
    const usage = check();
    assert.equal(usage.status, 1);
    assert.match(usage.stderr, /usage: npm run config:check -- <file/);
  });
});
