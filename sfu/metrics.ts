/**
 * Operators' metrics: Prometheus text exposition through prom-client, on a registry of our own
 * (no default process metrics). Every name starts with `blindcall_`. Counters and histograms are
 * fed by the signalling layer through the small `SessionMetrics` interface; gauges (rooms, peers,
 * transports, bitrates, CPU) are read on scrape, never kept on the media path. No counter carries
 * a `pid` label: a replaced worker keeps its slot's series (a counter reset Prometheus handles).
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { DecryptFailureReason } from '../shared/protocol/index.js';
import { TransportCensus } from './media/TransportCensus.js';
import type { WorkerPool } from './media/WorkerPool.js';
import type { RoomRegistry } from './rooms/RoomRegistry.js';

/** What a signalling session reports; one implementation (Metrics), and a no-op for tests. */
export interface SessionMetrics {
  /** A request was answered: `code` is the refusal's error code, or null when it succeeded. */
  requestDone(request: string, seconds: number, code: string | null): void;
  /** A peer joined a room; `seconds` from receiving `join` to answering it. */
  joined(seconds: number): void;
  /** A peer left its room (leave, disconnect, or the room closed under it). */
  left(): void;
  /** The server told a peer to join again (its worker died, the node shuts down). */
  reconnectSent(reason: 'WORKER_DIED' | 'SHUTDOWN'): void;
  /** A socket was refused or closed outside any request (e.g. BACKPRESSURE). */
  socketRefused(code: string): void;
  /** A client's report of frames it could not decrypt, by reason. */
  decryptFailures(counts: readonly { reason: DecryptFailureReason; count: number }[]): void;
}

export const noSessionMetrics: SessionMetrics = {
  requestDone: () => undefined,
  joined: () => undefined,
  left: () => undefined,
  reconnectSent: () => undefined,
  socketRefused: () => undefined,
  decryptFailures: () => undefined,
};

