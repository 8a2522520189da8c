import { loadDeclarativeFile } from '../config/config';

export interface CheckOutput {
  log: (line: string) => void;
  error: (line: string) => void;
}

/**
 * `npm run config:check -- sts.config.yaml`: validates a declarative file offline, exactly as
 * start-up would, and prints every problem with its path (like `krakend check`). Returns the exit
 * code: 0 when valid, 1 otherwise.
 */
export function checkConfigFile(argv: readonly string[], out: CheckOutput = console): number {
  const path = argv[0];
  if (!path || argv.length > 1) {
    out.error('usage: npm run config:check -- <file.yaml|file.json>');
    return 1;
  }
  const { file, problems } = loadDeclarativeFile(path);
  if (problems.length > 0) {
    out.error(`${path}: ${problems.length} problem(s)`);
    for (const problem of problems) out.error(`  - ${problem.path}: ${problem.message}`);
    return 1;
  }
  const counts = (['keysets', 'signers', 'profiles', 'consumers', 'clients'] as const)
    .map((section) => `${file[section].length} ${section}`)
    .join(', ');
  out.log(`${path}: ok (${counts})`);
  return 0;
}

if (require.main === module) process.exitCode = checkConfigFile(process.argv.slice(2));
