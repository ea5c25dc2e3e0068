// Media key distribution: when to ratchet (joins), when to make fresh keys (leaves, periodic,
// on demand), who still needs which key, when to switch, and the keys received from others.
// Rules and their reasons: docs/protocol.md §5. The local key schedule itself: LocalSenderKey.ts.

import type { AgentContext } from './AgentContext.js';
import { LocalSenderKey, type PendingKey } from './LocalSenderKey.js';
import type { Peer } from './Peer.js';
import type { ChannelRecord } from './records.js';
import { KID_GEN_MODULUS, kidGeneration } from '../sframe/kid.js';

type RecordOf<K extends ChannelRecord['kind']> = Extract<ChannelRecord, { kind: K }>;
const MAX_KID = 1 << 16;

function earliest(a: number | null, b: number | null): number | null {
  return a === null ? b : b === null ? a : Math.min(a, b);
}

export class MediaKeyScheduler {
  private readonly local: LocalSenderKey;
  /** When the coalesced join ratchet is due; null if no newcomer is waiting. */
  private ratchetDueAt: number | null = null;
  /** A requested fresh rekey: made at `dueAt` (coalescing bursts of leaves), switched by `deadline`. */
  private freshRekey: { dueAt: number; deadline: number } | null = null;
  /**
   * The per-peer pass of `finish` (who gets which key) runs only when a peer may have come to need
   * a key (join, re-handshake, fresh key, ratchet, switch) or a retransmission may be due: not on
   * every input, which would cost O(members) per message, O(members²) per rekey.
   */
  private deliveryDue = true;
  private nextRetryAt = -Infinity;
  /** The same, over finite times only (peers that never got a key wait for the ratchet): a timer. */
  private retryDeadline: number | null = null;
  /** Earliest grace expiry of any remote key; may be early after removals (ticks fix it). */
  private expiryAt: number | null = null;

  constructor(private readonly ctx: AgentContext) {
    this.local = new LocalSenderKey((n) => ctx.random(n), ctx.opts.mediaKeyLength, ctx.now());
  }

  get currentKid(): number {
    return this.local.current.kid;
  }

  /** Publishes the current key to the frame worker (start). */
  publish(): void {
    const v = this.local.current;
    this.ctx.emit({ type: 'localKeyChanged', kid: v.kid, keyBytes: new Uint8Array(v.key) });
  }

  /** Join: the newcomer gets no key until we ratcheted after its verification; newcomers
   * verified within joinRatchetDelayMs share one ratchet step. */
  memberJoined(peer: Peer): void {
    peer.ackedGeneration = -1;
    peer.keyDue = true;
    peer.awaitingRatchet = true;
    this.deliveryDue = true;
    this.ratchetDueAt ??= this.ctx.now() + this.ctx.opts.joinRatchetDelayMs;
  }

  /** The same session re-ran its handshake: it needs our key again, but it is no newcomer. */
  memberRejoined(peer: Peer): void {
    peer.ackedGeneration = -1;
    peer.keyDue = true;
    this.deliveryDue = true;
  }

  /** Leave (or a replaced session): forget its keys; a fresh key for everyone else. */
  memberLeft(peer: Peer): void {
    this.dropRemoteKeys(peer);
    this.local.pending?.acked.delete(peer.peerId);
    this.requestFresh(this.ctx.opts.leaveCoalesceMs);
  }

  requestFresh(delayMs: number): void {
    const now = this.ctx.now();
    if (this.freshRekey === null)
      this.freshRekey = { dueAt: now + delayMs, deadline: now + this.ctx.opts.switchTimeoutMs };
    else this.freshRekey.dueAt = Math.min(this.freshRekey.dueAt, now + delayMs);
  }

  dropRemoteKeys(peer: Peer): void {
    for (const kid of peer.remoteKeys.clear())
      this.ctx.emit({ type: 'remoteKeyRemoved', peerId: peer.peerId, kid });
  }

  onMediaKey(peer: Peer, rec: RecordOf<'mediaKey'>): void {
    if (rec.kid >= MAX_KID || kidGeneration(rec.kid) !== rec.generation % KID_GEN_MODULUS)
      return this.ctx.warn('BAD_KEY_MESSAGE', peer.peerId);
    const now = this.ctx.now();
    const outcome = peer.remoteKeys.add(
      rec.generation,
      rec.kid,
      rec.key,
      now,
      this.ctx.opts.graceMs,
    );
    if (outcome === 'replaced')
      this.ctx.emit({ type: 'remoteKeyRemoved', peerId: peer.peerId, kid: rec.kid });
    if (outcome !== 'duplicate') {
      const keyBytes = new Uint8Array(rec.key);
      this.ctx.emit({ type: 'remoteKeyAdded', peerId: peer.peerId, kid: rec.kid, keyBytes });
    }
    this.expiryAt = earliest(this.expiryAt, peer.remoteKeys.nextExpiry());
    peer.queue({ kind: 'keyAck', generation: rec.generation, kid: rec.kid });
  }

  onKeyAck(peer: Peer, rec: RecordOf<'keyAck'>): void {
    const pending = this.local.pending;
    if (pending?.version.generation === rec.generation && pending.version.kid === rec.kid) {
      pending.acked.add(peer.peerId);
      if (this.allAcked(pending)) this.switchToPending();
    } else if (this.local.inCurrentLineage(rec.generation, rec.kid)) {
      peer.ackedGeneration = Math.max(peer.ackedGeneration, rec.generation);
    }
  }

