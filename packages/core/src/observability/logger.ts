import { hostname } from 'node:os';
import { pino, type DestinationStream, type Logger } from 'pino';
import { currentRequestScope } from '../http/graphql-http';

export type { Logger } from 'pino';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface LoggerOptions {
  /** The `service` field of every line (router, inventory…). Default: none. */
  service?: string;
  /** Lines below this level are not written. Default info. */
  level?: LogLevel;
  /** Where lines go, one JSON object per line. Default stdout (written synchronously: nothing is lost on exit). */
  destination?: DestinationStream;
}

/**
 * Header values that must never reach a log: bearer tokens and the signed identity. Nothing logs
 * headers today; this is the net for the day something does.
 */
const REDACTED_PATHS = ['headers.authorization', 'headers["joinery-identity"]', '*.headers.authorization', '*.headers["joinery-identity"]'];

const NO_FIELDS = Object.freeze({}) as Record<string, unknown>;

/**
 * A pino logger writing JSON lines: `level` as a word ("error", not 50), `time` in ISO 8601,
 * `service`, `msg`, and the fields given. A line written while a request runs carries its
 * `requestId` (see currentRequestScope) unless the call gives one.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { pid: process.pid, hostname: hostname(), ...(options.service ? { service: options.service } : {}) },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACTED_PATHS, censor: '[REDACTED]' },
      mixin: () => {
        const requestId = currentRequestScope()?.id;
        return requestId ? { requestId } : NO_FIELDS;
      },
      // The call's own fields win, but a requestId it leaves undefined keeps the scope's.
      mixinMergeStrategy: (fields: object, scoped: object) => {
        const merged: Record<string, unknown> = { ...scoped, ...fields };
        const requestId = (scoped as { requestId?: string }).requestId;
        if (merged.requestId === undefined && requestId !== undefined) merged.requestId = requestId;
        return merged;
      },
    },
    options.destination ?? pino.destination({ dest: 1, sync: true }),
  );
}

/** LOG_LEVEL as the environment has it, before loadEnv has run; a bad value is loadEnv's to report. */
function levelFromEnvironment(): LogLevel {
  const value = process.env.LOG_LEVEL;
  return LOG_LEVELS.includes(value as LogLevel) ? (value as LogLevel) : 'info';
}

let settings: { level: LogLevel; service?: string; destination?: DestinationStream } = { level: levelFromEnvironment() };
let root: Logger | undefined;
const byService = new Map<string, Logger>();

/**
 * The process's logger for `service` (default: the service configureLogging named). Call it where
 * you log rather than keeping the result: configureLogging replaces them all.
 */
export function logger(service?: string): Logger {
  const key = service ?? settings.service ?? '';
  let found = byService.get(key);
  if (!found) {
    root ??= createLogger({ level: settings.level, destination: settings.destination });
    found = key ? root.child({ service: key }) : root;
    byService.set(key, found);
  }
  return found;
}

/**
 * Sets the process's log level, default service name and destination (each main.ts does, from
 * LOG_LEVEL, once the environment is validated). Options left out keep their value.
 */
export function configureLogging(options: { level?: LogLevel; service?: string; destination?: DestinationStream }): void {
  settings = { ...settings, ...options };
  root = undefined;
  byService.clear();
}

/** A test's view of the process's log lines (see captureLogs). */
export interface CapturedLogs {
  /** Every line written since captureLogs, parsed. */
  readonly lines: Record<string, unknown>[];
  /** Sends lines back where they went before. */
  restore(): void;
}

/**
 * Tests: sends the process's log lines (every logger() call) to memory instead of stdout until
 * restore(). `level` default: the current level.
 */
export function captureLogs(level?: LogLevel): CapturedLogs {
  const previous = settings;
  const lines: Record<string, unknown>[] = [];
  configureLogging({ level: level ?? settings.level, destination: { write: (line: string) => void lines.push(JSON.parse(line)) } });
  return {
    lines,
    restore: () => {
      settings = previous;
      root = undefined;
      byService.clear();
    },
  };
}
