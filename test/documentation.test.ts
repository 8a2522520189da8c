import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, it } from 'node:test';
import {
  DOCUMENTS,
  firstUnmatched,
  linePattern,
  markedBlocks,
  readDocument,
  REPO,
  steps,
} from './documentation';

/** The lines of a markdown text outside fenced blocks. */
function prose(markdown: string): string[] {
  let fenced = false;
  return markdown.split('\n').filter((line) => {
    if (line.startsWith('```')) fenced = !fenced;
    return !fenced && !line.startsWith('```');
  });
}

/** The anchors GitHub gives a page's headings (lowercase, punctuation dropped, spaces to `-`). */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const result = new Set<string>();
  for (const line of prose(markdown)) {
    const heading = /^#{1,6} (.+)$/.exec(line);
    if (!heading) continue;
    const slug = heading[1]!
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\p{M}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    result.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return result;
}

describe('documentation', () => {
  it('links only to files and headings that exist', () => {
    const broken: string[] = [];
    for (const document of DOCUMENTS) {
      const text = readDocument(document);
      for (const line of prose(text)) {
        for (const [, target] of line.matchAll(/\]\(([^)\s]+)\)/g)) {
          if (/^[a-z]+:/.test(target!)) continue; // another site
          const [path, anchor] = target!.split('#') as [string, string | undefined];
          const file = path === '' ? join(REPO, document) : join(REPO, dirname(document), path);
          if (!existsSync(file)) broken.push(`${document}: ${target} (no such file)`);
          else if (anchor !== undefined && !anchors(readFileSync(file, 'utf8')).has(anchor))
            broken.push(`${document}: ${target} (no such heading in ${relative(REPO, file)})`);
        }
      }
    }
    assert.deepEqual(broken, []);
  });

  it('quotes repository files as they are (<!-- from: … --> blocks)', () => {
    const excerpts = DOCUMENTS.flatMap(markedBlocks).filter((block) => block.kind === 'from');
    assert.ok(excerpts.length > 0);
    for (const block of excerpts) {
      const source = readFileSync(join(REPO, block.path!), 'utf8')
        .split('\n')
        .map((line) => line.trim());
      let at = 0;
      // Lines with `…` say what the excerpt leaves out; every other line is the file's, in order.
      for (const line of block.text.split('\n').map((l) => l.trim())) {
        if (line === '' || line.includes('…')) continue;
        while (at < source.length && source[at] !== line) at++;
        assert.ok(
          at < source.length,
          `${block.document}:${block.line}: "${line}" is not in ${block.path} (in this order)`,
        );
        at++;
      }
    }
  });

  it('keeps runnable blocks parseable: every output line follows a command', () => {
    for (const block of DOCUMENTS.flatMap(markedBlocks))
      if (block.kind === 'run')
        assert.ok(steps(block.text).length > 0, `${block.document}:${block.line}`);
  });

  it('matches documented output literally, `…` standing for anything', () => {
    assert.ok(linePattern('{"a":"…","b":1}').test('{"a":"x.y","b":1}'));
    assert.ok(!linePattern('{"a":"…","b":1}').test('{"a":"x","b":12}'));
    assert.ok(!linePattern('HTTP/1.1 200 OK').test('HTTP/1.1 200 OKAY'));
    assert.ok(linePattern('x (1)').test('x (1)'));
    assert.equal(
      firstUnmatched('HTTP/1.1 401\r\nallow: POST\r\n\r\n{}', ['HTTP/1.1 401', '{}']),
      undefined,
    );
    assert.equal(firstUnmatched('b\na', ['a', 'b']), 'b');
  });
});
