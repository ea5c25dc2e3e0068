/**
 * A small typed event emitter, shared by the server and the browser client. A listener that
 * throws does not stop the other listeners or the emitter (STYLE.md): the error goes to
 * `listenerFailed`, which each side implements with its own logger.
 */

type Listener<A extends unknown[]> = (...args: A) => void;
// Stored type-erased; `on` and `emit` keep each event's listener and arguments in step.
type AnyListener = (...args: unknown[]) => void;
const erase = <A extends unknown[]>(l: Listener<A>): AnyListener => l as unknown as AnyListener;

export abstract class TypedEmitter<Events extends { [K in keyof Events]: unknown[] }> {
  private readonly listeners = new Map<keyof Events, Set<AnyListener>>();

  /** Subscribes; returns the function that unsubscribes. */
  on<K extends keyof Events>(event: K, listener: Listener<Events[K]>): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(erase(listener));
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
    this.listeners.get(event)?.delete(erase(listener));
  }

  protected emit<K extends keyof Events>(event: K, ...args: Events[K]): void {
    for (const listener of [...(this.listeners.get(event) ?? [])]) {
      try {
        listener(...args);
      } catch (err) {
        this.listenerFailed(String(event), err);
      }
    }
  }

  protected removeAllListeners(): void {
    this.listeners.clear();
  }

  /** A listener of `event` threw `err`; the emitter goes on. */
  protected abstract listenerFailed(event: string, err: unknown): void;
}
