/**
 * The SFU service: worker pool, rooms, socket.io signalling and the HTTP(S) server that serves
 * the web client, /healthz and /metrics. `Sfu.start(config)` brings it all up; `close()` shuts it
 * down gracefully (peers are told to reconnect, then sockets, HTTP and workers close).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { version as mediasoupVersion, type types } from 'mediasoup';
import { Server as SocketServer } from 'socket.io';
import type { ClientToServerEvents, ServerToClientEvents } from '../shared/protocol/index.js';
import { requests, SOCKET_MAX_BYTES } from '../shared/protocol/index.js';
import type { SfuConfig } from './config.js';
import { clientHeaders } from './http/clientHeaders.js';
import { OriginPolicy } from './http/OriginPolicy.js';
import { StaticFiles } from './http/StaticFiles.js';
import { loadTls } from './http/tls.js';
import { createLogger, setLogLevel } from './logger.js';
import { MEDIA_CODECS } from './media/codecs.js';
import { WorkerPool } from './media/WorkerPool.js';
import { Metrics } from './metrics.js';
import { RoomRegistry } from './rooms/RoomRegistry.js';
import { AddressLimit } from './signalling/AddressLimit.js';
import { InMemorySequencer } from './mls/InMemorySequencer.js';
import { MlsRelay } from './mls/MlsRelay.js';
import { Session } from './signalling/Session.js';
import { Faults, parseFaults } from './testing/Faults.js';
import { ProducerTap } from './testing/ProducerTap.js';

const log = createLogger('Sfu');

export class Sfu {
  private closing: Promise<void> | null = null;
  private readonly sessions = new Set<Session>();
  /** Signalling connections per client address. */
  readonly connections: AddressLimit;
  readonly httpServer: http.Server | https.Server;
  readonly io: SocketServer<ClientToServerEvents, ServerToClientEvents>;
  readonly metrics: Metrics;
  /** The separate /metrics listener (METRICS_PORT), or null when /metrics is on the main port. */
  readonly metricsServer: http.Server | null;
  /** TEST-ONLY recorder of forwarded RTP; null unless BLINDCALL_TEST_HOOKS=1. */
  readonly tap: ProducerTap | null;
  /** TEST-ONLY deliberate misbehaviour; null unless BLINDCALL_TEST_FAULTS is set with the hooks. */
  readonly faults: Faults | null;
  /** Which pages may signal; counts refusals. */
  readonly origins: OriginPolicy;
  /** Base URL, known once listening. */
  url = '';
  /** Base URL of the separate /metrics listener, or '' without one. */
  metricsUrl = '';

  private constructor(
    readonly config: SfuConfig,
    readonly pool: WorkerPool,
    readonly registry: RoomRegistry,
    routerRtpCapabilities: types.RtpCapabilities,
  ) {
    this.connections = new AddressLimit(config.maxConnectionsPerAddress, config.trustProxy);
    const tls = loadTls(config.tls);
    const faults = config.testFaults === null ? null : new Faults(parseFaults(config.testFaults));
    this.faults = faults;
    const files = new StaticFiles(config.webRoot, clientHeaders());
    this.origins = new OriginPolicy(config.allowedOrigins);
    this.metrics = new Metrics(
      pool,
      registry,
      new Set(Object.keys(requests)),
      () => this.sessions.size,
    );
    this.metricsServer = config.metrics.listen
      ? http.createServer((req, res) => {
          this.serveMetricsOnly(req, res).catch((err: unknown) => {
            log.error('metrics request failed', err);
            if (!res.headersSent) res.writeHead(500);
            res.end();
          });
        })
      : null;
    const onRequest: http.RequestListener = (req, res) => {
      this.handleHttp(req, res, files).catch((err: unknown) => {
        log.error('http request failed', err, { path: req.url?.slice(0, 200) });
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
    };
    this.httpServer = tls ? https.createServer(tls, onRequest) : http.createServer(onRequest);
    this.io = new SocketServer<ClientToServerEvents, ServerToClientEvents>(this.httpServer, {
      maxHttpBufferSize: SOCKET_MAX_BYTES,
      serveClient: false,
      // Pages of this server, and of the origins in ALLOWED_ORIGINS (a client hosted apart).
      // CORS covers HTTP long-polling; allowRequest checks the WebSocket handshake too.
      cors:
        config.allowedOrigins.length > 0
          ? { origin: config.allowedOrigins, methods: ['GET', 'POST'], credentials: false }
          : undefined,
      allowRequest: (req, callback) => {
        const origin = req.headers.origin;
        if (this.origins.allows(origin, req.headers.host)) {
          callback(null, true);
          return;
        }
        log.warn('signalling refused: origin not allowed', { origin: origin?.slice(0, 200) });
        callback('origin not allowed', false);
      },
    });
    this.io.use((socket, next) => {
      const refused = this.connections.admit(socket);
      if (refused === null) next();
      else next(Object.assign(new Error(refused.code), { data: refused }));
    });
    const mls = new MlsRelay(new InMemorySequencer());
    this.io.on('connection', (socket) => {
      const session = new Session(socket, {
        registry,
        routerRtpCapabilities,
        rateLimit: config.rateLimit,
        relayBudget: config.relayBudget,
        maxQueued: config.maxQueuedMessages,
        log: createLogger('Session'),
        mls,
        faults,
        turn: config.turn,
        metrics: this.metrics,
      });
      this.sessions.add(session);
      socket.on('disconnect', () => this.sessions.delete(session));
    });
    this.tap = config.testHooks ? new ProducerTap(registry) : null;
    pool.on('workerReplaced', (slot, pid) => log.info('worker replaced', { slot, pid }));
  }

  static async start(config: SfuConfig): Promise<Sfu> {
    setLogLevel(config.logLevel);
    const pool = await WorkerPool.create({
      numWorkers: config.numWorkers,
      rtcListenIp: config.rtcListenIp,
      announcedAddress: config.announcedAddress,
      rtcPort: config.rtcPort,
      logLevel: 'warn',
    });
    try {
      const routerRtpCapabilities = await computeRouterCapabilities(pool);
      const registry = new RoomRegistry(pool, config.maxPeersPerRoom, config.maxRooms);
      const sfu = new Sfu(config, pool, registry, routerRtpCapabilities);
      await sfu.listen();
      return sfu;
    } catch (err) {
      await pool.close();
      throw err;
    }
  }

  private async listen(): Promise<void> {
    const { host, port } = this.config;
    await new Promise<void>((resolve, reject) => {
      this.httpServer.once('error', reject);
      this.httpServer.listen(port, host, () => {
        this.httpServer.off('error', reject);
        resolve();
      });
    });
    const metricsServer = this.metricsServer;
    const metricsListen = this.config.metrics.listen;
    if (metricsServer && metricsListen) {
      await new Promise<void>((resolve, reject) => {
        metricsServer.once('error', reject);
        metricsServer.listen(metricsListen.port, metricsListen.host, () => {
          metricsServer.off('error', reject);
          resolve();
        });
      }).catch((err: unknown) => {
        this.httpServer.close();
        throw err;
      });
      const h = metricsListen.host.includes(':') ? `[${metricsListen.host}]` : metricsListen.host;
      this.metricsUrl = `http://${h}:${(metricsServer.address() as AddressInfo).port}`;
    }
    const bound = (this.httpServer.address() as AddressInfo).port;
    const shownHost = host === '0.0.0.0' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
    this.url = `${this.config.tls ? 'https' : 'http'}://${shownHost}:${bound}`;
    log.info('listening', {
      url: this.url,
      workers: this.config.numWorkers,
      rtcPort: this.config.rtcPort,
      announcedAddress: this.config.announcedAddress,
      metrics: this.metricsUrl || 'same port',
      turn: this.config.turn ? this.config.turn.urls.length : 0,
    });
  }

  get socketCount(): number {
    return this.sessions.size;
  }

  /** Idempotent graceful shutdown. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      log.info('shutting down', { sockets: this.sessions.size, rooms: this.registry.rooms.size });
      this.registry.close();
      // Give the reconnect notifications a moment to flush before closing sockets.
      await new Promise((r) => setTimeout(r, 100));
      await new Promise<void>((resolve) => {
        void this.io.close(() => resolve());
      });
      this.httpServer.closeAllConnections?.();
      if (this.metricsServer) {
        const server = this.metricsServer;
        await new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
      }
      await this.pool.close();
      log.info('stopped');
    })();
    return this.closing;
  }

  private async handleHttp(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    files: StaticFiles,
  ): Promise<void> {
    let pathname: string;
    try {
      pathname = new URL(req.url ?? '/', 'http://x').pathname;
    } catch {
      // e.g. "//" or "//[::1": not a path this server could serve, and not a server fault.
      res.writeHead(400, { 'content-type': 'text/plain' }).end('bad request: malformed URL');
      return;
    }
    if (pathname === '/healthz') {
      const live = this.pool.workers.filter((w) => !w.worker.closed).length;
      const ok = live === this.pool.workers.length && this.closing === null;
      res.writeHead(ok ? 200 : 503, {
        'content-type': 'application/json',
        'cache-control': 'no-store',
      });
      res.end(
        JSON.stringify({
          status: ok ? 'ok' : 'degraded',
          workers: live,
          rooms: this.registry.rooms.size,
          node: process.version,
          mediasoup: mediasoupVersion,
        }),
      );
      return;
    }
    if (pathname === '/metrics') {
      // With METRICS_PORT, /metrics lives on its own listener only.
      if (this.metricsServer) res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      else await this.serveMetrics(req, res);
      return;
    }
    if (this.faults && (await this.faults.serveHttp(res, req, pathname, this.config.webRoot)))
      return;
    await files.serve(req, res, pathname);
  }

  /** The separate metrics listener: /metrics and nothing else. */
  private async serveMetricsOnly(
    req: http.IncomingMessage,
    res: http.ServerResponse,
  ): Promise<void> {
    const pathname = (req.url ?? '/').split('?')[0];
    if (pathname !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    await this.serveMetrics(req, res);
  }

  private async serveMetrics(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const token = this.config.metrics.token;
    if (token !== null && !bearerMatches(req.headers.authorization, token)) {
      res
        .writeHead(401, { 'www-authenticate': 'Bearer', 'content-type': 'text/plain' })
        .end('metrics need a bearer token');
      return;
    }
    const body = await this.metrics.render();
    res.writeHead(200, { 'content-type': this.metrics.contentType, 'cache-control': 'no-store' });
    res.end(body);
  }
}

/** Constant-time comparison of `Authorization: Bearer <token>` (hashed, so lengths match). */
function bearerMatches(header: string | undefined, token: string): boolean {
  const match = /^Bearer (\S+)$/.exec(header ?? '');
  if (!match) return false;
  const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(match[1]!), digest(token));
}

/**
 * Router capabilities depend only on the codec list; read them once from a scratch router. The
 * audio-level header extension is left out: clients do not send it (web/call/audioPrivacy.ts
 * removes it on their side, which is what counts), and consumers then do not expect it.
 */
async function computeRouterCapabilities(pool: WorkerPool): Promise<types.RtpCapabilities> {
  const router = await pool.leastLoaded().worker.createRouter({ mediaCodecs: MEDIA_CODECS });
  const caps = router.rtpCapabilities;
  router.close();
  return {
    ...caps,
    headerExtensions: caps.headerExtensions?.filter(
      (ext) => ext.uri !== 'urn:ietf:params:rtp-hdrext:ssrc-audio-level',
    ),
  };
}
