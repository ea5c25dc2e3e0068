// Coalescing of membership changes: joins (sealed KeyPackages) and leaves (leaf indices, from the
// server's `peerLeft` hint or the liveness timeout) that arrive within COALESCE_MS of the first one
// share one commit, so a burst of n changes costs each member one commit to process, not n.
//
// Who commits: every member runs the same queue, but only the *designated committer* (the lowest
// leaf index not being removed) commits at once; the others wait one more COALESCE_MS per rank
// before trying, as a fallback if it is gone. The sequencer takes the first commit either way.

export const COALESCE_MS = 100;

/** A roster entry as the queue sees it: a leaf and a stable key for its credential. */
export interface RosterEntry {
  readonly leafIndex: number;
  /** e.g. the hex of the credential's identity bytes. */
  readonly key: string;
}

export class ChangeQueue {
  /** Credential key -> sealed KeyPackage. */
  private readonly adds = new Map<string, Uint8Array>();
  /** Leaf -> credential key at the time the removal was asked: a reused leaf is not removed. */
  private readonly removes = new Map<number, string>();
  private since: number | null = null;

  constructor(private readonly coalesceMs = COALESCE_MS) {}

  /** Queues a newcomer's sealed KeyPackage; `key` names its credential (as in RosterEntry). */
  add(keyPackage: Uint8Array, key: string, now: number): void {
    this.adds.set(key, keyPackage);
    this.since ??= now;
  }

  remove(entry: RosterEntry, now: number): void {
    this.removes.set(entry.leafIndex, entry.key);
    this.since ??= now;
  }

  get empty(): boolean {
    return this.adds.size === 0 && this.removes.size === 0;
  }

  /** Removals waiting (a member that is to be removed must not be the committer). */
  pendingRemovals(): ReadonlySet<number> {
    return new Set(this.removes.keys());
  }

  /** True when this member should commit now; `rank` is its place among eligible committers. */
  due(now: number, rank: number): boolean {
    return this.since !== null && now >= this.since + this.coalesceMs * (1 + rank);
  }

  /**
   * Takes every queued change for one commit. `undo` puts them back if the sequencer refused the
   * commit (the winner may not have made them); the next `settle` drops what it did make.
   */
  take(): { add: Uint8Array[]; remove: number[]; undo: (now: number) => void } {
    const adds = [...this.adds];
    const removes = [...this.removes];
    this.adds.clear();
    this.removes.clear();
    this.since = null;
    return {
      add: adds.map(([, kp]) => kp),
      remove: removes.map(([leaf]) => leaf),
      undo: (now) => {
        for (const [key, kp] of adds) this.add(kp, key, now);
        for (const [leafIndex, key] of removes) this.remove({ leafIndex, key }, now);
      },
    };
  }

  /**
   * Drops changes a processed commit already made: removals whose leaf is gone or now holds another
   * credential (a reused leaf, or a member that resynced into a new leaf), our own leaf, and
   * newcomers that are now in the roster.
   */
  settle(roster: readonly RosterEntry[], self: number): void {
    const now = new Map(roster.map((r) => [r.leafIndex, r.key]));
    for (const [leaf, key] of [...this.removes])
      if (leaf === self || now.get(leaf) !== key) this.removes.delete(leaf);
    const keys = new Set(roster.map((r) => r.key));
    for (const key of [...this.adds.keys()]) if (keys.has(key)) this.adds.delete(key);
    if (this.empty) this.since = null;
  }
}

/** The designated committer's rank order: members sorted by leaf index, minus those leaving. */
export function committerRank(
  self: number,
  members: readonly number[],
  leaving: ReadonlySet<number>,
): number {
  const eligible = members.filter((l) => !leaving.has(l)).sort((a, b) => a - b);
  const r = eligible.indexOf(self);
  return r < 0 ? Number.POSITIVE_INFINITY : r;
}
