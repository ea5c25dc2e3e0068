// Media keys received from one remote sender. The newest generation is kept; older ones stay for a
// grace window (in-flight frames, and the sender's switch after a leave) and are then removed.

import { equalBytes, wipe, type Bytes } from './bytes.js';
import { kidSlot } from '../sframe/kid.js';

interface Held {
  readonly generation: number;
  readonly key: Bytes;
  removeAt: number | null;
}

export type AddOutcome = 'added' | 'duplicate' | 'replaced';

export class RemoteKeyRing {
  private readonly keys = new Map<number, Held>();
  private newest = -1;
  /** Earliest `removeAt` of any held key (null if none is scheduled), so ticks cost O(1). */
  private earliest: number | null = null;

  /** Records a key; schedules every older generation for removal at now + grace. */
  add(generation: number, kid: number, key: Uint8Array, now: number, graceMs: number): AddOutcome {
    const held = this.keys.get(kid);
    if (held !== undefined && held.generation === generation && equalBytes(held.key, key))
      return 'duplicate';
    if (held !== undefined) wipe(held.key);
    this.keys.set(kid, { generation, key: new Uint8Array(key), removeAt: null });
    if (generation > this.newest) this.newest = generation;
    for (const h of this.keys.values()) {
      if (h.generation < this.newest && h.removeAt === null) h.removeAt = now + graceMs;
    }
    this.earliest = this.scanEarliest();
    return held === undefined ? 'added' : 'replaced';
  }

  /** KIDs whose grace window is over; they are forgotten. */
  takeExpired(now: number): number[] {
    if (this.earliest === null || this.earliest > now) return [];
    const out: number[] = [];
    for (const [kid, h] of this.keys) {
      if (h.removeAt !== null && h.removeAt <= now) {
        wipe(h.key);
        this.keys.delete(kid);
        out.push(kid);
      }
    }
    this.earliest = this.scanEarliest();
    return out;
  }

  nextExpiry(): number | null {
    return this.earliest;
  }

  /** Removes everything (the sender left); returns the KIDs. */
  clear(): number[] {
    const kids = [...this.keys.keys()];
    for (const h of this.keys.values()) wipe(h.key);
    this.keys.clear();
    this.newest = -1;
    this.earliest = null;
    return kids;
  }

  /** Slot of the newest key, to keep our own KID slot distinct. */
  newestSlot(): number | null {
    for (const [kid, h] of this.keys) if (h.generation === this.newest) return kidSlot(kid);
    return null;
  }

  private scanEarliest(): number | null {
    let t: number | null = null;
    for (const h of this.keys.values())
      if (h.removeAt !== null && (t === null || h.removeAt < t)) t = h.removeAt;
    return t;
  }

  kids(): number[] {
    return [...this.keys.keys()];
  }
}
