/**
 * Structured JSON logs, one line per event: `{ time, level, module, msg, ...context }`.
 * One logger per module (`createLogger('Room')`), children add context (`log.child({ roomId })`).
 * Log ids and counts only: never keys, payloads or display names (the server never has the
 * latter two in clear anyway).
 */
import type { LogLevel } from './config.js';

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type LogContext = Record<string, string | number | boolean | null | undefined>;

export interface LogSink {
  write(line: string): void;
}

let threshold = LEVELS.info;
let sink: LogSink = { write: (line) => process.stdout.write(line) };

export function setLogLevel(level: LogLevel): void {
  threshold = LEVELS[level];
}

/** Redirect output (tests capture it to check that no secret ever reaches a log). */
export function setLogSink(next: LogSink): LogSink {
  const previous = sink;
  sink = next;
  return previous;
}

export class Logger {
  constructor(
    private readonly module: string,
    private readonly context: LogContext = {},
  ) {}

  child(context: LogContext): Logger {
    return new Logger(this.module, { ...this.context, ...context });
  }

  debug(msg: string, extra?: LogContext): void {
    this.emit('debug', msg, extra);
  }
  info(msg: string, extra?: LogContext): void {
    this.emit('info', msg, extra);
  }
  warn(msg: string, extra?: LogContext): void {
    this.emit('warn', msg, extra);
  }
  error(msg: string, err?: unknown, extra?: LogContext): void {
    this.emit('error', msg, { ...extra, error: describeError(err) });
  }

  private emit(level: LogLevel, msg: string, extra?: LogContext): void {
    if (LEVELS[level] < threshold) return;
    const line = JSON.stringify({
      time: new Date().toISOString(),
      level,
      module: this.module,
      msg,
      ...this.context,
      ...extra,
    });
    sink.write(line + '\n');
  }
}

function describeError(err: unknown): string | undefined {
  if (err === undefined) return undefined;
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return typeof err === 'string' ? err : JSON.stringify(err);
}

export function createLogger(module: string): Logger {
  return new Logger(module);
}
