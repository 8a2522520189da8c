/**
 * `npm run bench`: the limits and every path of the service, measured in one run on this machine
 * (see docs/performance.md). `--quick` (under 2 minutes), `--smoke` (seconds: checks the harness
 * still runs), `--only <measurement>`, `--profile` (a CPU profile of the STS), `--no-pin`,
 * `--out <file>`.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { binary, freePort, startNginx } from '../test/gateway-harness';
import { BenchIdp } from './idp';
import type { JoseRates } from './jose-rates';
import {
  LOAD_MEASUREMENTS,
  loadRequest,
  measurementOf,
  MEASUREMENTS,
  ROWS,
  type LoadMeasurement,
  type Measurement,
  type Targets,
} from './paths';
import {
  REPO,
  startHaproxy,
  startProcess,
  startSts,
  type Running,
  type StsSetup,
} from './processes';
import { summarize, table, type Round } from './report';
import { wrk, type WrkSettings } from './wrk';

interface Mode {
  repeats: number;
  seconds: number;
  warmSeconds: number;
  joseMs: number;
  verifyPool: number;
  exchangePool: number;
  rssTokens: number;
  /** Also time `npm start` on a warm data dir (the load instance's own start is timed anyway). */
  npmWarm: boolean;
  /** Every load at once (the smoke run). */
  parallel: boolean;
  connections: number;
}

const MODES: Record<'full' | 'quick' | 'smoke', Mode> = {
  full: {
    repeats: 3,
    seconds: 5,
    warmSeconds: 1,
    joseMs: 2000,
    verifyPool: 45_000,
    exchangePool: 20_000,
    rssTokens: 100_000,
    npmWarm: true,
    parallel: false,
    connections: 50,
  },
  quick: {
    repeats: 1,
    seconds: 2,
    warmSeconds: 1,
    joseMs: 600,
    verifyPool: 30_000,
    exchangePool: 10_000,
    rssTokens: 20_000,
    npmWarm: true,
    parallel: false,
    connections: 50,
  },
  smoke: {
    repeats: 1,
    seconds: 1,
    warmSeconds: 0,
    joseMs: 100,
    verifyPool: 2_000,
    exchangePool: 1_000,
    rssTokens: 1_000,
    npmWarm: false,
    parallel: true,
    connections: 4,
  },
};

interface Options {
  mode: keyof typeof MODES;
  only: Measurement | undefined;
  profile: boolean;
  pin: boolean;
  out: string | undefined;
}

function parseOptions(argv: string[]): Options {
  const options: Options = {
    mode: 'full',
    only: undefined,
    profile: false,
    pin: true,
    out: undefined,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--quick' || arg === '--smoke')
      options.mode = arg === '--quick' ? 'quick' : 'smoke';
    else if (arg === '--profile') options.profile = true;
    else if (arg === '--no-pin') options.pin = false;
    else if (arg === '--out') options.out = argv[++i];
    else if (arg === '--only') {
      const name = argv[++i] as Measurement;
      if (!MEASUREMENTS.includes(name))
        throw new Error(`--only takes one of: ${MEASUREMENTS.join(', ')}`);
      options.only = name;
    } else throw new Error(`unknown option ${arg}`);
  }
  return options;
}

/** `--only x`: x and the measurements its rows are compared with. */
function selected(only: Measurement | undefined): Set<Measurement> {
  if (!only) return new Set(MEASUREMENTS);
  const set = new Set<Measurement>([only]);
  for (const row of ROWS)
    if (measurementOf(row.target) === only)
      for (const need of row.limit?.needs ?? []) set.add(need);
  return set;
}

const versionOf = (command: string, args: string[]) => {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  return `${result.stdout ?? ''}${result.stderr ?? ''}`.split('\n')[0]!.trim() || undefined;
};

