/**
 * A tiny typed event emitter for the call engine and its parts. A listener that throws is caught
 * and logged, never allowed to break the emitter or the other listeners.
 */
import { createLogger } from './logger.js';

const log = createLogger('Emitter');

type Listener<A extends unknown[]> = (...args: A) => void;
// Stored type-erased; `on` and `emit` keep each event's listener and arguments in step.
type AnyListener = (...args: unknown[]) => void;

export class Emitter<Events extends { [K in keyof Events]: unknown[] }> {
  private readonly listeners = new Map<keyof Events, Set<AnyListener>>();

  /** Subscribes; returns the function that unsubscribes. */
  on<K extends keyof Events>(event: K, listener: Listener<Events[K]>): () => void {
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
    }
    set.add(listener as unknown as AnyListener);
    return () => {
      set.delete(listener as unknown as AnyListener);
    };
  }

  protected emit<K extends keyof Events>(event: K, ...args: Events[K]): void {
    const set = this.listeners.get(event);
    if (!set) return;
    for (const listener of [...set]) {
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
