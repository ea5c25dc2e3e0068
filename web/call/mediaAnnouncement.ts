/**
 * Which of a sender's sources are on, said by the sender itself end to end (issue: server-claimed
 * state). The server can pause or close a consumer and so make someone look muted or camera-off,
 * or keep forwarding what they turned off; it cannot forge or alter this announcement, which rides
 * in the sender's MLS application messages (signed by its leaf, encrypted, padded; see
 * mlsAppMessage.ts) with every heartbeat and at once on each change.
 *
 * The server can still withhold or reorder the messages: each carries a sequence number that only
 * grows within one session, and a receiver keeps the newest, so an old announcement replayed or
 * delivered late never overrides a newer one.
 */

export interface MediaFlags {
  readonly microphone: boolean;
  readonly camera: boolean;
  readonly screen: boolean;
}

/** On the wire: the flags and the sender's sequence number. */
export interface MediaAnnouncement extends MediaFlags {
  readonly seq: number;
}

export function isMediaAnnouncement(v: unknown): v is MediaAnnouncement {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return (
    Number.isSafeInteger(o.seq) &&
    (o.seq as number) >= 0 &&
    typeof o.microphone === 'boolean' &&
    typeof o.camera === 'boolean' &&
    typeof o.screen === 'boolean' &&
    Object.keys(o).length === 4
  );
}

/** Numbers this member's announcements and keeps the newest received per peer. */
export class MediaAnnouncements {
  private seq = 0;
  private readonly newest = new Map<string, number>();

  /** The next announcement of `flags` from this member. */
  next(flags: MediaFlags): MediaAnnouncement {
    return {
      seq: ++this.seq,
      microphone: flags.microphone,
      camera: flags.camera,
      screen: flags.screen,
    };
  }

  /** True when `a` is newer than anything `peerId` announced before (then it is the state). */
  accept(peerId: string, a: MediaAnnouncement): boolean {
    if (a.seq <= (this.newest.get(peerId) ?? 0)) return false;
    this.newest.set(peerId, a.seq);
    return true;
  }

  /** Forgets peers no longer in the group. */
  keepOnly(peerIds: ReadonlySet<string>): void {
    for (const id of this.newest.keys()) if (!peerIds.has(id)) this.newest.delete(id);
  }
}
