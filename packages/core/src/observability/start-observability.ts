import type { Env } from '../config';
import { configureLogging } from './logger';
import { startTracing, type Tracing } from './tracing';

type ObservabilityEnv = Pick<Env, 'LOG_LEVEL' | 'OTEL_EXPORTER_OTLP_ENDPOINT' | 'OTEL_SERVICE_NAME'>;

/** Each main.ts, right after loadEnv: log lines at LOG_LEVEL, naming `service` unless they name another. */
export function startLogging(env: Pick<Env, 'LOG_LEVEL'>, service: string): void {
  configureLogging({ level: env.LOG_LEVEL, service });
}

/**
 * Each main.ts, before it builds its server: logging as startLogging, and traces exported to
 * OTEL_EXPORTER_OTLP_ENDPOINT when it is set (nothing otherwise). Shut the answer down on exit to
 * send the last spans.
 */
export async function startObservability(env: ObservabilityEnv, service: string): Promise<Tracing | undefined> {
  startLogging(env, service);
  return startTracing({ service, endpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT, serviceName: env.OTEL_SERVICE_NAME });
}
