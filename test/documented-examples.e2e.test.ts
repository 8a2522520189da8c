import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DOCUMENTS, firstUnmatched, markedBlocks, REPO, steps } from './documentation';
import { freePort, tempDir } from './helpers';

const ADMIN_TOKEN = 'documented-examples-admin-token';

/**
 * What a reader's shell does, moved to this test's instance: `localhost:8080` becomes its port,
 * and `npm run <script> --` runs the script's command from the repository (built by `npm test`).
 */
function forThisInstance(text: string, port: number): string {
  const scripts = (
    JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    }
  ).scripts;
  return text
    .replaceAll('localhost:8080', `localhost:${port}`)
    .replace(/\bnpm run ([\w:-]+)(?: --)?/g, (_match, name: string) => {
      const script = scripts[name] ?? '';
      assert.ok(script.startsWith('node dist/'), `npm run ${name}: not a "node dist/…" script`);
      return script.replace(/\bdist\//g, `${REPO}/dist/`);
    });
}

/** One bash for a whole document, as a reader keeps one terminal: variables carry over. */
class Shell {
  private readonly bash: ChildProcessWithoutNullStreams;
  private output = '';
  private waiting: (() => void) | undefined;
  private readonly sentinel = `--- step done ${randomUUID()}`;

  constructor(
    private readonly cwd: string,
    env: Record<string, string>,
  ) {
    this.bash = spawn('bash', ['--noprofile', '--norc'], { cwd, env });
    this.bash.stdout.on('data', (chunk: Buffer) => {
      this.output += chunk.toString('utf8');
      this.waiting?.();
    });
    this.bash.stderr.on('data', (chunk: Buffer) => {
      this.output += chunk.toString('utf8');
    });
  }

  /** Runs a command as typed (stdin closed, stderr with stdout); its output and exit status. */
  async run(command: string): Promise<{ output: string; status: number }> {
    const file = join(this.cwd, `.step-${randomUUID()}.sh`);
    writeFileSync(file, `${command}\n`);
    this.output = '';
    this.bash.stdin.write(
      `source '${file}' </dev/null 2>&1; printf '\\n%s %d\\n' '${this.sentinel}' $?\n`,
    );
    const done = new RegExp(`\\n${this.sentinel} (\\d+)\\n`);
    while (!done.test(this.output)) await new Promise<void>((resolve) => (this.waiting = resolve));
    this.waiting = undefined;
    rmSync(file);
    const match = done.exec(this.output)!;
    return { output: this.output.slice(0, match.index), status: Number(match[1]) };
  }

  close(): void {
    this.bash.stdin.end();
  }
}

/** `npm start` as the README runs it (the build is done): `node dist/src/main.js` in `dir`. */
async function startService(
  dir: string,
  env: Record<string, string>,
): Promise<ChildProcessWithoutNullStreams> {
  const child = spawn(process.execPath, [join(REPO, 'dist', 'src', 'main.js')], { cwd: dir, env });
  let log = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      log += chunk.toString('utf8');
      if (log.includes('"STS listening"')) resolve();
    });
    child.stderr.on('data', (chunk: Buffer) => (log += chunk.toString('utf8')));
    child.on('exit', (code) => reject(new Error(`the service exited (${code}):\n${log}`)));
  });
  return child;
}

const missing = ['curl', 'jq'].filter(
  (tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0,
);
// Skipped with a message on a developer machine without curl or jq; in CI (which installs both)
// a missing tool is a failure, never a skip.
const skip =
  missing.length > 0 && !process.env.CI
    ? `needs ${missing.join(' and ')} (apt-get install)`
    : false;

describe('the documented examples, run as written against a running instance', { skip }, () => {
  let dir: string;
  let port: number;
  let service: ChildProcessWithoutNullStreams;

  before(async () => {
    dir = tempDir('sts-examples-');
    port = await freePort();
    for (const block of DOCUMENTS.flatMap(markedBlocks))
      if (block.kind === 'write')
        writeFileSync(join(dir, block.path!), `${forThisInstance(block.text, port)}\n`);
    // The examples name repository files as a reader in the clone would.
    symlinkSync(join(REPO, 'examples'), join(dir, 'examples'));
    service = await startService(dir, {
      PATH: process.env.PATH ?? '',
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      STS_ADMIN_TOKEN: ADMIN_TOKEN,
    });
  });

  after(async () => {
    if (service && service.exitCode === null) {
      const exited = new Promise((resolve) => service.once('exit', resolve));
      service.kill('SIGTERM');
      await exited;
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const document of DOCUMENTS) {
    const runnable = markedBlocks(document).filter((block) => block.kind === 'run');
    if (runnable.length === 0) continue;
    it(`${document}: every runnable example answers as shown`, async () => {
      const shell = new Shell(dir, {
        PATH: process.env.PATH ?? '',
        HOME: dir,
        STS_ADMIN_TOKEN: ADMIN_TOKEN,
      });
      try {
        for (const block of runnable) {
          for (const step of steps(block.text)) {
            const command = forThisInstance(step.command, port);
            const { output, status } = await shell.run(command);
            const where = `${document}:${block.line}\n$ ${step.command}\n${output}`;
            if (step.expected.length === 0) {
              assert.equal(status, 0, `exit status ${status} at ${where}`);
              continue;
            }
            const documented = step.expected.map((line) => forThisInstance(line, port));
            const unmatched = firstUnmatched(output, documented);
            assert.equal(unmatched, undefined, `no output line matches "${unmatched}" at ${where}`);
          }
        }
      } finally {
        shell.close();
      }
    });
  }
});
