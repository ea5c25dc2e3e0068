// Liveness: a member that stops answering while the server says nothing (a half-open socket, a
// frozen tab) is removed after a bounded timeout. Members note every sign of life they see from a
// leaf (any message, any decrypted frame); `expired` lists the leaves silent for too long, which
// then go into the ChangeQueue as removals.

export const DEFAULT_LIVENESS_TIMEOUT_MS = 30_000;

export class Liveness {
  private readonly lastSeen = new Map<number, number>();

  constructor(private readonly timeoutMs = DEFAULT_LIVENESS_TIMEOUT_MS) {}

  /** A sign of life from `leaf` at `at`; an older sign than one already noted changes nothing. */
  seen(leaf: number, at: number): void {
    this.lastSeen.set(leaf, Math.max(at, this.lastSeen.get(leaf) ?? at));
  }

  /** Keeps only the given leaves but `self` (after a commit); new ones count as seen now. */
  sync(leaves: readonly number[], self: number, now: number): void {
    const keep = new Set(leaves.filter((l) => l !== self));
    for (const l of [...this.lastSeen.keys()]) if (!keep.has(l)) this.lastSeen.delete(l);
    for (const l of keep) if (!this.lastSeen.has(l)) this.lastSeen.set(l, now);
  }

  /** Leaves silent for longer than the timeout, lowest first. */
  expired(now: number): number[] {
    return [...this.lastSeen]
      .filter(([, t]) => now - t > this.timeoutMs)
      .map(([l]) => l)
      .sort((a, b) => a - b);
  }
}
