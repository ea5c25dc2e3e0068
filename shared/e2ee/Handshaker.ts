// The handshake side of the KeyAgent: checks announcements, runs INIT/RESP/first-CHANNEL per pair,
// retries, times out, and places incoming channel messages on the right channel. Message formats
// and the key schedule: wire.ts and handshake.ts; the state machine: docs/protocol.md §4.

import type { HandshakeContext } from './AgentContext.js';
import {
  verifyAnnouncement,
  type ParsedAnnouncement,
  type VerifiedAnnouncement,
} from './announcement.js';
import { equalBytes, toHex, WireError, type Bytes } from './bytes.js';
import { PairwiseChannel } from './channel.js';
import { LowOrderPointError } from './curves.js';
import {
  checkResponderConfirm,
  deriveChannelSecrets,
  responderConfirm,
  roleFor,
  transcriptHash,
  type ChannelSecrets,
  type Role,
} from './handshake.js';
import type { Peer } from './Peer.js';
import { decodeRecords, type ChannelRecord } from './records.js';
import { encodeHello, encodeInit, encodeResp, NONCE_LENGTH, type RelayMessage } from './wire.js';

type Msg<K extends RelayMessage['kind']> = Extract<RelayMessage, { kind: K }>;

const MAX_HELLO_BACKOFF_MS = 8000;
/** HELLOs to a peer that does not answer (≈ 30 s with backoff) before PEER_SILENT. */
const MAX_HELLOS = 6;
const ANNOUNCEMENT_CACHE_SIZE = 1024;

export class Handshaker {
  private readonly annCache = new Map<string, VerifiedAnnouncement>();
  /**
   * Peers that may have a handshake or HELLO timer: added wherever one can start (`watch`), dropped
   * lazily by `deadlines`, so the host's nextDeadline() after every input costs O(1) in a settled
   * room instead of a pass over every member.
   */
  private readonly unsettled = new Set<Peer>();

  constructor(private readonly ctx: HandshakeContext) {}

  async onHello(from: string, msg: Msg<'hello'>): Promise<void> {
    const ann = await this.verifyAnn(from, msg.ann);
    if (ann === null) return;
    const peer = this.ctx.peer(from);
    peer.known = true;
    this.watch(peer);
    // A HELLO from a session we already verified means that side lost the handshake (e.g. its
    // responder state timed out): run a new one; the current channel stays until it completes.
    if (peer.handshake !== null && equalBytes(peer.handshake.ann.sessionKey, ann.sessionKey)) {
      if (peer.handshake.role === 'responder') this.sendHello(peer);
      return;
    }
    if (roleFor(this.ctx.session.publicKey, ann.sessionKey) === 'initiator') {
      const nI = this.nonce();
      const now = this.ctx.now();
      peer.handshake = {
        role: 'initiator',
        ann,
        nI,
        secrets: null,
        resp: null,
        startedAt: now,
        lastSentAt: now,
      };
      this.ctx.emit({ type: 'send', to: from, payload: encodeInit(this.ctx.self.raw, nI) });
    } else {
      this.sendHello(peer);
    }
  }

  async onInit(from: string, msg: Msg<'init'>): Promise<void> {
    const ann = await this.verifyAnn(from, msg.ann);
    if (ann === null) return;
    if (roleFor(this.ctx.session.publicKey, ann.sessionKey) !== 'responder')
      return this.ctx.warn('HANDSHAKE_ROLE', from);
    const peer = this.ctx.peer(from);
    const hs = peer.handshake;
    if (
      hs?.role === 'responder' &&
      hs.resp !== null &&
      equalBytes(hs.ann.sessionKey, ann.sessionKey) &&
      equalBytes(hs.nI, msg.nI)
    ) {
      hs.lastSentAt = this.ctx.now();
      this.ctx.emit({ type: 'send', to: from, payload: hs.resp });
      return;
    }
    const nR = this.nonce();
    const transcript = transcriptHash(this.ctx.roomId, ann, this.ctx.self, msg.nI, nR);
    const secrets = await this.derive('responder', transcript, ann, from);
    if (secrets === null) return;
    const resp = encodeResp(this.ctx.self.raw, msg.nI, nR, responderConfirm(secrets));
    const now = this.ctx.now();
    this.watch(peer);
    peer.handshake = {
      role: 'responder',
      ann,
      nI: msg.nI,
      secrets,
      resp,
      startedAt: now,
      lastSentAt: now,
    };
    this.ctx.emit({ type: 'send', to: from, payload: resp });
  }

