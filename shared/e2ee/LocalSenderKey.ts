// The local participant's media key schedule (one sender key at a time, shared by all its tracks).
//
//   generation g ──join──▶ g' = next generation, key = ratchet^(g'-g)(key_g)   (nothing sent to
//                          current members: they derive it; the newcomer gets key_g' only)
//   any ──leave/periodic/rekey()──▶ pending fresh random key, generation = next generation,
//                          sent to every remaining member; switch when all acked or at deadline
//
// Generations only grow, and a key's generation is its position in the ratchet lineage, so a
// receiver holding key_g derives key_g' for any later g' in the same lineage by g'-g steps.
// KID = slot << 4 | generation mod 16 (sframe/kid.ts).

import { makeKid, ratchetKey, KID_SLOT_COUNT } from '../sframe/kid.js';
import { wipe, type Bytes } from './bytes.js';

export interface KeyVersion {
  readonly generation: number;
  readonly kid: number;
  readonly key: Bytes;
}

export interface PendingKey {
  readonly version: KeyVersion;
  readonly acked: Set<string>;
  readonly deadline: number;
}

const MAX_GENERATION = 0xffffffff;

export class LocalSenderKey {
  private cur: KeyVersion;
  private pend: PendingKey | null = null;
  private nextGeneration = 1;
  private freshGeneration = 0;
  private freshAt: number;
  private slotValue: number;

  constructor(
    private readonly random: (n: number) => Uint8Array,
    private readonly keyLength: number,
    now: number,
  ) {
    this.slotValue = this.randomSlot(new Set());
    this.cur = { generation: 0, kid: makeKid(this.slotValue, 0), key: this.randomKey() };
    this.freshAt = now;
  }

  get current(): KeyVersion {
    return this.cur;
  }
  get pending(): PendingKey | null {
    return this.pend;
  }
  get slot(): number {
    return this.slotValue;
  }
  /** Generation of the most recent fresh (random) key in use; ratchets descend from it. */
  get lastFreshGeneration(): number {
    return this.freshGeneration;
  }
  get lastFreshAt(): number {
    return this.freshAt;
  }

  /** Join: moves the current key forward. Must not be called while a fresh key is pending. */
  ratchet(): KeyVersion {
    if (this.pend !== null) throw new Error('ratchet with a pending key');
    const g = this.allocate();
    let key = this.cur.key;
    for (let i = this.cur.generation; i < g; i++) {
      const next = ratchetKey(key);
      if (key !== this.cur.key) wipe(key);
      key = next;
    }
    this.cur = { generation: g, kid: makeKid(this.slotValue, g), key };
    return this.cur;
  }

  /** Leave, periodic or on-demand rekey: a fresh random key, pending until `switchToPending`. */
  startFresh(now: number, deadline: number, slotsInUse: ReadonlySet<number>): KeyVersion {
    if (slotsInUse.has(this.slotValue)) this.slotValue = this.randomSlot(slotsInUse);
    const g = this.allocate();
    const version = { generation: g, kid: makeKid(this.slotValue, g), key: this.randomKey() };
    this.pend = { version, acked: new Set(), deadline };
    this.freshAt = now;
    return version;
  }

  switchToPending(): KeyVersion {
    if (this.pend === null) throw new Error('no pending key');
    this.cur = this.pend.version;
    this.freshGeneration = this.cur.generation;
    this.pend = null;
    return this.cur;
  }

  /** True if `generation`/`kid` name the current key or a key of its lineage back to the last fresh key. */
  inCurrentLineage(generation: number, kid: number): boolean {
    return (
      generation >= this.freshGeneration &&
      generation <= this.cur.generation &&
      kid === makeKid(this.slotValue, generation)
    );
  }

  close(): void {
    wipe(this.cur.key);
    if (this.pend !== null) wipe(this.pend.version.key);
    this.pend = null;
  }

  private allocate(): number {
    if (this.nextGeneration > MAX_GENERATION) throw new RangeError('generation space exhausted');
    return this.nextGeneration++;
  }

  private randomKey(): Bytes {
    const k = this.random(this.keyLength);
    if (k.length !== this.keyLength)
      throw new RangeError('random source returned the wrong length');
    return new Uint8Array(k);
  }

  private randomSlot(avoid: ReadonlySet<number>): number {
    for (let i = 0; i < 64; i++) {
      const r = this.random(2);
      const s = ((r[0]! << 8) | r[1]!) % KID_SLOT_COUNT;
      if (!avoid.has(s)) return s;
    }
    return this.slotValue; // room with ~4096 senders: keep the slot; receivers separate owners
  }
}
