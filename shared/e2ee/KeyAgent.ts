// KeyAgent: the E2EE key protocol for one participant in one call.
//
// It is deterministic: time comes from `clock`, randomness from `random`, and inputs are processed
// one at a time in call order. Each input returns the effects it caused (messages to relay, keys for
// the frame worker, roster and security-code changes, chat, warnings). The host (web client) relays
// messages, feeds server events in, and calls `tick()` at `nextDeadline()` or every ~250 ms.
//
//   start() ─▶ HELLO (broadcast)
//   HELLO from unknown session ─▶ lower session key sends INIT, the other answers with HELLO
//   INIT ─▶ RESP            RESP ─▶ peer verified, CHANNEL(CONFIRM, MEDIA_KEY)
//   first CHANNEL ─▶ peer verified, CHANNEL(MEDIA_KEY)
//   peer verified  ─▶ join: ratchet own key forward, newcomer gets only the new key
//   peer left      ─▶ leave: fresh key to remaining members, switch when all acked or after 1 s
//
// Handshakes live in Handshaker.ts, media-key distribution in MediaKeyScheduler.ts, the known
// peers and their outboxes in PeerTable.ts (per-peer state in Peer.ts), input serialization in
// InputQueue.ts. The protocol and its reasons: docs/protocol.md.

import type { HandshakeContext } from './AgentContext.js';
import {
  buildAnnouncement,
  normalizeDisplayName,
  type VerifiedAnnouncement,
} from './announcement.js';
import { equalBytes, utf8Encode, WireError } from './bytes.js';
import type { PairwiseChannel } from './channel.js';
import {
  DEFAULT_OPTIONS,
  KeyAgentError,
  type AgentEffect,
  type KeyAgentConfig,
  type KeyAgentOptions,
  type RosterEntry,
  type WarningCode,
} from './events.js';
import { Handshaker } from './Handshaker.js';
import { createSessionKey, IdentityKey, type SessionKeyPair } from './identity.js';
import { MediaKeyScheduler } from './MediaKeyScheduler.js';
import { InputQueue } from './InputQueue.js';
import type { Peer } from './Peer.js';
import { PeerTable } from './PeerTable.js';
import { MAX_CHAT_BYTES, type ChannelRecord } from './records.js';
import { deriveRoomKeys, isValidId, type RoomKeys } from './roomSecret.js';
import { RosterView } from './RosterView.js';
import { pairwiseSecurityCode, type SecurityCode } from './securityCode.js';
import { decodeRelayMessage, encodeHello, MAX_RELAY_PAYLOAD, type RelayMessage } from './wire.js';

type Msg<K extends RelayMessage['kind']> = Extract<RelayMessage, { kind: K }>;
type RecordOf<K extends ChannelRecord['kind']> = Extract<ChannelRecord, { kind: K }>;

export class KeyAgent {
  readonly roomId: string;
  readonly selfPeerId: string;
  private readonly room: RoomKeys;
  private readonly identity: IdentityKey;
  private readonly session: SessionKeyPair;
  private readonly opts: Required<KeyAgentOptions>;
  private readonly clock: { now(): number };
  private readonly peers = new PeerTable();
  private readonly warningCounts = new Map<WarningCode, number>();
  private readonly handshaker: Handshaker;
  private readonly keys: MediaKeyScheduler;
  private displayName: string;
  private readonly announcedName: string;
  private self: VerifiedAnnouncement | null = null;
  private started = false;
  private closed = false;
  private readonly inputs = new InputQueue<AgentEffect>();
  private readonly rosterView: RosterView;

