/**
 * A small typed event emitter. A listener that throws is logged and does not stop the other
 * listeners or the emitter (STYLE.md: listeners must not kill the emitter).
 */
import { createLogger } from './logger.js';

const log = createLogger('TypedEmitter');

type Listener<A extends unknown[]> = (...args: A) => void;
// Stored listeners are keyed by event; `on` guarantees each matches its event's arguments.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyListener = (...args: any[]) => void;

export class TypedEmitter<Events extends { [K in keyof Events]: unknown[] }> {
  private readonly listeners = new Map<keyof Events, Set<AnyListener>>();

  on<K extends keyof Events>(event: K, listener: Listener<Events[K]>): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener as AnyListener);
    return () => this.off(event, listener);
  }

  once<K extends keyof Events>(event: K, listener: Listener<Events[K]>): () => void {
    const off = this.on(event, (...args) => {
      off();
      listener(...args);
    });
    return off;
  }

  off<K extends keyof Events>(event: K, listener: Listener<Events[K]>): void {
    this.listeners.get(event)?.delete(listener as AnyListener);
  }

  protected emit<K extends keyof Events>(event: K, ...args: Events[K]): void {
    for (const listener of [...(this.listeners.get(event) ?? [])]) {
      try {
        listener(...args);
      } catch (err) {
        log.error('listener threw', err, { event: String(event) });
      }
    }
  }

  protected removeAllListeners(): void {
    this.listeners.clear();
  }
}
