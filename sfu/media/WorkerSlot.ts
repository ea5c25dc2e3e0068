/**
 * One mediasoup worker of the pool and the single owner of its load.
 *
 * The load is what the worker forwards: every consumer on it is one outgoing stream (a WebRTC
 * consumer to a browser, or a pipe consumer to another worker), counted from mediasoup's own
 * observer events (Worker → Router → Transport → Consumer), so nothing else can get it wrong.
 * A peer placed on the worker counts one more from the moment it is admitted, so a burst of joins
 * spreads before their consumers exist. Nobody else writes these numbers: placements take an
 * `admit()` lease and give it back; consumers are seen, not reported.
 */
import type { types } from 'mediasoup';

export interface PeerLease {
  /** Idempotent. */
  release(): void;
}

export class WorkerSlot {
  private consumerCount = 0;
  private peerCount = 0;
  private routerCount = 0;

  constructor(
    readonly index: number,
    readonly worker: types.Worker,
    readonly webRtcServer: types.WebRtcServer,
    /** Bumps each time the slot's worker is replaced (a new WorkerSlot). */
    readonly generation: number,
  ) {
    worker.observer.on('newrouter', (router) => {
      this.routerCount++;
      router.observer.once('close', () => this.routerCount--);
      router.observer.on('newtransport', (transport) => {
        transport.observer.on('newconsumer', (consumer) => {
          this.consumerCount++;
          consumer.observer.once('close', () => this.consumerCount--);
        });
      });
    });
  }

  /** Placement score: consumers (streams forwarded) plus peers placed here. */
  get load(): number {
    return this.consumerCount + this.peerCount;
  }

  /** Open consumers on this worker, pipe consumers included. */
  get consumers(): number {
    return this.consumerCount;
  }

  /** Peers placed on this worker. */
  get peers(): number {
    return this.peerCount;
  }

  /** Open routers on this worker (one per room that has peers here). */
  get routers(): number {
    return this.routerCount;
  }

  /** Counts a peer placed on this worker until the lease is released. */
  admit(): PeerLease {
    this.peerCount++;
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.peerCount--;
      },
    };
  }
}
