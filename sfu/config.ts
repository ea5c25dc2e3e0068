/**
 * Service configuration from environment variables. Every variable has a documented default
 * (README "Configuration"); a bad value is a ConfigError naming the variable, never a silent
 * fallback.
 */
import { statSync } from 'node:fs';
import { isIP } from 'node:net';
import os from 'node:os';
import { parseOrigins } from './http/OriginPolicy.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface SfuConfig {
  /** HTTP(S) + socket.io listen address. */
  host: string;
  port: number;
  /** Address mediasoup binds its WebRtcServer sockets to. */
  rtcListenIp: string;
  /** Address put in ICE candidates (the public or LAN address browsers can reach). */
  announcedAddress: string;
  /** First WebRtcServer port; worker i listens on rtcPort + i (UDP and TCP). */
  rtcPort: number;
  numWorkers: number;
  /** TLS: both paths, or `selfSigned`, or neither (plain HTTP, fine on localhost). */
  tls: { certFile: string; keyFile: string } | 'selfSigned' | null;
  logLevel: LogLevel;
  maxPeersPerRoom: number;
  /** Directory with the built web client (index.html); a placeholder page is served if absent. */
  webRoot: string;
  /** Requests per second per socket (token bucket refill) and burst size. */
  rateLimit: { perSecond: number; burst: number };
  /** Origins besides the SFU's own whose pages may signal (a client hosted elsewhere). */
  allowedOrigins: string[];
  /** Relay fan-out per peer: payload bytes × recipients per second, and the burst. */
  relayBudget: { perSecond: number; burst: number };
  /** Rooms this node hosts at once (SERVER_FULL beyond). */
  maxRooms: number;
  /** Signalling connections per client address (TOO_MANY_CONNECTIONS beyond); 0: no limit. */
  maxConnectionsPerAddress: number;
  /** Count connections by the last X-Forwarded-For hop (set behind a reverse proxy). */
  trustProxy: boolean;
  /** Unsent messages a socket may queue before it is closed (BACKPRESSURE). */
  maxQueuedMessages: number;
  /** Enables the test-only producer tap. Never set in production. */
  testHooks: boolean;
  /** Test-only faults (sfu/testing/Faults.ts), only with testHooks; null otherwise. */
  testFaults: string | null;
  /** TURN servers that share a secret with the SFU (coturn `use-auth-secret`); null: no TURN. */
  turn: TurnConfig | null;
  /** Where /metrics is served and whether it needs a bearer token. */
  metrics: MetricsConfig;
}

export interface TurnConfig {
  /** `turn:` / `turns:` URLs handed to clients, e.g. `turns:turn.example.org:443?transport=tcp`. */
  urls: string[];
  /** coturn's `static-auth-secret`: the key of the credentials' HMAC. Never logged. */
  secret: Uint8Array;
  /** How long an issued credential is valid, in seconds. */
  ttlSeconds: number;
}

export interface MetricsConfig {
  /** null: /metrics is served on the main port; otherwise only on this separate listener. */
  listen: { host: string; port: number } | null;
  /** When set, /metrics wants `Authorization: Bearer <token>`. Never logged. */
  token: string | null;
}

/**
 * Signalling requests per socket. A newcomer to a full room (50 participants, each with camera
 * and microphone) sends about 300 requests within its first seconds: consume and resume for
 * each of the 98 producers, setConsumerLayers for the 49 videos, and the key-protocol relays
 * (measured by test/integration/largeJoin.test.ts). The burst covers that with room to spare;
 * the refill lets a client that was refused retry within a second (the web client does).
 */
export const DEFAULT_RATE_LIMIT = { perSecond: 100, burst: 600 } as const;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
  }
}

type Env = Record<string, string | undefined>;

/** A raw value as shown in an error: quoted, control characters escaped, at most ~40 characters. */
function shown(raw: string): string {
  const cut = raw.length > 40 ? `${raw.slice(0, 40)}…` : raw;
  return `${JSON.stringify(cut)}${raw.length > 40 ? ` (${raw.length} characters)` : ''}`;
}

function int(env: Env, name: string, def: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `expected an integer, got ${shown(raw)}`);
  const n = Number(raw);
  if (n < min || n > max) throw new ConfigError(name, `must be between ${min} and ${max}`);
  return n;
}