async function joseRates(pin: string[], mode: Mode): Promise<JoseRates> {
  const script = join(__dirname, 'jose-rates.js');
  const child = spawn(pin[0] ?? process.execPath, [
    ...pin.slice(1),
    ...(pin.length ? [process.execPath] : []),
    script,
    String(mode.joseMs),
    String(mode.connections),
  ]);
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => process.stderr.write(chunk));
  const code = await new Promise((resolve) => child.once('close', resolve));
  if (code !== 0) throw new Error(`jose-rates exited with ${String(code)}`);
  return JSON.parse(out) as JoseRates;
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const mode = MODES[options.mode];
  const ran = selected(options.only);
  const wrkPath = binary('wrk', ['/usr/bin/wrk']);
  if (!wrkPath) throw new Error('wrk is required (apt-get install wrk)');
  const pinned =
    options.pin && availableParallelism() >= 2 && !!binary('taskset', ['/usr/bin/taskset']);
  const pin = {
    load: pinned ? ['taskset', '-c', '0'] : [],
    server: pinned ? ['taskset', '-c', '1'] : [],
  };
  const work = mkdtempSync(join(tmpdir(), 'sts-bench-'));
  const settings: WrkSettings = {
    connections: mode.connections,
    threads: pinned ? 1 : 2,
    pin: pin.load,
    scriptDir: work,
  };
  const notes: string[] = [];
  /** What nginx said, for a path that fails through it. */
  const gatewayLogs: (() => string)[] = [];
  const log = (line: string) => console.error(`[bench] ${line}`);

  const haproxyPath = binary('haproxy', ['/usr/sbin/haproxy']);
  const idp = await BenchIdp.start();
  const stopping: (() => Promise<void>)[] = [() => idp.close()];
  const rounds: Round[] = [];
  try {
    const verifyFile = join(work, 'verify-tokens.txt');
    const exchangeFile = join(work, 'exchange-tokens.txt');
    const rssFile = join(work, 'rss-tokens.txt');
    log('signing the distinct IdP tokens');
    if (ran.has('verify-distinct') || ran.has('haproxy-distinct'))
      await idp.tokens(verifyFile, mode.verifyPool, 'verify');
    if (ran.has('exchange-distinct')) await idp.tokens(exchangeFile, mode.exchangePool, 'exchange');
    if (ran.has('rss')) await idp.tokens(rssFile, mode.rssTokens, 'rss', 'EdDSA');
    const repeated = idp.token('repeated');
    // Signed on every core; from here on the load generator (and this process) on core 0, every
    // server on core 1.
    if (pinned)
      spawnSync('taskset', ['-a', '-p', '-c', '0', String(process.pid)], { stdio: 'ignore' });

    const ports = { sts: await freePort(), raw: await freePort() };
    const raw = await startProcess({
      command: [
        ...pin.server,
        process.execPath,
        join(__dirname, 'raw-server.js'),
        String(ports.raw),
      ],
      readyUrl: `http://127.0.0.1:${ports.raw}/`,
    });
    stopping.push(raw.stop);
    const targets: Targets = {
      sts: `http://127.0.0.1:${ports.sts}`,
      raw: `http://127.0.0.1:${ports.raw}`,
      nginxDirect: '',
      nginxAuthz: '',
      haproxy: undefined,
      repeated,
      verifyPool: { file: verifyFile, count: mode.verifyPool, startAt: 0 },
      exchangePool: { file: exchangeFile, count: mode.exchangePool, startAt: 0 },
    };
    if ([...ran].some((name) => name.startsWith('nginx-'))) {
      const nginx = binary('nginx', ['/usr/sbin/nginx']);
      if (!nginx) throw new Error('nginx is required (apt-get install nginx)');
      // One worker, on the servers' core; the upstream is the raw route.
      const pinWorker = (conf: string) =>
        pinned
          ? conf.replace('worker_processes 1;', 'worker_processes 1;\nworker_cpu_affinity 10;')
          : conf;
      const gatewayPorts = { sts: ports.sts, upstream: ports.raw };
      const authz = await startNginx(
        nginx,
        { ...gatewayPorts, gateway: await freePort() },
        pinWorker,
      );
      const direct = await startNginx(
        nginx,
        { ...gatewayPorts, gateway: await freePort() },
        (conf) => pinWorker(conf).replace(/\n\s*auth_request \/_sts_authz;/, ''),
      );
      stopping.push(authz.stop, direct.stop);
      gatewayLogs.push(authz.output, direct.output);
      targets.nginxAuthz = authz.url;
      targets.nginxDirect = direct.url;
    }
    if (!haproxyPath) notes.push('HAProxy is not installed: its rows are left out');
    else if (ran.has('haproxy-repeated') || ran.has('haproxy-distinct')) {
      const port = await freePort();
      const haproxy = await startHaproxy(haproxyPath, {
        dir: work,
        port,
        publicPem: idp.publicPem(),
        prefix: pin.server,
        token: repeated,
      });
      stopping.push(haproxy.stop);
      targets.haproxy = `http://127.0.0.1:${port}`;
    }

    for (let r = 0; r < mode.repeats; r++) {
      const round: Round = { rates: {}, p50Ms: {}, p99Ms: {}, rssMb: {} };
      rounds.push(round);
      const setup: StsSetup = {
        jwksUri: idp.jwksUri,
        dataDir: mkdtempSync(join(work, 'data-')),
        port: ports.sts,
      };
      if (ran.has('cold-start')) {
        log(`round ${r + 1}: npm start, fresh data dir`);
        const fresh = await startSts(setup, { npm: true });
        round.rates['start-fresh'] = fresh.readyMs;
        await fresh.stop();
        if (mode.npmWarm) {
          const warm = await startSts(setup, { npm: true });
          round.rates['start-warm'] = warm.readyMs;
          await warm.stop();
        }
      }
      const profileDir = join(REPO, 'bench', 'results', 'profiles');
      if (options.profile) mkdirSync(profileDir, { recursive: true });
      const sts: Running = await startSts(setup, {
        npm: false,
        prefix: pin.server,
        nodeFlags: options.profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [],
      });
      if (ran.has('cold-start')) round.rates['start-node'] = sts.readyMs;
      try {
        targets.verifyPool.startAt = 0;
        targets.exchangePool.startAt = 0;
        if (ran.has('jose')) {
          log(`round ${r + 1}: jose in process`);
          const jose = await joseRates(pin.server, mode);
          for (const [alg, rates] of Object.entries(jose)) {
            round.rates[`jose-${alg}-verify`] = rates.verify;
            round.rates[`jose-${alg}-sign`] = rates.sign;
          }
        }
        const loads: LoadMeasurement[] = [];
        for (const name of LOAD_MEASUREMENTS)
          if (ran.has(name) && (await probe(name))) loads.push(name);
        // The smoke run only proves every path still runs: all at once, its numbers mean nothing.
        if (mode.parallel) await Promise.all(loads.map((name) => measure(name, round, sts)));
        else for (const name of loads) await measure(name, round, sts);
        const direct = round.p50Ms['nginx-direct-1conn'];
        const authz = round.p50Ms['nginx-authz-1conn'];
        if (direct !== undefined && authz !== undefined)
          round.rates['forward-auth-added-p50'] = authz - direct;
      } finally {
        await sts.stop();
      }
    }

    if (ran.has('rss')) {
      // Its own instance, so the number is what distinct tokens cost, not what the other paths left.
      log(`RSS: ${mode.rssTokens} distinct tokens to /verify on a new instance`);
      const sts = await startSts(
        { jwksUri: idp.jwksUri, dataDir: mkdtempSync(join(work, 'data-')), port: ports.sts },
        { npm: false, prefix: pin.server, nodeFlags: [] },
      );
      try {
        const pool = { file: rssFile, count: mode.rssTokens, startAt: 0 };
        const request = {
          url: `${targets.sts}/verify/api`,
          method: 'POST' as const,
          headers: { authorization: 'Bearer {token}' },
          tokens: pool,
        };
        while (pool.startAt < mode.rssTokens) {
          const result = await wrk(settings, request, Math.max(1, mode.seconds));
          if (result.errors) notes.push(`rss: ${result.errors} failed requests`);
          pool.startAt += result.requests;
        }
        rounds[rounds.length - 1]!.rates.rss = sts.rssMb();
      } finally {
        await sts.stop();
      }
    }

    /** One request first, so a path that fails says why instead of measuring error answers. */
    async function probe(name: LoadMeasurement): Promise<boolean> {
      const request = loadRequest(name, targets);
      if (!request) return false;
      const withToken = (text: string) => text.replace('{token}', repeated);
      const answer = await fetch(request.url, {
        method: request.method ?? 'GET',
        headers: Object.fromEntries(
          Object.entries(request.headers ?? {}).map(([k, v]) => [k, withToken(v)]),
        ),
        body: request.body === undefined ? undefined : withToken(request.body),
      });
      if (answer.status < 300) {
        await answer.body?.cancel();
        return true;
      }
      const logs = name.startsWith('nginx') ? gatewayLogs.map((output) => output()).join('') : '';
      const body = (await answer.text()).slice(0, 300);
      notes.push(`${name}: answered ${answer.status} ${body} ${logs.slice(-1000)}`);
      return false;
    }

    async function measure(name: LoadMeasurement, round: Round, sts: Running): Promise<void> {
      const request = loadRequest(name, targets)!;
      log(`${name}`);
      const pool =
        name === 'verify-distinct'
          ? targets.verifyPool
          : name === 'exchange-distinct'
            ? targets.exchangePool
            : undefined;
      if (mode.warmSeconds > 0) {
        const warm = await wrk(settings, request, mode.warmSeconds);
        if (pool) pool.startAt += warm.requests;
      }
      let result = await wrk(settings, request, mode.seconds);
      // No answer at all: the server's core was taken by something else for the whole run (a
      // noisy machine, or the smoke run's loads all at once). Once more, then it is no sample.
      if (result.requests === 0) result = await wrk(settings, request, mode.seconds);
      if (pool) {
        pool.startAt += result.requests;
        if (pool.startAt > pool.count)
          notes.push(
            `${name}: ${pool.startAt} requests for ${pool.count} distinct tokens (some repeated)`,
          );
      }
      if (result.errors)
        notes.push(`${name}: ${result.errors} failed requests of ${result.requests}`);
      if (result.requests === 0) notes.push(`${name}: no answer in ${mode.seconds} s`);
      round.rates[name] = result.errors || result.requests === 0 ? NaN : result.perSecond;
      round.p50Ms[name] = result.p50Ms;
      round.p99Ms[name] = result.p99Ms;
      if (!name.startsWith('nginx-direct') && !name.startsWith('haproxy') && name !== 'raw')
        round.rssMb[name] = sts.rssMb();
    }
  } finally {
    for (const stop of stopping.reverse()) await stop().catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
  }

  const rows = summarize(rounds, ran);
  const rss = rows.find((row) => row.target === 'rss');
  if (rss) rss.label = `RSS after ${mode.rssTokens / 1000}k distinct tokens (MB)`;
  const printed = table(rows);
  const result = {
    date: new Date().toISOString(),
    mode: options.mode,
    only: options.only,
    machine: {
      cpus: cpus().length,
      model: cpus()[0]?.model,
      node: process.version,
      wrk: versionOf('wrk', ['-v']),
      nginx: versionOf('nginx', ['-v']),
      haproxy: haproxyPath ? versionOf(haproxyPath, ['-v']) : undefined,
    },
    settings: { ...mode, wrkThreads: settings.threads, pinned },
    rows,
    rounds,
    notes,
    table: printed,
  };
  const out =
    options.out ??
    join(REPO, 'bench', 'results', `${result.date.replace(/[:.]/g, '-')}-${options.mode}.json`);
  mkdirSync(join(out, '..'), { recursive: true });
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  console.log(printed);
  for (const note of notes) console.log(`note: ${note}`);
  console.log(
    `\n${options.mode} run, ${mode.repeats} round(s) of ${mode.seconds} s per path, ${mode.connections} connections, ` +
      `${pinned ? 'wrk on core 0 and the servers on core 1' : 'not pinned'}; JSON: ${out}`,
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
