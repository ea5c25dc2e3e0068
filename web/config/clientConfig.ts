/**
 * Which SFU this client talks to. A client hosted apart from the SFU (docs/hosting.md) finds it in
 * `config.json` next to index.html:
 *
 *   { "sfu": "https://sfu.example.org" }
 *
 * The file is fetched by the same `GET /config.json` for every room, so the file server learns
 * nothing from it; it is deployment data, not code, so it is outside the client hash
 * (web/integrity/clientManifest.ts) and shown next to it in "About this client". A config that
 * names another SFU can only send you to a server that is untrusted anyway: everything it relays
 * is end-to-end encrypted. Without the file, or with `{}` (what the SFU serves when it serves the
 * client itself), signalling goes to this page's own origin.
 */

export const CONFIG_FILE = 'config.json';

export interface ClientConfig {
  /** Origin of the SFU's signalling, e.g. `https://sfu.example.org`. */
  readonly sfuUrl: string;
  /** Where it came from: the page's own origin, or config.json. */
  readonly source: 'same-origin' | 'config';
}

export type ConfigProblem = 'BAD_JSON' | 'BAD_SFU_URL' | 'UNREACHABLE';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly code: ConfigProblem,
    message: string,
  ) {
    super(message);
  }
}

/** Validates config.json's text; the SFU must be a bare http(s) origin, or absent (`ownOrigin`). */
export function parseClientConfig(text: string, ownOrigin: string): ClientConfig {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ConfigError('BAD_JSON', `${CONFIG_FILE} is not JSON`);
  }
  const sfu = (value as { sfu?: unknown } | null)?.sfu;
  if (typeof value === 'object' && value !== null && !Array.isArray(value) && sfu === undefined) {
    return { sfuUrl: ownOrigin, source: 'same-origin' };
  }
  if (typeof value !== 'object' || value === null || typeof sfu !== 'string') {
    throw new ConfigError('BAD_SFU_URL', `${CONFIG_FILE} needs "sfu": "https://…"`);
  }
  let url: URL;
  try {
    url = new URL(sfu);
  } catch {
    throw new ConfigError('BAD_SFU_URL', `${CONFIG_FILE}: "sfu" is not a URL`);
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.origin + '/' !== url.href) {
    throw new ConfigError(
      'BAD_SFU_URL',
      `${CONFIG_FILE}: "sfu" must be an origin like https://host`,
    );
  }
  return { sfuUrl: url.origin, source: 'config' };
}

let loaded: Promise<ClientConfig> | null = null;

/** Fetches config.json once per page; absent (404) means the page's own origin. */
export function loadClientConfig(): Promise<ClientConfig> {
  loaded ??= (async (): Promise<ClientConfig> => {
    let res: Response;
    try {
      res = await fetch(new URL(`/${CONFIG_FILE}`, location.origin), {
        cache: 'no-store',
        credentials: 'omit',
        redirect: 'error',
      });
    } catch {
      throw new ConfigError('UNREACHABLE', `${CONFIG_FILE} could not be fetched`);
    }
    // Absent: a 404, or a host that answers every path with index.html (an SPA fallback).
    const isJson = /\bjson\b/i.test(res.headers.get('content-type') ?? '');
    if (res.status === 404 || (res.ok && !isJson)) {
      return { sfuUrl: location.origin, source: 'same-origin' };
    }
    if (!res.ok) throw new ConfigError('UNREACHABLE', `${CONFIG_FILE}: HTTP ${res.status}`);
    return parseClientConfig(await res.text(), location.origin);
  })().catch((err: unknown) => {
    loaded = null; // a later join tries again
    throw err;
  });
  return loaded;
}
