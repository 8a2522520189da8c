import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The repository root (tests run from dist/test). */
export const REPO = join(__dirname, '..', '..');

/** Every page a user reads: the README, docs/ and the test guide. */
export const DOCUMENTS = [
  'README.md',
  ...readdirSync(join(REPO, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => `docs/${name}`),
  'test/README.md',
];

export const readDocument = (document: string): string =>
  readFileSync(join(REPO, document), 'utf8');

/**
 * A fenced block a marker comment right before it makes checkable:
 * - `<!-- run -->`: shell steps run against a live instance, each answer checked;
 * - `<!-- write: <path> -->`: the file the runnable examples expect in their directory;
 * - `<!-- from: <path> -->`: an excerpt of a repository file, in the file's order.
 */
export interface MarkedBlock {
  document: string;
  /** 1-based line of the opening fence. */
  line: number;
  kind: 'run' | 'write' | 'from';
  path: string | undefined;
  text: string;
}

const MARKER = /^<!-- (run|write|from)(?:: (\S+))? -->$/;

export function markedBlocks(document: string): MarkedBlock[] {
  const lines = readDocument(document).split('\n');
  const blocks: MarkedBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const marker = MARKER.exec(lines[i]!);
    if (!marker) continue;
    let open = i + 1;
    while (lines[open]?.trim() === '') open++;
    if (!lines[open]?.startsWith('```'))
      throw new Error(`${document}:${i + 1}: a marker must come right before a fenced block`);
    let close = open + 1;
    while (close < lines.length && !lines[close]!.startsWith('```')) close++;
    blocks.push({
      document,
      line: open + 1,
      kind: marker[1] as MarkedBlock['kind'],
      path: marker[2],
      text: lines.slice(open + 1, close).join('\n'),
    });
    i = close;
  }
  return blocks;
}

/** A command (one or more lines) and the output documented under it as `# ` comment lines. */
export interface Step {
  command: string;
  expected: string[];
}

/**
 * The steps of a runnable block. Comment lines are the output of the command above them, so
 * runnable blocks carry no explanatory comment lines (explain in the text around the block).
 */
export function steps(block: string): Step[] {
  const result: Step[] = [];
  let command: string[] = [];
  let expected: string[] = [];
  const flush = () => {
    if (command.length > 0) result.push({ command: command.join('\n'), expected });
    command = [];
    expected = [];
  };
  for (const line of block.split('\n')) {
    if (line.startsWith('#')) {
      if (command.length === 0) throw new Error(`output without a command: ${line}`);
      expected.push(line.replace(/^# ?/, ''));
    } else {
      if (expected.length > 0 || (line.trim() === '' && command.length > 0)) flush();
      if (line.trim() !== '') command.push(line);
    }
  }
  flush();
  return result;
}

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A documented line as a pattern: `…` stands for anything, the rest is literal. */
export const linePattern = (documented: string): RegExp =>
  new RegExp(`^${documented.trimEnd().split('…').map(escapeRegExp).join('.*')}$`);

/**
 * Checks that every documented line matches a line of the output, in the documented order
 * (other output lines may come between). Returns the first documented line that does not.
 */
export function firstUnmatched(output: string, documented: readonly string[]): string | undefined {
  const lines = output.split('\n').map((line) => line.replace(/\r$/, '').trimEnd());
  let at = 0;
  for (const expected of documented) {
    const pattern = linePattern(expected);
    while (at < lines.length && !pattern.test(lines[at]!)) at++;
    if (at === lines.length) return expected;
    at++;
  }
  return undefined;
}
