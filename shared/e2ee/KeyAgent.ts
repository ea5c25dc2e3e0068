// KeyAgent: the E2EE key protocol state machine for one participant in one call.
//
// It is deterministic: time comes from `clock`, randomness from `random`, and inputs are processed
// one at a time in call order. Each input returns the effects it caused (messages to relay, keys for
// the frame worker, roster and security-code changes, chat, warnings). The host (web client) relays
// messages, feeds server events in, and calls `tick()` at `nextDeadline()` or every ~250 ms.
//
//   start() ─▶ HELLO (broadcast)
//   HELLO from unknown session ─▶ lower session key sends INIT, the other answers with HELLO
//   INIT ─▶ RESP            RESP ─▶ peer verified, CHANNEL(CONFIRM, MEDIA_KEY)
//   first CHANNEL ─▶ peer verified, CHANNEL(MEDIA_KEY)       (details: docs/protocol.md)
//   peer verified  ─▶ join: ratchet own key forward, newcomer gets only the new key
//   peer left      ─▶ leave: fresh key to remaining members, switch when all acked or after 1 s
//
// See Peer.ts for per-peer state, LocalSenderKey.ts for the local key schedule.

import {
  buildAnnouncement,
  normalizeDisplayName,
  verifyAnnouncement,
  type ParsedAnnouncement,
  type VerifiedAnnouncement,
} from './announcement.js';
import { equalBytes, toHex, utf8Encode, WireError, type Bytes } from './bytes.js';
import { PairwiseChannel } from './channel.js';
import { LowOrderPointError } from './curves.js';
import {
  DEFAULT_OPTIONS,
  KeyAgentError,
  type AgentEffect,
  type KeyAgentConfig,
  type KeyAgentOptions,
  type RosterEntry,
  type WarningCode,
} from './events.js';
import {
  checkResponderConfirm,
  deriveChannelSecrets,
  responderConfirm,
  roleFor,
  transcriptHash,
} from './handshake.js';
import { createSessionKey, IdentityKey, type SessionKeyPair } from './identity.js';
import { LocalSenderKey } from './LocalSenderKey.js';
import { Peer } from './Peer.js';
import { decodeRecords, encodeRecords, MAX_CHAT_BYTES, type ChannelRecord } from './records.js';
import { deriveRoomKeys, isValidId, type RoomKeys } from './roomSecret.js';
import {
  pairwiseSecurityCode,
  roomSecurityCode,
  sameCode,
  type SecurityCode,
} from './securityCode.js';
import {
  decodeRelayMessage,
  encodeHello,
  encodeInit,
  encodeResp,
  MAX_RELAY_PAYLOAD,
  NONCE_LENGTH,
  type RelayMessage,
} from './wire.js';
import { KID_GEN_MODULUS, kidGeneration } from '../sframe/kid.js';