  async onResp(from: string, msg: Msg<'resp'>): Promise<void> {
    const ann = await this.verifyAnn(from, msg.ann);
    if (ann === null) return;
    const peer = this.ctx.peer(from);
    const hs = peer.handshake;
    if (
      hs === null ||
      hs.role !== 'initiator' ||
      !equalBytes(hs.ann.sessionKey, ann.sessionKey) ||
      !equalBytes(hs.nI, msg.nI)
    ) {
      // A duplicate RESP for a handshake that already completed is normal on a duplicating relay.
      if (peer.channel === null || !equalBytes(peer.channel.peer.sessionKey, ann.sessionKey))
        this.ctx.warn('HANDSHAKE_FAILED', from);
      return;
    }
    const transcript = transcriptHash(this.ctx.roomId, this.ctx.self, ann, msg.nI, msg.nR);
    const secrets = await this.derive('initiator', transcript, ann, from);
    if (secrets === null) return;
    if (!checkResponderConfirm(secrets, msg.confirm))
      return this.ctx.warn('HANDSHAKE_FAILED', from);
    const channel = PairwiseChannel.create(ann, 'initiator', secrets);
    this.ctx.establish(peer, channel);
    peer.queue({ kind: 'confirm' }, true);
  }

  /**
   * Opens a CHANNEL message on the channel it names. The responder's first authentic message
   * completes its handshake (`establish`). Returns the records, or null after a warning.
   */
  openChannel(from: string, msg: Msg<'channel'>): { peer: Peer; records: ChannelRecord[] } | null {
    const peer = this.ctx.peers.get(from);
    let channel: PairwiseChannel | null = null;
    let fresh = false;
    if (peer?.channel && equalBytes(peer.channel.id, msg.channelId)) {
      channel = peer.channel;
    } else if (peer?.previousChannel && equalBytes(peer.previousChannel.id, msg.channelId)) {
      channel = peer.previousChannel; // in flight from before a re-handshake of the same session
    } else if (
      peer?.handshake?.role === 'responder' &&
      peer.handshake.secrets &&
      equalBytes(peer.handshake.secrets.channelId, msg.channelId)
    ) {
      channel = PairwiseChannel.create(peer.handshake.ann, 'responder', peer.handshake.secrets);
      fresh = true;
    }
    if (peer === undefined || channel === null) {
      // The sender believes we share a channel that we do not have (we dropped it, e.g. after a
      // false "peer left"): offer a new handshake. Only a live session can complete it.
      const p = peer ?? this.ctx.peer(from);
      if (p.channel === null && p.handshake === null) {
        p.known = true;
        this.watch(p);
        this.sendHello(p);
      }
      this.ctx.warn('UNKNOWN_CHANNEL', from);
      return null;
    }
    const opened = channel.open(msg.header, msg.counter, msg.ciphertext);
    if (!opened.ok) {
      this.ctx.warn(opened.reason === 'REPLAY' ? 'CHANNEL_REPLAY' : 'CHANNEL_AUTH_FAILED', from);
      return null;
    }
    let records: ChannelRecord[];
    try {
      records = decodeRecords(opened.plaintext);
    } catch (e) {
      if (!(e instanceof WireError)) throw e;
      this.ctx.warn('MALFORMED', from);
      return null;
    }
    if (fresh) this.ctx.establish(peer, channel);
    return { peer, records };
  }

