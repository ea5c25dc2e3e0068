// Per-remote-peer state held by the KeyAgent. A peer enters the roster only when `channel` is set,
// i.e. after a handshake proved that it holds the session key of a valid announcement right now.

import type { VerifiedAnnouncement } from './announcement.js';
import type { Bytes } from './bytes.js';
import type { PairwiseChannel } from './channel.js';
import type { ChannelSecrets, Role } from './handshake.js';
import { RemoteKeyRing } from './RemoteKeyRing.js';
import type { ChannelRecord } from './records.js';

export interface Handshake {
  readonly role: Role;
  readonly ann: VerifiedAnnouncement;
  readonly nI: Bytes;
  /** Responder: derived on INIT. Initiator: null until RESP. */
  readonly secrets: ChannelSecrets | null;
  /** Responder's RESP, re-sent verbatim when the same INIT arrives again. */
  readonly resp: Bytes | null;
  readonly startedAt: number;
  lastSentAt: number;
}

export class Peer {
  /** The server reported this peer in the room (a hint only). */
  reported = false;
  /** It announced itself, or sent us channel traffic we could not place: worth a HELLO. */
  known = false;
  handshake: Handshake | null = null;
  channel: PairwiseChannel | null = null;
  /** The channel a re-handshake of the same session replaced; still accepted for receiving. */
  previousChannel: PairwiseChannel | null = null;
  readonly remoteKeys = new RemoteKeyRing();
  /** Highest generation of our current key lineage this peer acknowledged; -1 if none. */
  ackedGeneration = -1;
  /** Verified, but our join ratchet for it has not happened yet: it gets no key before that. */
  awaitingRatchet = false;
  /** Our key must be (re)sent now, regardless of the retry timer. */
  keyDue = false;
  keySentAt = -Infinity;
  helloAttempts = 0;
  helloSentAt = -Infinity;
  nextHelloAt = -Infinity;
  displayName = '';
  userVerified = false;
  /** Records queued during the current input, sealed into one channel message at its end. */
  private outbox: ChannelRecord[] = [];

  /** `onQueued` hears of the first record queued since the last `takeOutbox()`. */
  constructor(
    readonly peerId: string,
    private readonly onQueued: (peer: Peer) => void = () => undefined,
  ) {}

  /** Queues a record for this input's channel message (`first`: ahead of those already queued). */
  queue(rec: ChannelRecord, first = false): void {
    if (this.outbox.length === 0) this.onQueued(this);
    if (first) this.outbox.unshift(rec);
    else this.outbox.push(rec);
  }

  takeOutbox(): ChannelRecord[] {
    const records = this.outbox;
    this.outbox = [];
    return records;
  }

  get verified(): boolean {
    return this.channel !== null;
  }
}
