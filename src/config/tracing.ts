import type { EnvironmentVariables, TRACE_SAMPLERS } from './env.schema';

export type TraceSampler = (typeof TRACE_SAMPLERS)[number];

/** OpenTelemetry tracing of one instance, read from the standard `OTEL_*` variables. */
export interface TracingSettings {
  /** Where spans are POSTed (OTLP/HTTP, JSON encoding). */
  readonly endpoint: string;
  readonly serviceName: string;
  readonly sampler: TraceSampler;
  /** The ratio of the `*traceidratio` samplers (`OTEL_TRACES_SAMPLER_ARG`). */
  readonly samplerRatio: number;
}

/**
 * The tracing settings, or undefined when tracing is off: no OTLP endpoint set, or
 * `OTEL_SDK_DISABLED=true`. As the OTLP specification says, the traces endpoint is used as given
 * and the generic one gets `v1/traces` appended.
 */
export function tracingSettings(env: EnvironmentVariables): TracingSettings | undefined {
  if (env.OTEL_SDK_DISABLED) return undefined;
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT;
  const endpoint =
    env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ??
    (base === undefined ? undefined : `${base.replace(/\/$/, '')}/v1/traces`);
  if (endpoint === undefined) return undefined;
  return {
    endpoint,
    serviceName: env.OTEL_SERVICE_NAME,
    sampler: env.OTEL_TRACES_SAMPLER,
    samplerRatio: env.OTEL_TRACES_SAMPLER_ARG,
  };
}