  /** Retries INIT and HELLO, gives up stale handshakes and silent peers. */
  tickPeer(peer: Peer, now: number): void {
    const o = this.ctx.opts;
    const hs = peer.handshake;
    if (hs !== null) {
      if (now - hs.startedAt >= o.handshakeTimeoutMs) {
        peer.handshake = null;
        this.ctx.warn('HANDSHAKE_TIMEOUT', peer.peerId);
      } else if (hs.role === 'initiator' && now - hs.lastSentAt >= o.retryMs) {
        hs.lastSentAt = now;
        this.ctx.emit({
          type: 'send',
          to: peer.peerId,
          payload: encodeInit(this.ctx.self.raw, hs.nI),
        });
      }
    } else if (!peer.verified && (peer.reported || peer.known) && now >= peer.nextHelloAt) {
      if (peer.helloAttempts < MAX_HELLOS) {
        this.sendHello(peer);
      } else {
        // Reported by the server (or announced) but never proved membership: stop and say so.
        peer.reported = false;
        peer.known = false;
        this.ctx.warn('PEER_SILENT', peer.peerId);
      }
    }
  }

  /** Our announcement to one peer, at most once per retryMs, with backoff for retries. */
  sendHello(peer: Peer): void {
    const now = this.ctx.now();
    const o = this.ctx.opts;
    if (now - peer.helloSentAt < o.retryMs) return;
    peer.helloSentAt = now;
    peer.nextHelloAt = now + Math.min(o.retryMs * 2 ** peer.helloAttempts, MAX_HELLO_BACKOFF_MS);
    peer.helloAttempts++;
    this.ctx.emit({ type: 'send', to: peer.peerId, payload: encodeHello(this.ctx.self.raw) });
  }

  /** A handshake or HELLO timer may start for this peer (see `unsettled`). */
  watch(peer: Peer): void {
    this.unsettled.add(peer);
  }

  deadlines(at: (t: number | null) => void): void {
    const o = this.ctx.opts;
    for (const p of this.unsettled) {
      if (this.ctx.peers.get(p.peerId) !== p)
        this.unsettled.delete(p); // forgotten or left
      else if (p.handshake !== null)
        at(
          Math.min(
            p.handshake.lastSentAt + o.retryMs,
            p.handshake.startedAt + o.handshakeTimeoutMs,
          ),
        );
      else if (!p.verified && (p.reported || p.known))
        at(Math.max(p.nextHelloAt, p.helloSentAt + o.retryMs));
      else this.unsettled.delete(p); // settled: only a new watch() brings it back
    }
  }

  clear(): void {
    this.annCache.clear();
    this.unsettled.clear();
  }

  private async verifyAnn(
    from: string,
    a: ParsedAnnouncement,
  ): Promise<VerifiedAnnouncement | null> {
    if (a.peerId !== from) {
      this.ctx.warn('PEER_ID_MISMATCH', from);
      return null;
    }
    if (a.peerId === this.ctx.selfPeerId || equalBytes(a.sessionKey, this.ctx.session.publicKey)) {
      this.ctx.warn('SELF_ANNOUNCEMENT', from);
      return null;
    }
    const key = toHex(a.raw);
    const cached = this.annCache.get(key);
    if (cached !== undefined) return cached;
    const v = await verifyAnnouncement(this.ctx.room, a);
    if (typeof v === 'string') {
      this.ctx.warn(v, from);
      return null;
    }
    if (this.annCache.size >= ANNOUNCEMENT_CACHE_SIZE)
      this.annCache.delete(this.annCache.keys().next().value!);
    this.annCache.set(key, v);
    return v;
  }

  private async derive(
    role: Role,
    transcript: Bytes,
    ann: VerifiedAnnouncement,
    from: string,
  ): Promise<ChannelSecrets | null> {
    try {
      const { channelSalt } = this.ctx.room;
      return await deriveChannelSecrets(
        channelSalt,
        this.ctx.session.secret,
        role,
        transcript,
        ann.sessionKey,
      );
    } catch (e) {
      if (!(e instanceof LowOrderPointError)) throw e;
      this.ctx.warn('LOW_ORDER_POINT', from);
      return null;
    }
  }

  private nonce(): Bytes {
    const n = this.ctx.random(NONCE_LENGTH);
    if (n.length !== NONCE_LENGTH) throw new RangeError('random source returned the wrong length');
    return new Uint8Array(n);
  }
}
