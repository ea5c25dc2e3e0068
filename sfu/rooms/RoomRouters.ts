/**
 * The routers of one room, one per worker it has peers on (mediasoup's layering: Worker → Router
 * → Transport → Producer/Consumer). The home router, made with the room, stays until the room
 * closes. Any other router is made when the first peer is
 * placed on its worker (`enter`) and closes when the last one leaves. A router that closes on its
 * own (its worker died) is reported through `onLost`, so the room can evict the peers on it.
 */
import type { types } from 'mediasoup';
import { ProtocolError } from '../../shared/protocol/index.js';
import { MEDIA_CODECS } from '../media/codecs.js';
import type { WorkerSlot } from '../media/WorkerSlot.js';

interface Entry {
  readonly slot: WorkerSlot;
  readonly ready: Promise<types.Router>;
  router: types.Router | null;
  /** Peers placed on it, and joins on their way to it. */
  occupants: number;
}

/** A place on one of the room's routers, held from a join's start until its peer leaves. */
export interface Seat {
  readonly ready: Promise<types.Router>;
  /** Idempotent. */
  leave(): void;
}

export class RoomRouters {
  private readonly entries = new Map<number, Entry>();
  private readonly homeEntry: Entry & { router: types.Router };
  private closed = false;

  constructor(
    slot: WorkerSlot,
    home: types.Router,
    private readonly onLost: (router: types.Router) => void,
  ) {
    this.homeEntry = { slot, ready: Promise.resolve(home), router: home, occupants: 0 };
    this.entries.set(slot.index, this.homeEntry);
  }

  get home(): types.Router {
    return this.homeEntry.router;
  }

  get homeSlot(): WorkerSlot {
    return this.homeEntry.slot;
  }

  /** The worker slots with a router of this room. */
  get slots(): ReadonlySet<number> {
    return new Set(this.entries.keys());
  }

  /** Takes a place on the room's router on `slot`, making the router if there is none yet. */
  enter(slot: WorkerSlot): Seat {
    const entry = this.entry(slot);
    entry.occupants++;
    let left = false;
    return {
      ready: entry.ready,
      leave: () => {
        if (left) return;
        left = true;
        entry.occupants--;
        if (entry.occupants === 0 && entry !== this.homeEntry) this.drop(entry);
      },
    };
  }

  /** The router on `slot`, made on first use; it closes with the room (or when its seats empty). */
  routerOn(slot: WorkerSlot): Promise<types.Router> {
    return this.entry(slot).ready;
  }

  /** Idempotent: closes every router, also those still being made. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const entry of [...this.entries.values()]) this.drop(entry);
  }

  private entry(slot: WorkerSlot): Entry {
    if (this.closed) throw new ProtocolError('UNAVAILABLE', 'room closed; join again');
    const existing = this.entries.get(slot.index);
    // A replaced worker keeps its index but is a new slot: its old router is gone.
    if (existing && existing.slot === slot) return existing;
    const ready = slot.worker.createRouter({ mediaCodecs: MEDIA_CODECS }).then((router) => {
      if (this.entries.get(slot.index) !== entry) {
        router.close();
        throw new ProtocolError('UNAVAILABLE', 'room closed; join again');
      }
      entry.router = router;
      // Closed by us it is already out of the map; otherwise its worker died.
      router.observer.once('close', () => {
        if (this.entries.get(slot.index) !== entry) return;
        this.entries.delete(slot.index);
        this.onLost(router);
      });
      return router;
    });
    // A failure is reported to each join that awaits it; this keeps it from being unhandled.
    ready.catch(() => undefined);
    const entry: Entry = { slot, ready, router: null, occupants: 0 };
    this.entries.set(slot.index, entry);
    return entry;
  }

  private drop(entry: Entry): void {
    if (this.entries.get(entry.slot.index) === entry) this.entries.delete(entry.slot.index);
    // One still being made closes as soon as it exists (see entry()).
    entry.router?.close();
  }
}