/** "1"/"true" or "0"/"false"; unset is false. */
function bool(env: Env, name: string): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '' || raw === '0' || raw === 'false') return false;
  if (raw === '1' || raw === 'true') return true;
  throw new ConfigError(name, `expected 1 or 0, got ${shown(raw)}`);
}

function str(env: Env, name: string, def: string): string {
  const raw = env[name];
  return raw === undefined || raw === '' ? def : raw;
}

/** RFC 1123 host names: dot-separated labels of letters, digits and inner hyphens. */
const HOSTNAME =
  /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

function firstExternalIPv4(): string | undefined {
  for (const list of Object.values(os.networkInterfaces())) {
    for (const addr of list ?? []) {
      if (addr.family === 'IPv4' && !addr.internal) return addr.address;
    }
  }
  return undefined;
}

/** An IPv4 or IPv6 address (node:net's parser, so "a:b" or "256.1.1.1" are refused). */
function ip(env: Env, name: string, def: string): string {
  const value = str(env, name, def);
  if (isIP(value) === 0) throw new ConfigError(name, `not an IP address: ${shown(value)}`);
  return value;
}

/** An IP address or a host name. */
function hostOrIp(env: Env, name: string, def: string): string {
  const value = str(env, name, def);
  // All-digit labels are a mistyped IPv4 address ("256.1.1.1"), not a name.
  if (isIP(value) === 0 && (!HOSTNAME.test(value) || /^[\d.]+$/.test(value)))
    throw new ConfigError(name, `not an IP address or host name: ${shown(value)}`);
  return value;
}

/** A path that names a readable regular file (checked now, not at the first TLS handshake). */
function file(name: string, value: string): string {
  let ok = false;
  try {
    ok = statSync(value).isFile();
  } catch {
    ok = false;
  }
  if (!ok) throw new ConfigError(name, `no such file: ${shown(value)}`);
  return value;
}

/** dist/web next to the compiled server (dist/server/sfu), or in the repo when run from source. */
function defaultWebRoot(): string {
  const compiled = import.meta.url.includes('/dist/server/');
  return new URL(compiled ? '../../web' : '../dist/web', import.meta.url).pathname;
}

/**
 * RFC 7065 TURN URIs: `turn:` or `turns:`, a host (name, IPv4 or bracketed IPv6), an optional
 * port and an optional `?transport=udp|tcp`.
 */
