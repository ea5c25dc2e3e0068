// PeerTable: the peers a KeyAgent knows (handshaking, or verified members of the encrypted roster)
// and which of them have channel records waiting to be sealed at the end of the current input.

import { Peer } from './Peer.js';
import { encodeRecords } from './records.js';

export class PeerTable {
  readonly byId = new Map<string, Peer>();
  /** Peers with queued channel records: sealing visits only these, not every peer. */
  private readonly queued = new Set<Peer>();
  /** Verified peers in `byId` (kept in step by `verified`, `remove` and `clear`). */
  private members = 0;

  get memberCount(): number {
    return this.members;
  }

  get(peerId: string): Peer | undefined {
    return this.byId.get(peerId);
  }

  /** The record for an id, created on first use. */
  getOrCreate(peerId: string): Peer {
    let p = this.byId.get(peerId);
    if (p === undefined) {
      p = new Peer(peerId, (q) => this.queued.add(q));
      this.byId.set(peerId, p);
    }
    return p;
  }

  /** The peer just got its first channel: it counts as a member from now on. */
  verified(): void {
    this.members++;
  }

  /** Forgets the peer and its channels' keys; returns it, or undefined if unknown. */
  remove(peerId: string): Peer | undefined {
    const peer = this.byId.get(peerId);
    if (peer === undefined) return undefined;
    this.byId.delete(peerId);
    peer.previousChannel?.close();
    peer.channel?.close();
    if (peer.verified) this.members--;
    return peer;
  }

  verifiedPeers(): Peer[] {
    return [...this.byId.values()].filter((p) => p.verified);
  }

  /** One sealed channel message per peer with queued records (peers without a channel wait). */
  sealQueued(send: (peerId: string, payload: Uint8Array) => void): void {
    for (const p of this.queued) {
      if (this.byId.get(p.peerId) !== p) {
        this.queued.delete(p); // left during this input: nothing to send it
        continue;
      }
      if (p.channel === null) continue; // kept until it has a channel
      this.queued.delete(p);
      send(p.peerId, p.channel.seal(encodeRecords(p.takeOutbox())));
    }
  }

  /** Forgets every peer and every channel key. */
  clear(): void {
    for (const p of this.byId.values()) {
      p.channel?.close();
      p.previousChannel?.close();
    }
    this.byId.clear();
    this.queued.clear();
    this.members = 0;
  }
}
