import { OutboundHttpError } from '../common/outbound-http';

/** What the calls to one identity-provider URL did, as `GET /admin/identity-providers` shows it. */
export interface FetchSummary {
  /** When the last call ended (ms), and how: `ok` or the kind of failure. */
  lastAt: number | null;
  lastResult: string | null;
  /** The last failure's message (no URL, no secret: outbound errors name the kind only). */
  lastError: string | null;
  lastSuccessAt: number | null;
  /** Failures since start, by kind (`timeout`, `http_status`, `invalid_jwks`, …). */
  failures: Record<string, number>;
}

export class FetchHistory {
  private summary: FetchSummary = {
    lastAt: null,
    lastResult: null,
    lastError: null,
    lastSuccessAt: null,
    failures: {},
  };

  succeeded(at: number): void {
    this.summary = { ...this.summary, lastAt: at, lastResult: 'ok', lastSuccessAt: at };
  }

  /** `answerProblem`: the kind of a failure that is not the transport's (the answer was unusable). */
  failed(at: number, err: unknown, answerProblem: string): void {
    const reason = err instanceof OutboundHttpError ? err.reason : answerProblem;
    const failures = this.summary.failures;
    this.summary = {
      ...this.summary,
      lastAt: at,
      lastResult: reason,
      lastError: err instanceof Error ? err.message : String(err),
      failures: { ...failures, [reason]: (failures[reason] ?? 0) + 1 },
    };
  }

  get current(): FetchSummary {
    return this.summary;
  }
}