  constructor(config: KeyAgentConfig) {
    if (!isValidId(config.roomId) || !isValidId(config.selfPeerId))
      throw new KeyAgentError('BAD_CONFIG', 'invalid room or peer id');
    if (!(config.roomSecret instanceof Uint8Array) || config.roomSecret.length !== 32)
      throw new KeyAgentError('BAD_CONFIG', 'room secret must be 32 bytes');
    if (!(config.identity instanceof Uint8Array) || config.identity.length !== 32)
      throw new KeyAgentError('BAD_CONFIG', 'identity must be 32 bytes');
    this.opts = { ...DEFAULT_OPTIONS, ...config.options };
    if (this.opts.graceMs <= this.opts.switchTimeoutMs)
      throw new KeyAgentError('BAD_CONFIG', 'graceMs must exceed switchTimeoutMs');
    this.roomId = config.roomId;
    this.selfPeerId = config.selfPeerId;
    this.clock = config.clock;
    this.room = deriveRoomKeys(config.roomSecret, config.roomId);
    this.identity = IdentityKey.fromBytes(config.identity);
    this.session = createSessionKey(config.random);
    this.displayName = normalizeDisplayName(config.displayName);
    this.announcedName = this.displayName;
    const ctx = this.context(config.random);
    this.handshaker = new Handshaker(ctx);
    this.keys = new MediaKeyScheduler(ctx);
    this.rosterView = new RosterView(
      this.room,
      () => ({
        peerId: this.selfPeerId,
        displayName: this.displayName,
        identityKey: this.identity.publicKey,
        verified: true,
        self: true,
      }),
      () => this.members(),
    );
  }

  // ── Inputs ────────────────────────────────────────────────────────────────────────────────

  start(): Promise<AgentEffect[]> {
    return this.run(async () => {
      if (this.started) return;
      const raw = await buildAnnouncement(
        this.room,
        this.selfPeerId,
        this.identity,
        this.session,
        this.announcedName,
      );
      this.self = {
        peerId: this.selfPeerId,
        identityKey: this.identity.publicKey,
        sessionKey: this.session.publicKey,
        displayName: this.announcedName,
        raw,
      };
      this.started = true;
      this.keys.publish();
      this.rosterView.markChanged();
      this.emit({ type: 'send', to: null, payload: encodeHello(raw) });
    }, false);
  }

  /** Server event (untrusted hint): we announce ourselves to that peer if nothing else happens. */
  handlePeerJoined(peerId: string): Promise<AgentEffect[]> {
    return this.run(() => {
      if (!isValidId(peerId)) return this.warn('INVALID_PEER_ID');
      if (peerId === this.selfPeerId) return;
      const peer = this.peers.getOrCreate(peerId);
      peer.reported = true;
      peer.helloAttempts = 0;
      this.handshaker.watch(peer);
      // Our broadcast HELLO, or theirs, normally does the job; a direct HELLO follows after
      // retryMs if nothing happened (tick).
      if (!peer.verified && peer.handshake === null)
        peer.nextHelloAt = Math.max(peer.nextHelloAt, this.clock.now() + this.opts.retryMs);
    });
  }

  /** Server event (untrusted): removes the peer and rotates our key so it cannot read what follows. */
  handlePeerLeft(peerId: string): Promise<AgentEffect[]> {
    return this.run(() => {
      if (!isValidId(peerId)) return this.warn('INVALID_PEER_ID');
      const peer = this.peers.remove(peerId);
      if (peer?.verified) {
        this.keys.memberLeft(peer);
        this.rosterView.markChanged();
      }
    });
  }

  handleRelay(from: string, payload: Uint8Array): Promise<AgentEffect[]> {
    return this.run(() => {
      if (!isValidId(from)) return this.warn('INVALID_PEER_ID');
      if (!(payload instanceof Uint8Array) || payload.length > MAX_RELAY_PAYLOAD)
        return this.warn('OVERSIZE', from);
      let msg: RelayMessage;
      try {
        msg = decodeRelayMessage(payload);
      } catch (e) {
        if (e instanceof WireError) return this.warn('MALFORMED', from);
        throw e;
      }
      return this.dispatch(from, msg);
    });
  }

  /** Timers: retries, handshake timeouts, the post-leave switch, periodic rekey, grace expiry. */
  tick(): Promise<AgentEffect[]> {
    return this.run(() => {
      const now = this.clock.now();
      for (const peer of this.peers.byId.values()) this.handshaker.tickPeer(peer, now);
      this.keys.tick(now);
      // Forget peers we gave up on (PEER_SILENT, timed-out ghosts): nothing refers to them.
      for (const [id, p] of this.peers.byId)
        if (!p.verified && p.handshake === null && !p.reported && !p.known) this.peers.remove(id);
    });
  }

