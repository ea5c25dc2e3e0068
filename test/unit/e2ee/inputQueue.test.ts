// InputQueue: inputs run one at a time in call order, each caller gets only its own effects, and
// a refused or failing input rejects only its own call.
import { describe, expect, it } from 'vitest';
import { InputQueue } from '../../../shared/e2ee/InputQueue.js';

const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 1));

describe('InputQueue', () => {
  it('runs inputs one at a time, in call order, each with its own effects', async () => {
    const q = new InputQueue<string>();
    const trace: string[] = [];
    const input = (name: string) => async (): Promise<void> => {
      trace.push(`${name} start`);
      q.emit(`${name}:1`);
      await tick(); // a second input must not start meanwhile
      q.emit(`${name}:2`);
      trace.push(`${name} end`);
    };
    const finish = (name: string) => (): void => q.emit(`${name}:finish`);
    const [a, b] = await Promise.all([
      q.run(() => undefined, input('a'), finish('a')),
      q.run(() => undefined, input('b'), finish('b')),
    ]);
    expect(trace).toEqual(['a start', 'a end', 'b start', 'b end']);
    expect(a).toEqual(['a:1', 'a:2', 'a:finish']);
    expect(b).toEqual(['b:1', 'b:2', 'b:finish']);
  });

  it('a refused or throwing input rejects only its own call; its effects go nowhere', async () => {
    const q = new InputQueue<string>();
    const refused = q.run(
      () => {
        throw new Error('closed');
      },
      () => void q.emit('never'),
      () => undefined,
    );
    const failing = q.run(
      () => undefined,
      () => {
        q.emit('lost');
        throw new Error('bad input');
      },
      () => q.emit('not finished'),
    );
    const fine = q.run(
      () => undefined,
      () => void q.emit('ok'),
      () => undefined,
    );
    await expect(refused).rejects.toThrow('closed');
    await expect(failing).rejects.toThrow('bad input');
    expect(await fine).toEqual(['ok']);
    expect(await q.after(() => 'after')).toBe('after');
  });
});
