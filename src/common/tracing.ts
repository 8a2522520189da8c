/**
 * What the service's own code sees of tracing. With tracing off (the default) it is TRACING_OFF,
 * and call sites on the request path test `enabled` before building anything for a span, so off
 * costs one boolean check: no span objects, no context manager, no closures. The OpenTelemetry
 * implementation (src/tracing/) is loaded only when tracing is on.
 */

/** DI token of the app's Tracing. */
export const TRACING = Symbol('TRACING');

export type SpanKindName = 'server' | 'client' | 'internal';

export type SpanAttributes = Record<string, string | number | boolean>;

/** The span a unit of work runs in, for what it learns on the way (never a token or secret). */
export interface WorkSpan {
  setAttribute(key: string, value: string | number | boolean): void;
}

export interface Tracing {
  readonly enabled: boolean;
  /**
   * Runs `work` in a new span, child of the active one; the span ends when `work` settles, and
   * an error marks it failed with the error's code (`error.type`), never its message.
   */
  inSpan<T>(
    name: string,
    kind: SpanKindName,
    attributes: SpanAttributes,
    work: (span: WorkSpan) => Promise<T>,
  ): Promise<T>;
  /** Adds the active span's W3C `traceparent` (and `tracestate`) to an outbound call's headers. */
  inject(headers: Record<string, string>): void;
}

const NO_SPAN: WorkSpan = { setAttribute: () => undefined };

export const TRACING_OFF: Tracing = {
  enabled: false,
  inSpan: (_name, _kind, _attributes, work) => work(NO_SPAN),
  inject: () => undefined,
};
