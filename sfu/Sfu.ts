/**
 * The SFU service: worker pool, rooms, socket.io signalling and the HTTP(S) server that serves
 * the web client, /healthz and /metrics. `Sfu.start(config)` brings it all up; `close()` shuts it
 * down gracefully (peers are told to reconnect, then sockets, HTTP and workers close).
 */
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { version as mediasoupVersion, type types } from 'mediasoup';
import { Server as SocketServer } from 'socket.io';
import type { ClientToServerEvents, ServerToClientEvents } from '../shared/protocol/index.js';
import { SOCKET_MAX_BYTES } from '../shared/protocol/index.js';
import type { SfuConfig } from './config.js';
import { StaticFiles } from './http/StaticFiles.js';
import { loadTls } from './http/tls.js';
import { createLogger, setLogLevel } from './logger.js';
import { MEDIA_CODECS } from './media/codecs.js';
import { WorkerPool } from './media/WorkerPool.js';
import { renderMetrics } from './metrics.js';
import { RoomRegistry } from './rooms/RoomRegistry.js';
import { InMemorySequencer } from './mls/InMemorySequencer.js';
import { MlsRelay } from './mls/MlsRelay.js';
import { Session } from './signalling/Session.js';
import { Faults, parseFaults } from './testing/Faults.js';
import { ProducerTap } from './testing/ProducerTap.js';

const log = createLogger('Sfu');

export class Sfu {
  private closing: Promise<void> | null = null;
  private readonly sessions = new Set<Session>();
  readonly httpServer: http.Server | https.Server;
  readonly io: SocketServer<ClientToServerEvents, ServerToClientEvents>;
  /** TEST-ONLY recorder of forwarded RTP; null unless BLINDCALL_TEST_HOOKS=1. */
  readonly tap: ProducerTap | null;
  /** TEST-ONLY deliberate misbehaviour; null unless BLINDCALL_TEST_FAULTS is set with the hooks. */
  readonly faults: Faults | null;
  /** Base URL, known once listening. */
  url = '';

  private constructor(
    readonly config: SfuConfig,
    readonly pool: WorkerPool,
    readonly registry: RoomRegistry,
    routerRtpCapabilities: types.RtpCapabilities,
  ) {
    const tls = loadTls(config.tls);
    const files = new StaticFiles(config.webRoot);
    const faults = config.testFaults === null ? null : new Faults(parseFaults(config.testFaults));
    this.faults = faults;
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
      // Same-origin only: the web client is served by this server (or Vite's proxy in dev).
      cors: undefined,
    });
    const mls = new MlsRelay(new InMemorySequencer());
    this.io.on('connection', (socket) => {
      const session = new Session(socket, {
        registry,
        routerRtpCapabilities,
        rateLimit: config.rateLimit,
        log: createLogger('Session'),
        mls,
        faults,
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
      const registry = new RoomRegistry(pool, config.maxPeersPerRoom);
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
    const bound = (this.httpServer.address() as AddressInfo).port;
    const shownHost = host === '0.0.0.0' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
    this.url = `${this.config.tls ? 'https' : 'http'}://${shownHost}:${bound}`;
    log.info('listening', {
      url: this.url,
      workers: this.config.numWorkers,
      rtcPort: this.config.rtcPort,
      announcedAddress: this.config.announcedAddress,
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
      const body = await renderMetrics(this.pool, this.registry, this.sessions.size);
      res.writeHead(200, {
        'content-type': 'text/plain; version=0.0.4; charset=utf-8',
        'cache-control': 'no-store',
      });
      res.end(body);
      return;
    }
    if (this.faults && (await this.faults.serveHttp(res, req, pathname, this.config.webRoot)))
      return;
    await files.serve(req, res, pathname);
  }
}

/** Router capabilities depend only on the codec list; read them once from a scratch router. */
async function computeRouterCapabilities(pool: WorkerPool): Promise<types.RtpCapabilities> {
  const router = await pool.leastLoaded().worker.createRouter({ mediaCodecs: MEDIA_CODECS });
  const caps = router.rtpCapabilities;
  router.close();
  return caps;
}
