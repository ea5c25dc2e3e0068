/**
 * Every transport on every worker of the pool, found through mediasoup's observer API
 * (`worker.observer` → `newrouter` → `newtransport`), so it sees WebRTC, plain and pipe
 * transports whoever makes them (rooms, pipes between workers or nodes, the test tap) without
 * any of them having to report. Read on scrape by /metrics; nothing here runs per packet.
 */
import type { types } from 'mediasoup';
import type { WorkerPool, WorkerSlot } from './WorkerPool.js';

export type TransportKind = types.Transport['type'];

export interface WorkerTraffic {
  readonly worker: number;
  readonly kind: TransportKind;
  /** Bits per second into the worker (from the far end) over transports of this kind. */
  readonly ingress: number;
  /** Bits per second out of the worker over transports of this kind. */
  readonly egress: number;
}

export class TransportCensus {
  private readonly byWorker = new Map<number, Set<types.Transport>>();

  constructor(pool: WorkerPool) {
    for (const slot of pool.workers) this.watch(slot);
    pool.on('workerReplaced', (index) => {
      const slot = pool.workers[index];
      if (slot) this.watch(slot);
    });
  }

  /** Open transports of one kind on each worker slot. */
  count(kind: TransportKind): Map<number, number> {
    const out = new Map<number, number>();
    for (const [worker, set] of this.byWorker) {
      let n = 0;
      for (const t of set) if (!t.closed && t.type === kind) n++;
      out.set(worker, n);
    }
    return out;
  }

  /** Current send/receive bitrates, as mediasoup estimates them per transport, summed. */
  async traffic(): Promise<WorkerTraffic[]> {
    const sums = new Map<
      string,
      { worker: number; kind: TransportKind; ingress: number; egress: number }
    >();
    const reads: Promise<void>[] = [];
    for (const [worker, set] of this.byWorker) {
      for (const kind of ['webrtc', 'pipe', 'plain'] as const) {
        sums.set(`${worker}/${kind}`, { worker, kind, ingress: 0, egress: 0 });
      }
      for (const t of set) {
        if (t.closed || t.type === 'direct') continue;
        reads.push(
          // Every transport kind's stats carry recvBitrate/sendBitrate (BaseTransportStats).
          (t.getStats() as Promise<{ recvBitrate: number; sendBitrate: number }[]>).then(
            (stats) => {
              const sum = sums.get(`${worker}/${t.type}`);
              for (const s of stats) {
                if (!sum) continue;
                sum.ingress += s.recvBitrate;
                sum.egress += s.sendBitrate;
              }
            },
            // Closed between listing and asking: it carries nothing any more.
            () => undefined,
          ),
        );
      }
    }
    await Promise.all(reads);
    return [...sums.values()];
  }

  private watch(slot: WorkerSlot): void {
    const set = new Set<types.Transport>();
    this.byWorker.set(slot.index, set);
    slot.worker.observer.on('newrouter', (router) => {
      router.observer.on('newtransport', (transport) => {
        set.add(transport);
        transport.observer.once('close', () => set.delete(transport));
      });
    });
  }
}
