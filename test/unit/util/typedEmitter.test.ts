// The typed emitter both sides share: subscription, once, unsubscription, and a listener that
// throws reaching listenerFailed without stopping the others.
import { describe, expect, it } from 'vitest';
import { TypedEmitter } from '../../../shared/util/TypedEmitter.js';

type Events = { ping: [n: number]; done: [] };

class Probe extends TypedEmitter<Events> {
  readonly failures: string[] = [];
  fire<K extends keyof Events>(event: K, ...args: Events[K]): void {
    this.emit(event, ...args);
  }
  clear(): void {
    this.removeAllListeners();
  }
  protected override listenerFailed(event: string, err: unknown): void {
    this.failures.push(`${event}: ${(err as Error).message}`);
  }
}

describe('TypedEmitter', () => {
  it('delivers to every listener; on() returns the unsubscribe; once() fires once', () => {
    const e = new Probe();
    const got: string[] = [];
    const off = e.on('ping', (n) => got.push(`a${n}`));
    e.once('ping', (n) => got.push(`once${n}`));
    e.fire('ping', 1);
    off();
    e.fire('ping', 2);
    expect(got).toEqual(['a1', 'once1']);
  });

  it('a listener that throws is reported and the others still run', () => {
    const e = new Probe();
    const got: number[] = [];
    e.on('ping', () => {
      throw new Error('boom');
    });
    e.on('ping', (n) => got.push(n));
    e.fire('ping', 7);
    expect(got).toEqual([7]);
    expect(e.failures).toEqual(['ping: boom']);
  });

  it('removeAllListeners() and off() stop delivery', () => {
    const e = new Probe();
    const got: string[] = [];
    const l = (): void => void got.push('done');
    e.on('done', l);
    e.off('done', l);
    e.fire('done');
    e.on('done', l);
    e.clear();
    e.fire('done');
    expect(got).toEqual([]);
  });
});
