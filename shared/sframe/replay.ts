// Sliding-window replay filter (the RFC 4303 §3.4.3 / RFC 3711 §3.3.2 construction) for SFrame
// counters. Check before decrypting, commit only after the AEAD accepted the message, so forged
// input cannot move the window. A counter older than the window cannot be told apart from a repeat
// (its bit is gone), so it is refused too, but reported apart: `seen` is a second copy of a frame
// already accepted (a duplicate, or a replay by the relay), `too-old` a frame that arrived more than
// `size` counters behind the newest one of its key (the sender's tracks share one counter).

export const DEFAULT_REPLAY_WINDOW = 1024;

export type ReplayVerdict = 'fresh' | 'seen' | 'too-old';

export class ReplayWindow {
  private highest = -1;
  private readonly bits: Uint32Array;

  constructor(readonly size: number = DEFAULT_REPLAY_WINDOW) {
    if (!Number.isInteger(size) || size < 32 || size % 32 !== 0)
      throw new RangeError('window must be a multiple of 32');
    this.bits = new Uint32Array(size / 32);
  }

  /** True if `ctr` has not been committed and is not older than the window. */
  check(ctr: number): boolean {
    return this.verdict(ctr) === 'fresh';
  }

  verdict(ctr: number): ReplayVerdict {
    if (ctr > this.highest) return 'fresh';
    if (this.highest - ctr >= this.size) return 'too-old';
    return this.get(ctr) ? 'seen' : 'fresh';
  }

  commit(ctr: number): void {
    if (ctr > this.highest) {
      const shift = ctr - this.highest;
      if (shift >= this.size) this.bits.fill(0);
      else for (let c = this.highest + 1; c < ctr; c++) this.clear(c);
      this.highest = ctr;
    }
    this.set(ctr);
  }

  private get(c: number): boolean {
    const i = c % this.size;
    return (this.bits[i >>> 5]! & (1 << (i & 31))) !== 0;
  }
  private set(c: number): void {
    const i = c % this.size;
    this.bits[i >>> 5] = this.bits[i >>> 5]! | (1 << (i & 31));
  }
  private clear(c: number): void {
    const i = c % this.size;
    this.bits[i >>> 5] = this.bits[i >>> 5]! & ~(1 << (i & 31));
  }
}