const TURN_URL = /^turns?:(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?(\?transport=(udp|tcp))?$/;
/** Longest TURN shared secret accepted (coturn reads at most a line). */
const TURN_SECRET_MAX = 256;

function turnConfig(env: Env): TurnConfig | null {
  const rawUrls = str(env, 'TURN_URLS', '');
  const secret = str(env, 'TURN_SECRET', '');
  if (rawUrls === '' && secret === '') return null;
  if (rawUrls === '') throw new ConfigError('TURN_URLS', 'set TURN_URLS together with TURN_SECRET');
  if (secret === '')
    throw new ConfigError('TURN_SECRET', 'set TURN_SECRET together with TURN_URLS');
  const urls = rawUrls.split(',').map((u) => u.trim());
  if (urls.length > 8) throw new ConfigError('TURN_URLS', 'at most 8 URLs');
  for (const url of urls) {
    if (!TURN_URL.test(url))
      throw new ConfigError('TURN_URLS', `not a turn: or turns: URL: ${shown(url)}`);
  }
  // Never echo the secret itself in an error.
  if (secret.length < 16 || secret.length > TURN_SECRET_MAX)
    throw new ConfigError('TURN_SECRET', `must be 16 to ${TURN_SECRET_MAX} characters long`);
  return {
    urls,
    secret: new TextEncoder().encode(secret),
    ttlSeconds: int(env, 'TURN_CREDENTIAL_TTL', 86_400, 60, 7 * 86_400),
  };
}

function metricsConfig(env: Env, host: string): MetricsConfig {
  const port = int(env, 'METRICS_PORT', 0, 0, 65535);
  const rawToken = str(env, 'METRICS_TOKEN', '');
  // Printable ASCII without spaces: it travels in an HTTP header. Never echo it in an error.
  if (rawToken !== '' && !/^[\x21-\x7e]{16,256}$/.test(rawToken))
    throw new ConfigError('METRICS_TOKEN', 'must be 16 to 256 printable characters, no spaces');
  return {
    listen: port === 0 ? null : { host: hostOrIp(env, 'METRICS_HOST', host), port },
    token: rawToken === '' ? null : rawToken,
  };
}

export function loadConfig(env: Env = process.env): SfuConfig {
  const host = hostOrIp(env, 'HOST', '127.0.0.1');
  const port = int(env, 'PORT', 3000, 0, 65535);
  const rtcListenIp = ip(env, 'RTC_LISTEN_IP', isLoopback(host) ? '127.0.0.1' : '0.0.0.0');
  const announcedDefault =
    isLoopback(host) || rtcListenIp.startsWith('127.')
      ? '127.0.0.1'
      : rtcListenIp !== '0.0.0.0'
        ? rtcListenIp
        : (firstExternalIPv4() ?? '127.0.0.1');
  const announcedAddress = hostOrIp(env, 'ANNOUNCED_ADDRESS', announcedDefault);
  const numWorkers = int(env, 'NUM_WORKERS', os.availableParallelism(), 1, 256);
  const rtcPort = int(env, 'RTC_PORT', 40000, 1024, 65535 - numWorkers);

  const certFile = env.TLS_CERT;
  const keyFile = env.TLS_KEY;
  let tls: SfuConfig['tls'] = null;
  if (certFile || keyFile) {
    if (!certFile || !keyFile)
      throw new ConfigError(certFile ? 'TLS_KEY' : 'TLS_CERT', 'set both TLS_CERT and TLS_KEY');
    tls = { certFile: file('TLS_CERT', certFile), keyFile: file('TLS_KEY', keyFile) };
  } else if (env.TLS === 'self-signed') {
    tls = 'selfSigned';
  } else if (env.TLS !== undefined && env.TLS !== '' && env.TLS !== 'off') {
    throw new ConfigError('TLS', `expected "self-signed" or "off", got ${shown(env.TLS)}`);
  }

  const logLevel = str(env, 'LOG_LEVEL', 'info');
  if (!['debug', 'info', 'warn', 'error'].includes(logLevel)) {
    throw new ConfigError(
      'LOG_LEVEL',
      `expected debug, info, warn or error, got ${shown(logLevel)}`,
    );
  }

  const origins = parseOrigins(str(env, 'ALLOWED_ORIGINS', ''));
  if (!Array.isArray(origins)) {
    throw new ConfigError(
      'ALLOWED_ORIGINS',
      `expected comma-separated origins like https://call.example, got "${origins.bad}"`,
    );
  }

  return {
    host,
    port,
    rtcListenIp,
    announcedAddress,
    rtcPort,
    numWorkers,
    tls,
    logLevel: logLevel as LogLevel,
    maxPeersPerRoom: int(env, 'MAX_PEERS_PER_ROOM', 50, 1, 10_000),
    webRoot: str(env, 'WEB_ROOT', defaultWebRoot()),
    rateLimit: {
      perSecond: int(env, 'RATE_LIMIT_PER_SECOND', DEFAULT_RATE_LIMIT.perSecond, 1, 100_000),
      burst: int(env, 'RATE_LIMIT_BURST', DEFAULT_RATE_LIMIT.burst, 1, 1_000_000),
    },
    allowedOrigins: origins,
    relayBudget: {
      perSecond: int(env, 'RELAY_BYTES_PER_SECOND', 2 * 1024 * 1024, 1024, 1 << 30),
      burst: int(env, 'RELAY_BURST_BYTES', 8 * 1024 * 1024, 64 * 1024, 1 << 30),
    },
    maxRooms: int(env, 'MAX_ROOMS', 1000, 1, 1_000_000),
    maxConnectionsPerAddress: int(env, 'MAX_CONNECTIONS_PER_ADDRESS', 100, 0, 1_000_000),
    trustProxy: bool(env, 'TRUST_PROXY'),
    maxQueuedMessages: int(env, 'MAX_QUEUED_MESSAGES', 1000, 10, 1_000_000),
    testHooks: env.BLINDCALL_TEST_HOOKS === '1',
    testFaults:
      env.BLINDCALL_TEST_HOOKS === '1' && env.BLINDCALL_TEST_FAULTS
        ? env.BLINDCALL_TEST_FAULTS
        : null,
    turn: turnConfig(env),
    metrics: metricsConfig(env, host),
  };
}