const MAX_HELLO_BACKOFF_MS = 8000;
/** HELLOs to a peer that does not answer (≈ 30 s with backoff) before PEER_SILENT. */
const MAX_HELLOS = 6;
const ANNOUNCEMENT_CACHE_SIZE = 1024;

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
  private readonly random: (n: number) => Uint8Array;
  private readonly local: LocalSenderKey;
  private readonly peers = new Map<string, Peer>();
  private readonly annCache = new Map<string, VerifiedAnnouncement>();
  private readonly warningCounts = new Map<WarningCode, number>();
  private displayName: string;
  private readonly announcedName: string;
  private self: VerifiedAnnouncement | null = null;
  private started = false;
  private closed = false;
  private queue: Promise<unknown> = Promise.resolve();
  private effects: AgentEffect[] = [];
  /** When the coalesced join ratchet is due; null if no newcomer is waiting. */
  private ratchetDueAt: number | null = null;
  /** A requested fresh rekey: created at `dueAt` (coalescing bursts of leaves), switched by `deadline`. */
  private freshRekey: { dueAt: number; deadline: number } | null = null;
  private rosterDirty = false;
  private lastCode: SecurityCode | null = null;

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
    this.random = config.random;
    this.room = deriveRoomKeys(config.roomSecret, config.roomId);
    this.identity = IdentityKey.fromBytes(config.identity);
    this.session = createSessionKey(this.random);
    this.displayName = normalizeDisplayName(config.displayName);
    this.announcedName = this.displayName;
    this.local = new LocalSenderKey(this.random, this.opts.mediaKeyLength, this.clock.now());
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
      this.emitLocalKey();
      this.rosterDirty = true;
      this.emit({ type: 'send', to: null, payload: encodeHello(raw) });
    }, false);
  }

  /** Server event (untrusted hint): makes us announce ourselves to that peer. */
  handlePeerJoined(peerId: string): Promise<AgentEffect[]> {
    return this.run(() => {
      if (!isValidId(peerId)) return this.warn('INVALID_PEER_ID');
      if (peerId === this.selfPeerId) return;
      const peer = this.peer(peerId);
      peer.reported = true;
      peer.helloAttempts = 0;
      // Our broadcast HELLO, or theirs, normally does the job; announce directly only if nothing
      // happened within retryMs (tick).
      if (!peer.verified && peer.handshake === null)
        peer.nextHelloAt = Math.max(peer.nextHelloAt, this.clock.now() + this.opts.retryMs);
    });
  }

  /** Server event (untrusted): removes the peer and rotates our key so it cannot read what follows. */
  handlePeerLeft(peerId: string): Promise<AgentEffect[]> {
    return this.run(() => {
      if (!isValidId(peerId)) return this.warn('INVALID_PEER_ID');
      const peer = this.peers.get(peerId);
      if (peer === undefined) return;
      this.removePeer(peer);
    });
  }

  handleRelay(from: string, payload: Uint8Array): Promise<AgentEffect[]> {
    return this.run(async () => {
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
      await this.dispatch(from, msg);
    });
  }

  /** Timers: retries, handshake timeouts, the post-leave switch, periodic rekey, grace expiry. */
  tick(): Promise<AgentEffect[]> {
    return this.run(() => {
      const now = this.clock.now();
      for (const peer of this.peers.values()) this.tickPeer(peer, now);
      const pending = this.local.pending;
      if (pending !== null && now >= pending.deadline) {
        if (!this.allAcked(pending.acked)) this.warn('KEY_ACK_TIMEOUT');
        this.switchToPending();
      }
      if (
        this.opts.rekeyIntervalMs > 0 &&
        pending === null &&
        now - this.local.lastFreshAt >= this.opts.rekeyIntervalMs
      ) {
        this.requestFreshRekey(0);
      }
    });
  }

  /** Rekey on demand: a fresh random key for every current member. */
  rekey(): Promise<AgentEffect[]> {
    return this.run(() => this.requestFreshRekey(0));
  }

  sendChat(text: string): Promise<AgentEffect[]> {
    return this.run(() => {
      if (typeof text !== 'string' || utf8Encode(text).length > MAX_CHAT_BYTES)
        throw new KeyAgentError('BAD_INPUT', 'chat text too long');
      const rec: ChannelRecord = { kind: 'chat', sentAt: this.clock.now(), text };
      for (const p of this.verifiedPeers()) p.outbox.push(rec);
    });
  }

  /** Changes the display name; members get it over pairwise channels. */
  setDisplayName(name: string): Promise<AgentEffect[]> {
    return this.run(() => {
      this.displayName = normalizeDisplayName(name);
      for (const p of this.verifiedPeers())
        p.outbox.push({ kind: 'displayName', name: this.displayName });
      this.rosterDirty = true;
    });
  }

  /** The user compared the pairwise code with this peer and confirms (or withdraws) it. */
  markVerified(peerId: string, verified: boolean): Promise<AgentEffect[]> {
    return this.run(() => {
      const p = this.peers.get(peerId);
      if (p === undefined || !p.verified)
        throw new KeyAgentError('BAD_INPUT', 'not a roster member');
      p.userVerified = verified;
      this.rosterDirty = true;
    });
  }

  /** Idempotent. Forgets every key; later inputs throw KeyAgentError('CLOSED'). */
  close(): Promise<AgentEffect[]> {
    if (this.closed) return Promise.resolve([]);
    const p = this.queue.then((): AgentEffect[] => {
      if (this.closed) return [];
      this.closed = true;
      this.local.close();
      for (const peer of this.peers.values()) peer.remoteKeys.clear();
      this.peers.clear();
      this.annCache.clear();
      return [{ type: 'closed' }];
    });
    this.queue = p.catch(() => undefined);
    return p;
  }

  // ── Queries ───────────────────────────────────────────────────────────────────────────────

  roster(): RosterEntry[] {
    const self: RosterEntry = {
      peerId: this.selfPeerId,
      displayName: this.displayName,
      identityKey: this.identity.publicKey,
      verified: true,
      self: true,
    };
    const others = this.verifiedPeers().map((p) => ({
      peerId: p.peerId,
      displayName: p.displayName,
      identityKey: p.channel!.peer.identityKey,
      verified: p.userVerified,
      self: false,
    }));
    return [
      self,
      ...others.sort((a, b) => (a.peerId < b.peerId ? -1 : a.peerId > b.peerId ? 1 : 0)),
    ];
  }

  securityCode(): SecurityCode {
    return roomSecurityCode(
      this.room,
      this.roster().map((e) => e.identityKey),
    );
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
    return this.local.current.kid;
  }

  /** Earliest time `tick()` has something to do, or null. */
  nextDeadline(): number | null {
    let t: number | null = null;
    const at = (x: number | null): void => {
      if (x !== null && Number.isFinite(x) && (t === null || x < t)) t = x;
    };
    const o = this.opts;
    at(this.local.pending?.deadline ?? null);
    at(this.ratchetDueAt);
    at(this.freshRekey?.dueAt ?? null);
    if (o.rekeyIntervalMs > 0) at(this.local.lastFreshAt + o.rekeyIntervalMs);
    for (const p of this.peers.values()) {
      at(p.remoteKeys.nextExpiry());
      if (p.handshake !== null)
        at(
          Math.min(
            p.handshake.lastSentAt + o.retryMs,
            p.handshake.startedAt + o.handshakeTimeoutMs,
          ),
        );
      else if (!p.verified && (p.reported || p.known))
        at(Math.max(p.nextHelloAt, p.helloSentAt + o.retryMs));
      if (p.verified && this.needsKey(p)) at(p.keySentAt + o.retryMs);
    }
    return t;
  }

  // ── Relay message handlers ────────────────────────────────────────────────────────────────

  private readonly handlers: {
    [K in RelayMessage['kind']]: (from: string, msg: Msg<K>) => Promise<void>;
  } = {
    hello: (from, msg) => this.onHello(from, msg),
    init: (from, msg) => this.onInit(from, msg),
    resp: (from, msg) => this.onResp(from, msg),
    channel: (from, msg) => this.onChannel(from, msg),
  };

  private dispatch(from: string, msg: RelayMessage): Promise<void> {
    const h = this.handlers[msg.kind] as (from: string, m: RelayMessage) => Promise<void>;
    return h(from, msg);
  }

  private async onHello(from: string, msg: Msg<'hello'>): Promise<void> {
    const ann = await this.verifyAnn(from, msg.ann);
    if (ann === null) return;
    const peer = this.peer(from);
    peer.known = true;
    // A HELLO from a session we already verified means that side lost the handshake (e.g. its
    // responder state timed out): run a new one; the current channel stays until it completes.
    if (peer.handshake !== null && equalBytes(peer.handshake.ann.sessionKey, ann.sessionKey)) {
      if (peer.handshake.role === 'responder') this.sendHello(peer);
      return;
    }
    if (roleFor(this.session.publicKey, ann.sessionKey) === 'initiator') {
      const nI = this.nonce();
      peer.handshake = {
        role: 'initiator',
        ann,
        nI,
        secrets: null,
        resp: null,
        startedAt: this.clock.now(),
        lastSentAt: this.clock.now(),
      };
      this.emit({ type: 'send', to: from, payload: encodeInit(this.self!.raw, nI) });
    } else {
      this.sendHello(peer);
    }
  }

  private async onInit(from: string, msg: Msg<'init'>): Promise<void> {
    const ann = await this.verifyAnn(from, msg.ann);
    if (ann === null) return;
    if (roleFor(this.session.publicKey, ann.sessionKey) !== 'responder')
      return this.warn('HANDSHAKE_ROLE', from);
    const peer = this.peer(from);
    const hs = peer.handshake;
    if (
      hs?.role === 'responder' &&
      hs.resp !== null &&
      equalBytes(hs.ann.sessionKey, ann.sessionKey) &&
      equalBytes(hs.nI, msg.nI)
    ) {
      hs.lastSentAt = this.clock.now();
      this.emit({ type: 'send', to: from, payload: hs.resp });
      return;
    }
    const nR = this.nonce();
    const transcript = transcriptHash(this.roomId, ann, this.self!, msg.nI, nR);
    const secrets = await this.derive('responder', transcript, ann, from);
    if (secrets === null) return;
    const resp = encodeResp(this.self!.raw, msg.nI, nR, responderConfirm(secrets));
    const now = this.clock.now();
    peer.handshake = {
      role: 'responder',
      ann,
      nI: msg.nI,
      secrets,
      resp,
      startedAt: now,
      lastSentAt: now,
    };
    this.emit({ type: 'send', to: from, payload: resp });
  }

  private async onResp(from: string, msg: Msg<'resp'>): Promise<void> {
    const ann = await this.verifyAnn(from, msg.ann);
    if (ann === null) return;
    const peer = this.peer(from);
    const hs = peer.handshake;
    if (
      hs === null ||
      hs.role !== 'initiator' ||
      !equalBytes(hs.ann.sessionKey, ann.sessionKey) ||
      !equalBytes(hs.nI, msg.nI)
    ) {
      // A duplicate RESP for a handshake that already completed is normal on a duplicating relay.
      if (peer.channel === null || !equalBytes(peer.channel.peer.sessionKey, ann.sessionKey))
        this.warn('HANDSHAKE_FAILED', from);
      return;
    }
    const transcript = transcriptHash(this.roomId, this.self!, ann, msg.nI, msg.nR);
    const secrets = await this.derive('initiator', transcript, ann, from);
    if (secrets === null) return;
    if (!checkResponderConfirm(secrets, msg.confirm)) return this.warn('HANDSHAKE_FAILED', from);
    const channel = await PairwiseChannel.create(ann, 'initiator', secrets);
    this.establish(peer, channel);
    peer.outbox.unshift({ kind: 'confirm' });
  }

  private async onChannel(from: string, msg: Msg<'channel'>): Promise<void> {
    const peer = this.peers.get(from);
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
      channel = await PairwiseChannel.create(
        peer.handshake.ann,
        'responder',
        peer.handshake.secrets,
      );
      fresh = true;
    }
    if (peer === undefined || channel === null) {
      // The sender believes we share a channel that we do not have: offer a new handshake.
      if (peer !== undefined && peer.channel === null && peer.handshake === null)
        this.sendHello(peer);
      return this.warn('UNKNOWN_CHANNEL', from);
    }
    const opened = await channel.open(msg.header, msg.counter, msg.ciphertext);
    if (!opened.ok)
      return this.warn(opened.reason === 'REPLAY' ? 'CHANNEL_REPLAY' : 'CHANNEL_AUTH_FAILED', from);
    let records: ChannelRecord[];
    try {
      records = decodeRecords(opened.plaintext);
    } catch (e) {
      if (e instanceof WireError) return this.warn('MALFORMED', from);
      throw e;
    }
    if (fresh) this.establish(peer, channel);
    for (const rec of records) this.recordHandlers[rec.kind](peer, rec as never);
  }

  // ── Channel record handlers ───────────────────────────────────────────────────────────────

  private readonly recordHandlers: {
    [K in ChannelRecord['kind']]: (peer: Peer, rec: RecordOf<K>) => void;
  } = {
    confirm: () => undefined, // its arrival (any authentic channel message) already verified the peer
    mediaKey: (peer, rec) => this.onMediaKey(peer, rec),
    keyAck: (peer, rec) => this.onKeyAck(peer, rec),
    displayName: (peer, rec) => {
      const name = normalizeDisplayName(rec.name);
      if (name !== peer.displayName) {
        peer.displayName = name;
        this.rosterDirty = true;
      }
    },
    chat: (peer, rec) =>
      this.emit({ type: 'chat', from: peer.peerId, text: rec.text, at: rec.sentAt }),
  };

  private onMediaKey(peer: Peer, rec: RecordOf<'mediaKey'>): void {
    if (rec.kid >= 1 << 16 || kidGeneration(rec.kid) !== rec.generation % KID_GEN_MODULUS)
      return this.warn('BAD_KEY_MESSAGE', peer.peerId);
    const outcome = peer.remoteKeys.add(
      rec.generation,
      rec.kid,
      rec.key,
      this.clock.now(),
      this.opts.graceMs,
    );
    if (outcome === 'replaced')
      this.emit({ type: 'remoteKeyRemoved', peerId: peer.peerId, kid: rec.kid });
    if (outcome !== 'duplicate')
      this.emit({
        type: 'remoteKeyAdded',
        peerId: peer.peerId,
        kid: rec.kid,
        keyBytes: new Uint8Array(rec.key),
      });
    peer.outbox.push({ kind: 'keyAck', generation: rec.generation, kid: rec.kid });
  }

  private onKeyAck(peer: Peer, rec: RecordOf<'keyAck'>): void {
    const pending = this.local.pending;
    if (
      pending !== null &&
      rec.generation === pending.version.generation &&
      rec.kid === pending.version.kid
    ) {
      pending.acked.add(peer.peerId);
      if (this.allAcked(pending.acked)) this.switchToPending();
    } else if (this.local.inCurrentLineage(rec.generation, rec.kid)) {
      peer.ackedGeneration = Math.max(peer.ackedGeneration, rec.generation);
    }
  }

  // ── Membership and keys ───────────────────────────────────────────────────────────────────

  /** A handshake completed: the peer is in the encrypted roster from now on. */
  private establish(peer: Peer, channel: PairwiseChannel): void {
    const prev = peer.channel;
    const sameSession = prev !== null && equalBytes(prev.peer.sessionKey, channel.peer.sessionKey);
    if (prev !== null && !sameSession) {
      this.warn(
        equalBytes(prev.peer.identityKey, channel.peer.identityKey)
          ? 'SESSION_REPLACED'
          : 'IDENTITY_CHANGED',
        peer.peerId,
      );
      this.dropRemoteKeys(peer);
      peer.userVerified =
        peer.userVerified && equalBytes(prev.peer.identityKey, channel.peer.identityKey);
      this.requestFreshRekey(this.opts.leaveCoalesceMs); // the old session is gone: treat it as a leave
    }
    peer.previousChannel = sameSession ? prev : null;
    peer.channel = channel;
    peer.handshake = null;
    peer.helloAttempts = 0;
    peer.displayName = channel.peer.displayName;
    peer.ackedGeneration = -1;
    peer.keyDue = true;
    if (!sameSession) {
      // Join: the newcomer gets no key until we ratcheted after its verification. Newcomers
      // verified within joinRatchetDelayMs share one ratchet step.
      peer.awaitingRatchet = true;
      this.ratchetDueAt ??= this.clock.now() + this.opts.joinRatchetDelayMs;
    }
    if (this.displayName !== this.announcedName)
      peer.outbox.push({ kind: 'displayName', name: this.displayName });
    this.rosterDirty = true;
  }

  private removePeer(peer: Peer): void {
    const wasMember = peer.verified;
    this.dropRemoteKeys(peer);
    this.peers.delete(peer.peerId);
    this.local.pending?.acked.delete(peer.peerId);
    if (wasMember) {
      this.requestFreshRekey(this.opts.leaveCoalesceMs);
      this.rosterDirty = true;
    }
  }

  private dropRemoteKeys(peer: Peer): void {
    for (const kid of peer.remoteKeys.clear())
      this.emit({ type: 'remoteKeyRemoved', peerId: peer.peerId, kid });
  }

  private requestFreshRekey(delayMs: number): void {
    const now = this.clock.now();
    if (this.freshRekey === null)
      this.freshRekey = { dueAt: now + delayMs, deadline: now + this.opts.switchTimeoutMs };
    else this.freshRekey.dueAt = Math.min(this.freshRekey.dueAt, now + delayMs);
  }

  private switchToPending(): void {
    const pending = this.local.pending;
    if (pending === null) return;
    const v = this.local.switchToPending();
    for (const p of this.peers.values())
      p.ackedGeneration = pending.acked.has(p.peerId) ? v.generation : -1;
    this.emitLocalKey();
  }

  /** True unless the peer holds a key from which our current key can be derived. */
  private needsKey(p: Peer): boolean {
    const cur = this.local.current.generation;
    const lineageOk =
      p.ackedGeneration >= this.local.lastFreshGeneration &&
      cur - p.ackedGeneration <= this.opts.ratchetWindow;
    const pending = this.local.pending;
    return !lineageOk || (pending !== null && !pending.acked.has(p.peerId));
  }

  /** End of every input: apply coalesced rekeys, deliver keys, publish roster, seal outboxes. */
  private async finishInput(): Promise<void> {
    const now = this.clock.now();
    if (this.freshRekey !== null && now >= this.freshRekey.dueAt) {
      const deadline = Math.max(this.freshRekey.deadline, now);
      this.freshRekey = null;
      const members = this.verifiedPeers();
      const slots = new Set<number>();
      for (const p of members) {
        const s = p.remoteKeys.newestSlot();
        if (s !== null) slots.add(s);
      }
      this.local.startFresh(now, deadline, slots);
      if (members.length === 0) this.switchToPending();
      else for (const p of members) p.keyDue = true;
    }
    // The join ratchet waits for a pending fresh key to be switched to (newcomers receive that
    // pending key meanwhile: it has not encrypted anything yet).
    if (this.ratchetDueAt !== null && now >= this.ratchetDueAt && this.local.pending === null) {
      this.ratchetDueAt = null;
      this.local.ratchet();
      this.emitLocalKey();
      for (const p of this.peers.values()) p.awaitingRatchet = false;
    }
    for (const p of this.peers.values()) {
      if (!p.verified || (!p.keyDue && now - p.keySentAt < this.opts.retryMs)) continue;
      if (p.awaitingRatchet && this.local.pending === null) continue;
      if (!this.needsKey(p)) continue;
      const cur = this.local.current;
      const pending = this.local.pending;
      const lineageOk =
        p.ackedGeneration >= this.local.lastFreshGeneration &&
        cur.generation - p.ackedGeneration <= this.opts.ratchetWindow;
      if (!lineageOk && !p.awaitingRatchet)
        p.outbox.push({ kind: 'mediaKey', generation: cur.generation, kid: cur.kid, key: cur.key });
      if (pending !== null && !pending.acked.has(p.peerId)) {
        const v = pending.version;
        p.outbox.push({ kind: 'mediaKey', generation: v.generation, kid: v.kid, key: v.key });
      }
      p.keyDue = false;
      p.keySentAt = now;
    }
    if (this.rosterDirty) {
      this.rosterDirty = false;
      this.emit({ type: 'rosterChanged', roster: this.roster() });
      const code = this.securityCode();
      if (this.lastCode === null || !sameCode(code, this.lastCode)) {
        this.lastCode = code;
        this.emit({ type: 'securityCodeChanged', code });
      }
    }
    for (const p of this.peers.values()) {
      if (p.outbox.length === 0 || p.channel === null) continue;
      const records = p.outbox;
      p.outbox = [];
      this.emit({
        type: 'send',
        to: p.peerId,
        payload: await p.channel.seal(encodeRecords(records)),
      });
    }
  }

  // ── Helpers ───────────────────────────────────────────────────────────────────────────────

  private tickPeer(peer: Peer, now: number): void {
    const hs = peer.handshake;
    if (hs !== null) {
      if (now - hs.startedAt >= this.opts.handshakeTimeoutMs) {
        peer.handshake = null;
        this.warn('HANDSHAKE_TIMEOUT', peer.peerId);
      } else if (hs.role === 'initiator' && now - hs.lastSentAt >= this.opts.retryMs) {
        hs.lastSentAt = now;
        this.emit({ type: 'send', to: peer.peerId, payload: encodeInit(this.self!.raw, hs.nI) });
      }
    } else if (!peer.verified && (peer.reported || peer.known) && now >= peer.nextHelloAt) {
      if (peer.helloAttempts < MAX_HELLOS) {
        this.sendHello(peer);
      } else {
        // Reported by the server (or announced) but never proved membership: stop and say so.
        peer.reported = false;
        peer.known = false;
        this.warn('PEER_SILENT', peer.peerId);
      }
    }
    for (const kid of peer.remoteKeys.takeExpired(now))
      this.emit({ type: 'remoteKeyRemoved', peerId: peer.peerId, kid });
  }

  private sendHello(peer: Peer): void {
    const now = this.clock.now();
    if (now - peer.helloSentAt < this.opts.retryMs || this.self === null) return;
    peer.helloSentAt = now;
    peer.nextHelloAt =
      now + Math.min(this.opts.retryMs * 2 ** peer.helloAttempts, MAX_HELLO_BACKOFF_MS);
    peer.helloAttempts++;
    this.emit({ type: 'send', to: peer.peerId, payload: encodeHello(this.self.raw) });
  }

  private async verifyAnn(
    from: string,
    a: ParsedAnnouncement,
  ): Promise<VerifiedAnnouncement | null> {
    if (a.peerId !== from) {
      this.warn('PEER_ID_MISMATCH', from);
      return null;
    }
    if (a.peerId === this.selfPeerId || equalBytes(a.sessionKey, this.session.publicKey)) {
      this.warn('SELF_ANNOUNCEMENT', from);
      return null;
    }
    const key = toHex(a.raw);
    const cached = this.annCache.get(key);
    if (cached !== undefined) return cached;
    const v = await verifyAnnouncement(this.room, a);
    if (typeof v === 'string') {
      this.warn(v, from);
      return null;
    }
    if (this.annCache.size >= ANNOUNCEMENT_CACHE_SIZE)
      this.annCache.delete(this.annCache.keys().next().value!);
    this.annCache.set(key, v);
    return v;
  }

  private async derive(
    role: 'initiator' | 'responder',
    transcript: Bytes,
    ann: VerifiedAnnouncement,
    from: string,
  ) {
    try {
      return await deriveChannelSecrets(
        this.room.channelSalt,
        this.session.secret,
        role,
        transcript,
        ann.sessionKey,
      );
    } catch (e) {
      if (e instanceof LowOrderPointError) {
        this.warn('LOW_ORDER_POINT', from);
        return null;
      }
      throw e;
    }
  }

  private peer(peerId: string): Peer {
    let p = this.peers.get(peerId);
    if (p === undefined) {
      p = new Peer(peerId);
      this.peers.set(peerId, p);
    }
    return p;
  }

  private allAcked(acked: ReadonlySet<string>): boolean {
    for (const p of this.peers.values()) if (p.verified && !acked.has(p.peerId)) return false;
    return true;
  }

  private verifiedPeers(): Peer[] {
    return [...this.peers.values()].filter((p) => p.verified);
  }

  private nonce(): Bytes {
    const n = this.random(NONCE_LENGTH);
    if (n.length !== NONCE_LENGTH) throw new RangeError('random source returned the wrong length');
    return new Uint8Array(n);
  }

  private emitLocalKey(): void {
    const v = this.local.current;
    this.emit({ type: 'localKeyChanged', kid: v.kid, keyBytes: new Uint8Array(v.key) });
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
    this.effects.push(e);
  }

  /** Serializes inputs: each runs alone, then `finishInput`, and returns its own effects. */
  private run(fn: () => void | Promise<void>, requireStarted = true): Promise<AgentEffect[]> {
    const p = this.queue.then(async () => {
      if (this.closed) throw new KeyAgentError('CLOSED', 'KeyAgent is closed');
      if (requireStarted && !this.started)
        throw new KeyAgentError('NOT_STARTED', 'call start() first');
      this.effects = [];
      try {
        await fn();
        await this.finishInput();
        return this.effects;
      } finally {
        this.effects = [];
      }
    });
    this.queue = p.catch(() => undefined);
    return p;
  }
}