  /** Rekey on demand: a fresh random key for every current member. */
  rekey(): Promise<AgentEffect[]> {
    return this.run(() => this.keys.requestFresh(0));
  }

  sendChat(text: string): Promise<AgentEffect[]> {
    return this.run(() => {
      if (typeof text !== 'string' || utf8Encode(text).length > MAX_CHAT_BYTES)
        throw new KeyAgentError('BAD_INPUT', 'chat text too long');
      const rec: ChannelRecord = { kind: 'chat', sentAt: this.clock.now(), text };
      for (const p of this.members()) p.queue(rec);
    });
  }

  /** Changes the display name; members get it over pairwise channels. */
  setDisplayName(name: string): Promise<AgentEffect[]> {
    return this.run(() => {
      this.displayName = normalizeDisplayName(name);
      for (const p of this.members()) p.queue({ kind: 'displayName', name: this.displayName });
      this.rosterView.markChanged();
    });
  }

  /** The user compared the pairwise code with this peer and confirms (or withdraws) it. */
  markVerified(peerId: string, verified: boolean): Promise<AgentEffect[]> {
    return this.run(() => {
      const p = this.peers.get(peerId);
      if (p === undefined || !p.verified)
        throw new KeyAgentError('BAD_INPUT', 'not a roster member');
      p.userVerified = verified;
      this.rosterView.markChanged();
    });
  }

  /** Idempotent. Forgets every key; later inputs throw KeyAgentError('CLOSED'). */
  close(): Promise<AgentEffect[]> {
    if (this.closed) return Promise.resolve([]);
    return this.inputs.after((): AgentEffect[] => {
      if (this.closed) return [];
      this.closed = true;
      this.keys.close();
      this.handshaker.clear();
      this.peers.clear();
      return [{ type: 'closed' }];
    });
  }

  // ── Queries ───────────────────────────────────────────────────────────────────────────────

  roster(): RosterEntry[] {
    return this.rosterView.entries();
  }

  securityCode(): SecurityCode {
    return this.rosterView.securityCode();
  }

  pairwiseCode(peerId: string): SecurityCode | null {
    const p = this.peers.get(peerId);
    return p?.channel
      ? pairwiseSecurityCode(this.identity.publicKey, p.channel.peer.identityKey)
      : null;
  }

  warnings(): Readonly<Partial<Record<WarningCode, number>>> {
    return Object.fromEntries(this.warningCounts);
  }

  /** KID of the key our frames currently use. */
  get currentKid(): number {
    return this.keys.currentKid;
  }

  /** Earliest time `tick()` has something to do, or null. */
  nextDeadline(): number | null {
    let t: number | null = null;
    const at = (x: number | null): void => {
      if (x !== null && Number.isFinite(x) && (t === null || x < t)) t = x;
    };
    this.handshaker.deadlines(at);
    this.keys.deadlines(at);
    return t;
  }

  // ── Dispatch ──────────────────────────────────────────────────────────────────────────────

  // Channel messages (nearly all traffic) are handled synchronously: no await, no extra microtasks.
  private readonly handlers: {
    [K in RelayMessage['kind']]: (from: string, msg: Msg<K>) => void | Promise<void>;
  } = {
    hello: (from, msg) => this.handshaker.onHello(from, msg),
    init: (from, msg) => this.handshaker.onInit(from, msg),
    resp: (from, msg) => this.handshaker.onResp(from, msg),
    channel: (from, msg) => {
      const opened = this.handshaker.openChannel(from, msg);
      if (opened !== null)
        for (const rec of opened.records) this.recordHandlers[rec.kind](opened.peer, rec as never);
    },
  };

  private dispatch(from: string, msg: RelayMessage): void | Promise<void> {
    const h = this.handlers[msg.kind] as (from: string, m: RelayMessage) => void | Promise<void>;
    return h(from, msg);
  }

