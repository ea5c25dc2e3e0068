/**
 * The client's only way to write to the console. One logger per module, with a name and
 * structured context. Callers must never pass key bytes, plaintext, display names or chat text:
 * logs may name key *ids*, peer ids and error codes only.
 *
 * The level defaults to `warn`; set `localStorage['blindcall:log'] = 'debug'` to see more.
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogContext = Record<string, string | number | boolean | null | undefined>;

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

function initialLevel(): LogLevel {
  try {
    const stored = globalThis.localStorage?.getItem('blindcall:log');
    if (stored === 'debug' || stored === 'info' || stored === 'warn' || stored === 'error') {
      return stored;
    }
  } catch {
    // Storage can be unavailable (sandboxed frames, workers); the default level applies.
  }
  return 'warn';
}

let threshold = RANK[initialLevel()];

export function setLogLevel(level: LogLevel): void {
  threshold = RANK[level];
}

export interface Logger {
  debug(message: string, context?: LogContext): void;
  info(message: string, context?: LogContext): void;
  warn(message: string, context?: LogContext): void;
  error(message: string, error?: unknown, context?: LogContext): void;
  child(context: LogContext): Logger;
}

/** Error name and message only: stacks and causes may carry data we did not vet. */
function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return typeof error === 'string' ? error : 'non-error value';
}

function write(level: LogLevel, name: string, message: string, context: LogContext): void {
  if (RANK[level] < threshold) return;
  const line = `[${name}] ${message}`;
  const args: unknown[] = Object.keys(context).length > 0 ? [line, context] : [line];
  /* eslint-disable no-console -- this module is the single sanctioned console sink */
  if (level === 'error') console.error(...args);
  else if (level === 'warn') console.warn(...args);
  else if (level === 'info') console.info(...args);
  else console.debug(...args);
  /* eslint-enable no-console */
}

export function createLogger(name: string, base: LogContext = {}): Logger {
  return {
    debug: (m, c) => write('debug', name, m, { ...base, ...c }),
    info: (m, c) => write('info', name, m, { ...base, ...c }),
    warn: (m, c) => write('warn', name, m, { ...base, ...c }),
    error: (m, e, c) => write('error', name, m, { ...base, ...c, error: describe(e) }),
    child: (c) => createLogger(name, { ...base, ...c }),
  };
}

/** What a log line may say of a caught error: its name only (messages can carry user data). */
export function errorName(err: unknown): string {
  return err instanceof Error || err instanceof DOMException ? err.name : 'unknown';
}
