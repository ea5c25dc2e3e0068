/**
 * Producers piped between the routers of one room (one router per worker).
 *
 * `acquire(producer, from, to)` makes a producer of router `from` consumable on router `to`, with
 * mediasoup's `router.pipeToRouter()` (a PipeTransport pair per pair of routers, which mediasoup
 * keeps and reuses; a pipe consumer on `from` and a pipe producer on `to` with the same id). Each
 * acquire holds the pipe until its release; the last release closes the pipe producer, which
 * closes its pipe consumer. Closing the source producer closes both (mediasoup does that).
 *
 * Pause, resume and key-frame requests travel through the pipe: mediasoup mirrors the source's
 * pause onto the pipe producer, and a consumer's key-frame request (PLI/FIR) goes back through
 * the pipe consumer to the sender.
 */
import type { types } from 'mediasoup';

interface Pipe {
  users: number;
  /** Resolves with the pipe producer on the destination router. */
  readonly ready: Promise<types.Producer>;
  producer: types.Producer | null;
}

export class ProducerPipes {
  private readonly pipes = new Map<string, Pipe>();

  /** Pipes currently open or being opened (for tests and metrics). */
  get size(): number {
    return this.pipes.size;
  }

  /** The open pipe producer of `producerId` on router `to`, if any. */
  pipeProducer(producerId: string, to: types.Router): types.Producer | null {
    return this.pipes.get(key(producerId, to))?.producer ?? null;
  }

  /**
   * Holds a pipe of `producer` (on `from`) to `to` until the returned release (idempotent) is
   * called. Rejects (holding nothing) if the pipe cannot be made, e.g. the producer closed.
   */
  async acquire(
    producer: types.Producer,
    from: types.Router,
    to: types.Router,
  ): Promise<() => void> {
    const k = key(producer.id, to);
    let pipe = this.pipes.get(k);
    if (pipe === undefined) {
      pipe = this.open(k, producer, from, to);
      this.pipes.set(k, pipe);
    }
    const held = pipe;
    held.users++;
    try {
      await held.ready;
    } catch (err) {
      held.users--;
      throw err;
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      held.users--;
      if (held.users === 0) held.producer?.close();
    };
  }

  private open(k: string, producer: types.Producer, from: types.Router, to: types.Router): Pipe {
    const forget = (): void => {
      if (this.pipes.get(k) === pipe) this.pipes.delete(k);
    };
    const ready = from.pipeToRouter({ producerId: producer.id, router: to }).then(
      ({ pipeProducer }) => {
        if (pipeProducer === undefined) throw new Error('pipeToRouter returned no producer');
        pipe.producer = pipeProducer;
        // The entry lives exactly as long as the pipe producer: a new acquire after this close
        // opens a new pipe, and never races a second pipe producer with the same id.
        pipeProducer.observer.once('close', forget);
        // Everyone let go while it was being made.
        if (pipe.users === 0) pipeProducer.close();
        return pipeProducer;
      },
      (err: unknown) => {
        forget();
        throw err;
      },
    );
    const pipe: Pipe = { users: 0, ready, producer: null };
    return pipe;
  }
}

function key(producerId: string, to: types.Router): string {
  return `${producerId}>${to.id}`;
}