  private readonly recordHandlers: {
    [K in ChannelRecord['kind']]: (peer: Peer, rec: RecordOf<K>) => void;
  } = {
    confirm: () => undefined, // its arrival (any authentic channel message) already verified the peer
    mediaKey: (peer, rec) => this.keys.onMediaKey(peer, rec),
    keyAck: (peer, rec) => this.keys.onKeyAck(peer, rec),
    displayName: (peer, rec) => {
      const name = normalizeDisplayName(rec.name);
      if (name === peer.displayName) return;
      peer.displayName = name;
      this.rosterView.markChanged();
    },
    chat: (peer, rec) =>
      this.emit({ type: 'chat', from: peer.peerId, text: rec.text, at: rec.sentAt }),
  };

  // ── Membership ────────────────────────────────────────────────────────────────────────────

  /** A handshake completed: the peer is in the encrypted roster from now on. */
  private establish(peer: Peer, channel: PairwiseChannel): void {
    const prev = peer.channel;
    const sameSession = prev !== null && equalBytes(prev.peer.sessionKey, channel.peer.sessionKey);
    if (prev !== null && !sameSession) {
      const sameIdentity = equalBytes(prev.peer.identityKey, channel.peer.identityKey);
      this.warn(sameIdentity ? 'SESSION_REPLACED' : 'IDENTITY_CHANGED', peer.peerId);
      peer.userVerified &&= sameIdentity;
      this.keys.memberLeft(peer); // the old session is gone: treat it as a leave
    }
    if (prev === null) this.peers.verified();
    // Channels nothing refers to any more: forget their keys.
    peer.previousChannel?.close();
    if (prev !== null && !sameSession) prev.close();
    peer.previousChannel = sameSession ? prev : null;
    peer.channel = channel;
    peer.handshake = null;
    peer.helloAttempts = 0;
    peer.displayName = channel.peer.displayName;
    if (sameSession) this.keys.memberRejoined(peer);
    else this.keys.memberJoined(peer);
    if (this.displayName !== this.announcedName)
      peer.queue({ kind: 'displayName', name: this.displayName });
    this.rosterView.markChanged();
  }

  /** End of every input: key work, roster publication, one sealed channel message per peer. */
  private finishInput(): void {
    this.keys.finish(this.clock.now());
    this.rosterView.publish((e) => this.emit(e));
    this.peers.sealQueued((to, payload) => this.emit({ type: 'send', to, payload }));
  }

  // ── Helpers ───────────────────────────────────────────────────────────────────────────────

  private context(random: (n: number) => Uint8Array): HandshakeContext {
    const currentSelf = (): VerifiedAnnouncement => {
      if (this.self === null) throw new KeyAgentError('NOT_STARTED', 'call start() first');
      return this.self;
    };
    const peers = this.peers;
    return {
      opts: this.opts,
      peers: peers.byId,
      get memberCount(): number {
        return peers.memberCount;
      },
      roomId: this.roomId,
      selfPeerId: this.selfPeerId,
      room: this.room,
      session: this.session,
      get self(): VerifiedAnnouncement {
        return currentSelf();
      },
      now: () => this.clock.now(),
      random,
      emit: (e) => this.emit(e),
      warn: (code, peerId) => this.warn(code, peerId),
      peer: (peerId) => peers.getOrCreate(peerId),
      establish: (peer, channel) => this.establish(peer, channel),
    };
  }

  private members(): Peer[] {
    return this.peers.verifiedPeers();
  }

  private warn(code: WarningCode, peerId?: string): void {
    const count = (this.warningCounts.get(code) ?? 0) + 1;
    this.warningCounts.set(code, count);
    this.emit(
      peerId === undefined
        ? { type: 'warning', code, count }
        : { type: 'warning', code, peerId, count },
    );
  }

  private emit(e: AgentEffect): void {
    this.inputs.emit(e);
  }

  /** Each input runs alone, then `finishInput`, and returns its own effects. */
  private run(fn: () => void | Promise<void>, requireStarted = true): Promise<AgentEffect[]> {
    const admit = (): void => {
      if (this.closed) throw new KeyAgentError('CLOSED', 'KeyAgent is closed');
      if (requireStarted && !this.started)
        throw new KeyAgentError('NOT_STARTED', 'call start() first');
    };
    return this.inputs.run(admit, fn, () => this.finishInput());
  }
}
