/**
 * The pool of mediasoup workers: one per core, each with a WebRtcServer (UDP + TCP on one port,
 * `rtcPort + slot`). Each peer goes to the least-loaded worker (WorkerSlot's forwarding load, see
 * there). A worker that dies is replaced in its slot (same port) by a new WorkerSlot and
 * `workerDied` is emitted; its routers close, which evicts the peers placed on it.
 */
import * as mediasoup from 'mediasoup';
import type { types } from 'mediasoup';
import { createLogger } from '../logger.js';
import { TypedEmitter } from '../TypedEmitter.js';

const log = createLogger('WorkerPool');

export interface WorkerPoolOptions {
  numWorkers: number;
  rtcListenIp: string;
  announcedAddress: string;
  rtcPort: number;
  logLevel: types.WorkerLogLevel;
}

import { WorkerSlot } from './WorkerSlot.js';

export { WorkerSlot } from './WorkerSlot.js';

type Events = {
  workerDied: [slot: number, pid: number];
  workerReplaced: [slot: number, pid: number];
};

export class WorkerPoolClosedError extends Error {
  override readonly name = 'WorkerPoolClosedError';
}

export class WorkerPool extends TypedEmitter<Events> {
  private readonly slots: WorkerSlot[] = [];
  private closed = false;
  /** Replacements in progress, awaited by close(). */
  private readonly pending = new Set<Promise<void>>();

  private constructor(private readonly options: WorkerPoolOptions) {
    super();
  }

  static async create(options: WorkerPoolOptions): Promise<WorkerPool> {
    const pool = new WorkerPool(options);
    try {
      for (let i = 0; i < options.numWorkers; i++) {
        pool.slots.push(await pool.startSlot(i, 0));
      }
    } catch (err) {
      await pool.close();
      throw err;
    }
    return pool;
  }

  get workers(): readonly WorkerSlot[] {
    return this.slots;
  }

  /**
   * The live slot with the least forwarding load. Among equals, one in `prefer` (the workers a
   * room already has a router on, so no pipe is needed), then the lowest index.
   */
  leastLoaded(prefer: ReadonlySet<number> = new Set()): WorkerSlot {
    if (this.closed) throw new WorkerPoolClosedError('worker pool is closed');
    const live = this.slots.filter((s) => !s.worker.closed);
    if (live.length === 0) throw new WorkerPoolClosedError('no live mediasoup worker');
    const better = (a: WorkerSlot, b: WorkerSlot): boolean =>
      b.load < a.load || (b.load === a.load && prefer.has(b.index) && !prefer.has(a.index));
    return live.reduce((a, b) => (better(a, b) ? b : a));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([...this.pending]);
    for (const slot of this.slots) slot.worker.close();
    this.removeAllListeners();
  }

  private async startSlot(index: number, generation: number): Promise<WorkerSlot> {
    const { rtcListenIp, announcedAddress, rtcPort, logLevel } = this.options;
    const worker = await mediasoup.createWorker({
      logLevel,
      appData: { slot: index },
    });
    let webRtcServer: types.WebRtcServer;
    try {
      const port = rtcPort + index;
      webRtcServer = await worker.createWebRtcServer({
        listenInfos: [
          { protocol: 'udp', ip: rtcListenIp, announcedAddress, port },
          { protocol: 'tcp', ip: rtcListenIp, announcedAddress, port },
        ],
      });
    } catch (err) {
      worker.close();
      throw err;
    }
    const slot = new WorkerSlot(index, worker, webRtcServer, generation);
    worker.on('died', (error) => this.onDied(slot, error));
    log.info('worker started', { slot: index, pid: worker.pid, port: rtcPort + index });
    return slot;
  }

  private onDied(slot: WorkerSlot, error: Error): void {
    const pid = slot.worker.pid;
    log.error('worker died', error, { slot: slot.index, pid });
    this.emit('workerDied', slot.index, pid);
    if (this.closed) return;
    const replacement = this.replace(slot.index, slot.generation + 1).finally(() =>
      this.pending.delete(replacement),
    );
    this.pending.add(replacement);
  }

  private async replace(index: number, generation: number): Promise<void> {
    // The dead worker's port is released when its process exits; retry briefly if the OS has
    // not freed it yet.
    for (let attempt = 1; !this.closed; attempt++) {
      try {
        const slot = await this.startSlot(index, generation);
        if (this.closed) {
          slot.worker.close();
          return;
        }
        this.slots[index] = slot;
        this.emit('workerReplaced', index, slot.worker.pid);
        return;
      } catch (err) {
        log.error('worker replacement failed', err, { slot: index, attempt });
        await new Promise((r) => setTimeout(r, Math.min(5000, 200 * attempt)));
      }
    }
  }
}
