/**
 * Which web pages may open signalling sockets: pages of this server's own origin, and the origins
 * listed in ALLOWED_ORIGINS (a client hosted apart from the SFU, docs/hosting.md).
 *
 * Browsers apply CORS to HTTP but not to WebSocket, so CORS headers alone would let any page open a
 * socket: the socket.io handshake itself checks the `Origin` header (`allowRequest`). A request
 * without one comes from outside a browser (tools, tests), which can claim any origin anyway, so
 * the check protects people's browsers from other sites, not the server from clients.
 */
export class OriginPolicy {
  private readonly allowed: ReadonlySet<string>;
  private refusedCount = 0;

  constructor(allowedOrigins: readonly string[]) {
    this.allowed = new Set(allowedOrigins);
  }

  get origins(): readonly string[] {
    return [...this.allowed];
  }

  /** Handshakes refused for their origin since start. */
  get refused(): number {
    return this.refusedCount;
  }

  /** `host` is the request's Host header: a page of this server has the same host. */
  allows(origin: string | undefined, host: string | undefined): boolean {
    if (origin === undefined) return true;
    if (this.allowed.has(origin) || OriginPolicy.sameHost(origin, host)) return true;
    this.refusedCount++;
    return false;
  }

  private static sameHost(origin: string, host: string | undefined): boolean {
    if (!host) return false;
    try {
      return new URL(origin).host === host.toLowerCase();
    } catch {
      return false;
    }
  }
}

/** Parses ALLOWED_ORIGINS: comma-separated origins, each `scheme://host[:port]` exactly. */
export function parseOrigins(raw: string): string[] | { bad: string } {
  const out: string[] = [];
  for (const part of raw.split(',').map((p) => p.trim())) {
    if (part === '') continue;
    let url: URL | null = null;
    try {
      url = new URL(part);
    } catch {
      // reported below
    }
    if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:') || url.origin !== part) {
      return { bad: part };
    }
    out.push(part);
  }
  return out;
}