  /** Timers: the post-leave switch, periodic rekey, expiry of superseded remote keys. */
  tick(now: number): void {
    const pending = this.local.pending;
    if (pending !== null && now >= pending.deadline) {
      if (!this.allAcked(pending)) this.ctx.warn('KEY_ACK_TIMEOUT');
      this.switchToPending();
    }
    const interval = this.ctx.opts.rekeyIntervalMs;
    if (interval > 0 && pending === null && now - this.local.lastFreshAt >= interval)
      this.requestFresh(0);
    let expiryAt: number | null = null;
    for (const p of this.ctx.peers.values()) {
      for (const kid of p.remoteKeys.takeExpired(now))
        this.ctx.emit({ type: 'remoteKeyRemoved', peerId: p.peerId, kid });
      expiryAt = earliest(expiryAt, p.remoteKeys.nextExpiry());
    }
    this.expiryAt = expiryAt;
  }

  /** End of an input: make a due fresh key, do a due ratchet, queue keys for peers that need them. */
  finish(now: number): void {
    if (this.freshRekey !== null && now >= this.freshRekey.dueAt) {
      const deadline = Math.max(this.freshRekey.deadline, now);
      this.freshRekey = null;
      const slots = new Set<number>();
      let members = 0;
      for (const p of this.ctx.peers.values()) {
        if (!p.verified) continue;
        members++;
        p.keyDue = true;
        const s = p.remoteKeys.newestSlot();
        if (s !== null) slots.add(s);
      }
      this.local.startFresh(now, deadline, slots);
      this.deliveryDue = true;
      if (members === 0) this.switchToPending();
    }
    // The join ratchet waits for a pending fresh key to be switched to (newcomers receive that
    // pending key meanwhile: it has not encrypted anything yet).
    if (this.ratchetDueAt !== null && now >= this.ratchetDueAt && this.local.pending === null) {
      this.ratchetDueAt = null;
      this.local.ratchet();
      this.publish();
      for (const p of this.ctx.peers.values()) p.awaitingRatchet = false;
      this.deliveryDue = true;
    }
    if (this.deliveryDue || now >= this.nextRetryAt) this.deliver(now);
  }

  /**
   * Queues our key for every peer that is due one. A peer not handled here can come to need a key
   * only through an event that sets `deliveryDue`, or by its retry time, which `nextRetryAt` tracks
   * for every peer that still needs a key (acknowledgements only ever reduce the need).
   */
  private deliver(now: number): void {
    const retryMs = this.ctx.opts.retryMs;
    this.deliveryDue = false;
    let nextRetryAt = Infinity;
    let retryDeadline: number | null = null;
    for (const p of this.ctx.peers.values()) {
      if (!p.verified) continue;
      if (p.keyDue || now - p.keySentAt >= retryMs) this.deliverTo(p, now);
      if (!this.needsKey(p)) continue;
      const at = p.keySentAt + retryMs;
      nextRetryAt = Math.min(nextRetryAt, at);
      if (Number.isFinite(at)) retryDeadline = earliest(retryDeadline, at);
    }
    this.nextRetryAt = nextRetryAt;
    this.retryDeadline = retryDeadline;
  }

  private deliverTo(p: Peer, now: number): void {
    const pending = this.local.pending;
    const sendCurrent = !this.canDerive(p) && !p.awaitingRatchet;
    const sendPending = pending !== null && !pending.acked.has(p.peerId);
    if (!sendCurrent && !sendPending) return;
    if (sendCurrent) {
      const cur = this.local.current;
      p.queue({ kind: 'mediaKey', generation: cur.generation, kid: cur.kid, key: cur.key });
    }
    if (sendPending) {
      const v = pending.version;
      p.queue({ kind: 'mediaKey', generation: v.generation, kid: v.kid, key: v.key });
    }
    p.keyDue = false;
    p.keySentAt = now;
  }

  /**
   * Calls `at` with every time at which `tick()` may have work, in O(1): the host asks after every
   * input. Key retries and expiries are kept up to date as they change; after an acknowledgement or
   * a removal they may be early, which costs one idle tick that recomputes them.
   */
  deadlines(at: (t: number | null) => void): void {
    const o = this.ctx.opts;
    at(this.local.pending?.deadline ?? null);
    at(this.ratchetDueAt);
    at(this.freshRekey?.dueAt ?? null);
    if (o.rekeyIntervalMs > 0) at(this.local.lastFreshAt + o.rekeyIntervalMs);
    at(this.expiryAt);
    at(this.retryDeadline);
  }

  close(): void {
    this.local.close();
    this.expiryAt = null;
    this.retryDeadline = null;
    for (const p of this.ctx.peers.values()) p.remoteKeys.clear();
  }

  /** True if the peer acknowledged a key from which our current key follows by the ratchet. */
  private canDerive(p: Peer): boolean {
    return (
      p.ackedGeneration >= this.local.lastFreshGeneration &&
      this.local.current.generation - p.ackedGeneration <= this.ctx.opts.ratchetWindow
    );
  }

  private needsKey(p: Peer): boolean {
    const pending = this.local.pending;
    return !this.canDerive(p) || (pending !== null && !pending.acked.has(p.peerId));
  }

  private allAcked(pending: PendingKey): boolean {
    // Every member acknowledged ⇒ at least memberCount acknowledgements: a cheap first test, so an
    // acknowledgement costs O(1) until the last one arrives.
    if (pending.acked.size < this.ctx.memberCount) return false;
    for (const p of this.ctx.peers.values())
      if (p.verified && !pending.acked.has(p.peerId)) return false;
    return true;
  }

  private switchToPending(): void {
    const pending = this.local.pending;
    if (pending === null) return;
    const v = this.local.switchToPending();
    for (const p of this.ctx.peers.values())
      p.ackedGeneration = pending.acked.has(p.peerId) ? v.generation : -1;
    this.deliveryDue = true;
    this.publish();
  }
}
