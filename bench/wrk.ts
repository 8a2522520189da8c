import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** What one HTTP request of a run looks like; `tokens` makes each request take the next token. */
export interface LoadRequest {
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  /** Instead of the run's connection count. */
  connections?: number;
  /** A file of tokens, one a line, sent in turn where `{token}` stands in a header or the body. */
  tokens?: { file: string; count: number; startAt: number };
}

export interface LoadResult {
  requests: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Answers that were not 2xx or 3xx, plus socket errors: a run with any is not a measurement. */
  errors: number;
}

export interface WrkSettings {
  connections: number;
  threads: number;
  /** A command prefix pinning wrk to its core (`taskset -c 0`), empty when not pinned. */
  pin: string[];
  scriptDir: string;
}

const lua = (text: string) => `[==[${text}]==]`;

/**
 * A wrk Lua script. Static requests are built once by wrk itself (the cheapest load); with a token
 * file each thread reads all tokens and the threads interleave (thread k sends tokens k, k + n, …
 * from `startAt` on), so no token repeats before all were sent once.
 */
function script(request: LoadRequest, threads: number): string {
  const headers = Object.entries(request.headers ?? {});
  const lines = [`wrk.method = "${request.method ?? 'GET'}"`];
  if (!request.tokens) {
    for (const [name, value] of headers) lines.push(`wrk.headers[ ${lua(name)} ] = ${lua(value)}`);
    if (request.body !== undefined) lines.push(`wrk.body = ${lua(request.body)}`);
    return lines.join('\n');
  }
  const fill = (text: string) =>
    text
      .split('{token}')
      .map((part) => lua(part))
      .join(' .. token .. ');
  const headerTable = headers
    .map(([name, value]) => `[ ${lua(name)} ] = ${fill(value)}`)
    .join(', ');
  lines.push(
    'local tokens, index = {}, 0',
    'local started = 0',
    'function setup(thread)',
    '  thread:set("offset", started)',
    '  started = started + 1',
    'end',
    'function init()',
    `  for line in io.lines(${lua(request.tokens.file)}) do tokens[#tokens + 1] = line end`,
    `  index = ${request.tokens.startAt} + offset`,
    'end',
    'function request()',
    '  local token = tokens[index % #tokens + 1]',
    `  index = index + ${threads}`,
    `  return wrk.format(nil, nil, { ${headerTable} }${
      request.body !== undefined ? `, ${fill(request.body)}` : ''
    })`,
    'end',
  );
  return lines.join('\n');
}

const MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000 };

/** wrk's `--latency` percentiles (`99%  1.20ms`) in milliseconds. */
function percentile(output: string, at: string): number {
  const match = new RegExp(`^\\s*${at}%\\s+([\\d.]+)(us|ms|s|m)\\s*$`, 'm').exec(output);
  return match ? Number(match[1]) * MS[match[2]!]! : NaN;
}

let scripts = 0;

/** One wrk run; resolves without blocking this process (the IdP's JWKS is served from it). */
export async function wrk(
  settings: WrkSettings,
  request: LoadRequest,
  seconds: number,
): Promise<LoadResult> {
  const file = join(settings.scriptDir, `load-${++scripts}.lua`);
  writeFileSync(file, script(request, settings.threads));
  const [command, ...args] = [
    ...settings.pin,
    'wrk',
    `-t${Math.min(settings.threads, request.connections ?? settings.threads)}`,
    `-c${request.connections ?? settings.connections}`,
    `-d${seconds}s`,
    '--timeout',
    '10s',
    '--latency',
    '-s',
    file,
    request.url,
  ];
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  const perSecond = /Requests\/sec:\s+([\d.]+)/.exec(output);
  if (code !== 0 || !perSecond) throw new Error(`wrk failed on ${request.url}:\n${output}`);
  const failed = Number(/Non-2xx or 3xx responses: (\d+)/.exec(output)?.[1] ?? 0);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(
    output,
  );
  const socketErrors = socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0;
  return {
    requests: Number(/(\d+) requests in/.exec(output)?.[1] ?? 0),
    perSecond: Number(perSecond[1]),
    p50Ms: percentile(output, '50'),
    p99Ms: percentile(output, '99'),
    errors: failed + socketErrors,
  };
}
