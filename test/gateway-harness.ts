import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { sendJson, startLocalServer, tempDir, type LocalServer } from './helpers';

export const EXAMPLES = join(__dirname, '..', '..', 'examples');

/** A port that was free a moment ago (the gateway binds it right after). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export function binary(name: string, candidates: string[]): string | undefined {
  return (
    candidates.find((path) => existsSync(path)) ??
    (spawnSync('which', [name]).stdout?.toString().trim() || undefined)
  );
}

export interface Ports {
  gateway: number;
  sts: number;
  upstream: number;
}

/** The example file with its documented ports (8000 gateway, 8080 STS, 9000 upstream) replaced. */
export function exampleWithPorts(file: string, ports: Ports): string {
  return readFileSync(join(EXAMPLES, file), 'utf8')
    .replaceAll('127.0.0.1:8000', `127.0.0.1:${ports.gateway}`)
    .replaceAll('127.0.0.1:8080', `127.0.0.1:${ports.sts}`)
    .replaceAll('127.0.0.1:9000', `127.0.0.1:${ports.upstream}`);
}

export interface RunningGateway {
  url: string;
  stop: () => Promise<void>;
  output: () => string;
}

async function waitForPort(port: number, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`gateway exited early:\n${output()}`);
    // Probe by connecting, never by binding: a probe holding the port for a moment made a
    // gateway that binds all interfaces (Caddy) fail with "address already in use".
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`gateway did not listen on ${port}:\n${output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function run(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  port: number,
): Promise<RunningGateway> {
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout?.on('data', (c: Buffer) => (log += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (log += c.toString()));
  const output = () => log;
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 3000).unref();
    });
  return waitForPort(port, child, output).then(
    () => ({ url: `http://127.0.0.1:${port}`, stop, output }),
    async (err: unknown) => {
      await stop();
      throw err;
    },
  );
}

/** nginx with the shipped example config (optionally edited, e.g. for a no-auth baseline). */
export async function startNginx(
  nginx: string,
  ports: Ports,
  edit: (conf: string) => string = (conf) => conf,
): Promise<RunningGateway> {
  const dir = tempDir('sts-nginx-');
  // nginx workers run as an unprivileged user and buffer large bodies under this directory.
  chmodSync(dir, 0o755);
  mkdirSync(join(dir, 'logs'));
  const conf = edit(exampleWithPorts('nginx/nginx.conf', ports))
    .replace('pid /tmp/sts-example-nginx.pid;', `pid ${join(dir, 'nginx.pid')};`)
    .replace(
      'access_log off;',
      [
        'access_log off;',
        ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(
          (t) => `${t}_temp_path ${join(dir, t)};`,
        ),
      ].join('\n  '),
    );
  const file = join(dir, 'nginx.conf');
  writeFileSync(file, conf);
  return run(nginx, ['-p', dir, '-c', file, '-g', 'daemon off;'], process.env, ports.gateway);
}

/** Caddy with the shipped example config (optionally edited, e.g. for another profile). */
export async function startCaddy(
  caddy: string,
  ports: Ports,
  edit: (conf: string) => string = (conf) => conf,
): Promise<RunningGateway> {
  const dir = tempDir('sts-caddy-');
  const file = join(dir, 'Caddyfile');
  writeFileSync(file, edit(exampleWithPorts('caddy/Caddyfile', ports)));
  const env = { ...process.env, HOME: dir, XDG_DATA_HOME: dir, XDG_CONFIG_HOME: dir };
  return run(caddy, ['run', '--config', file, '--adapter', 'caddyfile'], env, ports.gateway);
}

export interface EchoUpstream extends LocalServer {
  port: number;
}

/** The upstream: answers with the headers it received and the size of the body. */
export async function startEchoUpstream(): Promise<EchoUpstream> {
  const server = await startLocalServer((req, res, body) =>
    sendJson(res, 200, {
      method: req.method,
      url: req.url,
      headers: req.headers,
      bodyBytes: Buffer.byteLength(body),
    }),
  );
  return { ...server, port: Number(new URL(server.url).port) };
}