/** Request names we label latencies with; anything else is one `other` series. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const JOIN_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class Metrics implements SessionMetrics {
  readonly registry = new Registry();
  private readonly census: TransportCensus;
  private readonly joins: Counter;
  private readonly leaves: Counter;
  private readonly reconnects: Counter<'reason'>;
  private readonly refused: Counter<'code'>;
  private readonly workerDeaths: Counter<'worker'>;
  private readonly decrypt: Counter<'reason'>;
  private readonly joinSeconds: Histogram;
  private readonly requestSeconds: Histogram<'request'>;

  constructor(
    private readonly pool: WorkerPool,
    private readonly rooms: RoomRegistry,
    /** Names of the requests of the protocol: the only values of the `request` label. */
    private readonly requestNames: ReadonlySet<string>,
    sockets: () => number,
  ) {
    const registers = [this.registry];
    this.census = new TransportCensus(pool);
    this.joins = new Counter({
      name: 'blindcall_joins_total',
      help: 'Peers that joined a room.',
      registers,
    });
    this.leaves = new Counter({
      name: 'blindcall_leaves_total',
      help: 'Peers that left a room (leave, disconnect, or their room closed).',
      registers,
    });
    this.reconnects = new Counter({
      name: 'blindcall_reconnects_total',
      help: 'Peers told to join again, by reason (WORKER_DIED, SHUTDOWN).',
      labelNames: ['reason'],
      registers,
    });
    this.refused = new Counter({
      name: 'blindcall_requests_refused_total',
      help: 'Signalling requests refused, by error code.',
      labelNames: ['code'],
      registers,
    });
    this.workerDeaths = new Counter({
      name: 'blindcall_worker_deaths_total',
      help: 'mediasoup workers that died, by pool slot.',
      labelNames: ['worker'],
      registers,
    });
    this.decrypt = new Counter({
      name: 'blindcall_client_decrypt_failures_total',
      help: 'Frames clients reported they could not decrypt, by reason.',
      labelNames: ['reason'],
      registers,
    });
    this.joinSeconds = new Histogram({
      name: 'blindcall_join_duration_seconds',
      help: 'Time from receiving a join request to answering it (successful joins).',
      buckets: JOIN_BUCKETS,
      registers,
    });
    this.requestSeconds = new Histogram({
      name: 'blindcall_request_duration_seconds',
      help: 'Time from receiving a signalling request to answering it, by request.',
      labelNames: ['request'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    pool.on('workerDied', (slot) => this.workerDeaths.inc({ worker: String(slot) }));
    for (const slot of pool.workers) this.workerDeaths.inc({ worker: String(slot.index) }, 0);
    this.gauges(sockets);
  }

  requestDone(request: string, seconds: number, code: string | null): void {
    this.requestSeconds.observe(
      { request: this.requestNames.has(request) ? request : 'other' },
      seconds,
    );
    if (code !== null) this.refused.inc({ code });
  }

  joined(seconds: number): void {
    this.joins.inc();
    this.joinSeconds.observe(seconds);
  }

  left(): void {
    this.leaves.inc();
  }

  reconnectSent(reason: 'WORKER_DIED' | 'SHUTDOWN'): void {
    this.reconnects.inc({ reason });
  }

  socketRefused(code: string): void {
    this.refused.inc({ code });
  }

  decryptFailures(counts: readonly { reason: DecryptFailureReason; count: number }[]): void {
    for (const { reason, count } of counts) this.decrypt.inc({ reason }, count);
  }

  /** The exposition text (format 0.0.4). */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** Gauges read on scrape. */
  private gauges(sockets: () => number): void {
    const registers = [this.registry];
    const { pool, rooms, census } = this;
    const objects = (): {
      peers: number;
      transports: number;
      producers: number;
      consumers: number;
    } => {
      let peers = 0;
      let transports = 0;
      let producers = 0;
      let consumers = 0;
      for (const room of rooms.rooms.values()) {
        peers += room.peers.size;
        for (const peer of room.peers.values()) {
          transports += peer.transports.size;
          producers += peer.producers.size;
          consumers += peer.consumers.size;
        }
      }
      return { peers, transports, producers, consumers };
    };
    const simple = (name: string, help: string, read: () => number): void => {
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(read());
        },
      });
    };
    simple('blindcall_rooms', 'Open rooms.', () => rooms.rooms.size);
    simple('blindcall_peers', 'Joined peers.', () => objects().peers);
    simple('blindcall_sockets', 'Connected signalling sockets.', sockets);
    simple('blindcall_transports', 'Open WebRTC transports of peers.', () => objects().transports);
    simple('blindcall_producers', 'Open producers.', () => objects().producers);
    simple('blindcall_consumers', 'Open consumers.', () => objects().consumers);
    new Gauge({
      name: 'blindcall_worker_load',
      help: "The worker pool's load measure for each worker slot (what new rooms are placed by).",
      labelNames: ['worker'],
      registers,
      collect() {
        this.reset();
        for (const slot of pool.workers) this.set({ worker: String(slot.index) }, slot.load);
      },
    });
    new Gauge({
      name: 'blindcall_pipe_transports',
      help: 'Open pipe transports (between workers or nodes), by worker slot.',
      labelNames: ['worker'],
      registers,
      collect() {
        this.reset();
        for (const [worker, n] of census.count('pipe')) this.set({ worker: String(worker) }, n);
      },
    });
    // One read of every transport's stats per scrape, shared by both bitrate families.
    let traffic: ReturnType<TransportCensus['traffic']> | null = null;
    const readTraffic = (): ReturnType<TransportCensus['traffic']> => {
      traffic ??= census.traffic().finally(() => setImmediate(() => (traffic = null)));
      return traffic;
    };
    new Gauge({
      name: 'blindcall_worker_bitrate_bits_per_second',
      help: 'Bitrate in (ingress) and out (egress) of each worker, by transport kind (webrtc, pipe, plain).',
      labelNames: ['worker', 'direction', 'transport'],
      registers,
      async collect() {
        const rows = await readTraffic();
        this.reset();
        for (const r of rows) {
          const worker = String(r.worker);
          this.set({ worker, direction: 'ingress', transport: r.kind }, r.ingress);
          this.set({ worker, direction: 'egress', transport: r.kind }, r.egress);
        }
      },
    });
    new Gauge({
      name: 'blindcall_node_bitrate_bits_per_second',
      help: 'Bitrate in (ingress) and out (egress) of this node over WebRTC transports (its clients).',
      labelNames: ['direction'],
      registers,
      async collect() {
        const rows = (await readTraffic()).filter((r) => r.kind === 'webrtc');
        this.set(
          { direction: 'ingress' },
          rows.reduce((a, r) => a + r.ingress, 0),
        );
        this.set(
          { direction: 'egress' },
          rows.reduce((a, r) => a + r.egress, 0),
        );
      },
    });
    new Counter({
      name: 'blindcall_worker_cpu_seconds_total',
      help: 'CPU time used by the mediasoup worker in each slot (resets when a worker is replaced).',
      labelNames: ['worker'],
      registers,
      async collect() {
        this.reset();
        await Promise.all(
          pool.workers.map(async (slot) => {
            if (slot.worker.closed) return;
            try {
              const usage = await slot.worker.getResourceUsage();
              // ru_utime/ru_stime are milliseconds of CPU time since the worker started.
              this.inc({ worker: String(slot.index) }, (usage.ru_utime + usage.ru_stime) / 1000);
            } catch {
              // The worker died between listing and asking; the next scrape shows its replacement.
            }
          }),
        );
      },
    });
  }
}
