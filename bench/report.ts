import { measurementOf, ROWS, type Goal, type Measurement, type RoundRates } from './paths';

/** What one round measured: rates (the limits' inputs), and per target its latency and memory. */
export interface Round {
  rates: RoundRates;
  p50Ms: Record<string, number>;
  p99Ms: Record<string, number>;
  rssMb: Record<string, number>;
}

export interface Spread {
  median: number;
  min: number;
  max: number;
}

export interface Row {
  label: string;
  target: string;
  /** req/s (ops/s for jose; MB for memory; ms for start-up). */
  value: Spread;
  p50Ms?: number;
  p99Ms?: number;
  limit?: { label: string; value: Spread };
  /** target ÷ limit within each round, then the median and spread of those. */
  ratio?: Spread;
  goal?: Goal;
  met?: boolean;
  rssMb?: number;
}

function spread(values: number[]): Spread | undefined {
  const known = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (known.length === 0) return undefined;
  const middle = known.length / 2;
  const median =
    known.length % 2 ? known[Math.floor(middle)]! : (known[middle - 1]! + known[middle]!) / 2;
  return { median, min: known[0]!, max: known[known.length - 1]! };
}

const median = (values: (number | undefined)[]) => spread(values.map((v) => v ?? NaN))?.median;

export function summarize(rounds: Round[], ran: Set<Measurement>): Row[] {
  const rows: Row[] = [];
  for (const spec of ROWS) {
    if (!ran.has(measurementOf(spec.target))) continue;
    if (![...(spec.needs ?? []), ...(spec.limit?.needs ?? [])].every((need) => ran.has(need)))
      continue;
    const value = spread(rounds.map((round) => round.rates[spec.target] ?? NaN));
    if (!value) continue;
    const row: Row = { label: spec.label, target: spec.target, value, goal: spec.goal };
    row.p50Ms = median(rounds.map((round) => round.p50Ms[spec.target]));
    row.p99Ms = median(rounds.map((round) => round.p99Ms[spec.target]));
    row.rssMb = median(rounds.map((round) => round.rssMb[spec.target]));
    if (spec.limit) {
      const limit = spread(rounds.map((round) => spec.limit!.value(round.rates) ?? NaN));
      const ratio = spread(
        rounds.map(
          (round) => (round.rates[spec.target] ?? NaN) / (spec.limit!.value(round.rates) ?? NaN),
        ),
      );
      if (limit) row.limit = { label: spec.limit.label, value: limit };
      if (ratio) row.ratio = ratio;
    }
    if (spec.goal) row.met = meets(row, spec.goal);
    rows.push(row);
  }
  return rows;
}

function meets(row: Row, goal: Goal): boolean | undefined {
  const checks: boolean[] = [];
  if (goal.ratio !== undefined && row.ratio) checks.push(row.ratio.median >= goal.ratio);
  if (goal.p99Ms !== undefined && row.p99Ms !== undefined) checks.push(row.p99Ms <= goal.p99Ms);
  if (goal.atMost !== undefined) checks.push(row.value.median <= goal.atMost);
  return checks.length ? checks.every(Boolean) : undefined;
}

const round = (n: number, digits = 0) => n.toFixed(digits);
const ms = (n: number | undefined) => (n === undefined ? '' : n < 10 ? round(n, 2) : round(n, 1));

function valueText(row: Row): string {
  const { median, min, max } = row.value;
  const digits = Math.abs(median) < 10 ? 2 : 0;
  return min === max
    ? round(median, digits)
    : `${round(median, digits)} (${round(min, digits)}–${round(max, digits)})`;
}

function goalText(goal: Goal | undefined): string {
  if (!goal) return '';
  return [
    goal.ratio !== undefined ? `≥ ${goal.ratio.toFixed(2)}` : '',
    goal.p99Ms !== undefined ? `p99 ≤ ${goal.p99Ms} ms` : '',
    goal.atMost !== undefined ? `≤ ${goal.atMost}` : '',
  ]
    .filter(Boolean)
    .join(', ');
}

/** The table as Markdown (docs/performance.md takes it as printed). */
export function table(rows: Row[]): string {
  const header = [
    'path',
    'req/s (spread)',
    'p50 ms',
    'p99 ms',
    'limit',
    'ratio (spread)',
    'goal',
    'RSS MB',
  ];
  const lines = rows.map((row) => [
    row.label,
    valueText(row),
    ms(row.p50Ms),
    ms(row.p99Ms),
    row.limit ? `${row.limit.label}: ${round(row.limit.value.median)}` : '',
    row.ratio
      ? `${row.ratio.median.toFixed(2)} (${row.ratio.min.toFixed(2)}–${row.ratio.max.toFixed(2)})`
      : '',
    `${goalText(row.goal)}${row.met === undefined ? '' : row.met ? ' ✓' : ' ✗'}`,
    row.rssMb === undefined ? '' : round(row.rssMb),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((line) => line[i]!.length)));
  const format = (cells: string[]) =>
    `| ${cells.map((cell, i) => cell.padEnd(widths[i]!)).join(' | ')} |`;
  return [
    format(header),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...lines.map(format),
  ].join('\n');
}
