/**
 * The client's MLS key agreement for one call. It joins the room's group by external commit from
 * the server's sealed GroupInfo (or makes the group when the room has none), follows the commits the
 * server's sequencer fans out, commits Removes on the server's `peerLeft` hint and on the liveness
 * timeout (coalesced, by the designated committer), catches up by itself when it missed a commit
 * (mlsEntry.ts: from the server's commit log, else by a resync), and rejoins when it was removed
 * while still connected. Each epoch's SFrame keys come from the MLS
 * exporter (RFC 9605 §5.2) and reach the frame worker through EpochKeys' switch rules. Chat travels
 * as MLS application messages.
 *
 * Every step runs on one serial queue, so the GroupMember never sees two operations at once. Key
 * bytes only pass through here on their way to the frame sink; names and chat text only on their
 * way to the UI. None of them is logged.
 */
import {
  ChangeQueue,
  committerRank,
  encodeCredential,
  EpochKeys,
  GroupMember,
  Liveness,
  type MemberConfig,
  parseMlsKid,
  type RoomCode,
  type RosterEntry as QueueEntry,
} from '../../shared/mls/index.js';
import type { NotificationOf } from '../../shared/protocol/index.js';
import { Emitter } from '../util/Emitter.js';
import { createLogger, errorName } from '../util/logger.js';
import { CHAT_MAX_CHARS, decodeApp, encodeApp, type AppMessage } from './mlsAppMessage.js';
import {
  catchUp,
  codeOf,
  joinGroup,
  MlsSessionError,
  resync,
  submitCommit,
  type MlsRequest,
} from './mlsEntry.js';
import { groupRoster, queueEntry, type MlsRosterEntry } from './mlsRoster.js';
import { MediaAnnouncements, type MediaFlags } from './mediaAnnouncement.js';

export { MlsSessionError, type MlsRequest, type MlsRosterEntry };

const log = createLogger('MlsSession');

const TICK_MS = 50;
const HEARTBEAT_MS = 10_000;
const LIVENESS_MS = 30_000;
export interface MlsSessionConfig {
  readonly roomId: string;
  readonly selfPeerId: string;
  readonly roomSecret: Uint8Array;
  /** The 32-byte Ed25519 identity seed: the MLS signature key (see shared/mls/GroupMember.ts). */
  readonly identity: Uint8Array;
  readonly displayName: string;
  readonly heartbeatMs?: number;
  readonly livenessMs?: number;
}

/** Signalling requests and the frame worker's key sink (FrameCryptor). */
export interface MlsSinks {
  readonly request: MlsRequest;
  setSenderKey(kid: number, keyBytes: Uint8Array): void;
  addReceiverKey(peerId: string, kid: number, keyBytes: Uint8Array): void;
  removeReceiverKey(kid: number, peerId: string | null): void;
  /** This member's sources, announced with every heartbeat; nothing announced when null/absent. */
  localMedia?(): MediaFlags | null;
}

export interface MlsChatMessage {
  readonly from: string;
  readonly text: string;
  readonly at: number;
}

export type MlsWarningCode = 'BAD_MESSAGE' | 'RESYNC' | 'REJOIN' | 'COMMIT_FAILED';

type Events = {
  roster: [roster: readonly MlsRosterEntry[]];
  roomCode: [code: RoomCode];
  epoch: [epoch: bigint];
  chat: [message: MlsChatMessage];
  /** What `peerId` itself says it sends (newest announcement only). */
  media: [peerId: string, flags: MediaFlags];
  warning: [code: MlsWarningCode, peerId: string | null];
  localKid: [kid: number];
};

export class MlsSession extends Emitter<Events> {
  private member: GroupMember | null = null;
  private readonly keys: EpochKeys;
  private readonly queue = new ChangeQueue();
  private readonly liveness: Liveness;
  private roster: MlsRosterEntry[] = [];
  /** Peers the server said left, until the group no longer holds them. */
  private readonly gone = new Set<string>();
  private chain: Promise<unknown> = Promise.resolve();
  private timer: ReturnType<typeof setInterval> | null = null;
  private lastHeartbeat = 0;
  private readonly media = new MediaAnnouncements();
  private tickQueued = false;
  private closed = false;
  private readonly memberConfig: MemberConfig;
  private readonly heartbeatMs: number;

  constructor(
    config: MlsSessionConfig,
    private readonly sinks: MlsSinks,
  ) {
    super();
    this.memberConfig = {
      roomId: config.roomId,
      roomSecret: config.roomSecret,
      identity: encodeCredential({ peerId: config.selfPeerId, displayName: config.displayName }),
      signatureSeed: config.identity,
    };
    this.heartbeatMs = config.heartbeatMs ?? HEARTBEAT_MS;
    this.liveness = new Liveness(config.livenessMs ?? LIVENESS_MS);
    this.keys = new EpochKeys({
      setSenderKey: (kid, key) => {
        this.sinks.setSenderKey(kid, key);
        this.emit('localKid', kid);
        return Promise.resolve();
      },
      addReceiverKey: (kid, key, owner) => {
        this.sinks.addReceiverKey(owner ?? '', kid, key);
        return Promise.resolve();
      },
      removeReceiverKey: (kid, owner) => this.sinks.removeReceiverKey(kid, owner ?? null),
    });
  }

  /** Joins (or makes) the room's group; resolves once this member is in it with keys installed. */
  start(): Promise<void> {
    const started = this.run(() => this.join());
    this.timer = setInterval(() => {
      if (this.tickQueued) return; // never pile ticks up behind a slow commit
      this.tickQueued = true;
      this.run(() => this.tick())
        .catch((err: unknown) => {
          if (!this.closed) log.error('tick failed', err);
        })
        .finally(() => (this.tickQueued = false));
    }, TICK_MS);
    return started;
  }

  get epoch(): bigint | null {
    return this.member?.epoch ?? null;
  }

  get senderEpoch(): bigint | null {
    return this.keys.senderEpoch;
  }

  get members(): readonly MlsRosterEntry[] {
    return this.roster;
  }

  roomCode(): RoomCode | null {
    return this.member?.roomCode() ?? null;
  }

  /** Server notification `mlsCommit`. */
  commit(note: NotificationOf<'mlsCommit'>): Promise<void> {
    return this.run(() => this.processCommit(note.commit, note.from));
  }

  /** Server notification `mlsMessage`. */
  message(note: NotificationOf<'mlsMessage'>): Promise<void> {
    return this.run(() => this.processMessage(note.envelope, note.from));
  }

  /** Server notification `mlsEpochReady`. */
  epochReady(note: NotificationOf<'mlsEpochReady'>): Promise<void> {
    return this.run(async () => {
      const epoch = BigInt(note.epoch);
      if (this.member === null) return;
      if (epoch > this.member.epoch)
        await this.catchUp(); // the room moved on without us
      else await this.keys.markAllReady(epoch);
    });
  }

  /** Server notification `peerLeft`: a hint to remove its leaf. */
  peerLeft(peerId: string): Promise<void> {
    return this.run(() => {
      this.gone.add(peerId);
      this.queueGone();
      return Promise.resolve();
    });
  }

  /**
   * A media frame decrypted under `kid` at `at` (epoch ms): a sign of life from the leaf the KID
   * names. Only that sender holds the key, so the server cannot fake one; it can only withhold
   * frames, which is what the timeout is for. Heartbeats alone are not enough: a member a commit
   * behind (a busy machine while people join) sends them under an epoch the others have left,
   * and those arrive stale, so a member whose media flows was removed as silent. A leaf reused
   * by a newcomer may be credited with its previous owner's last frames, for at most the 5 s a
   * previous epoch's keys are kept (EpochKeys): far inside the 30 s timeout.
   */
  framesSeen(kid: number, at: number): void {
    if (!Number.isSafeInteger(kid) || kid < 0) return;
    const leaf = parseMlsKid(kid).leafIndex;
    if (this.roster.some((r) => r.leafIndex === leaf && !r.self)) this.liveness.seen(leaf, at);
  }

  sendChat(text: string): Promise<void> {
    if (text.length > CHAT_MAX_CHARS)
      return Promise.reject(new MlsSessionError('CHAT_TOO_LONG', 'chat message too long'));
    return this.run(() => this.sendApp({ t: 'chat', text }));
  }

  /** Announces this member's sources now (after a change), instead of at the next heartbeat. */
  announceMedia(): Promise<void> {
    return this.run(() => this.heartbeat());
  }

  /** Idempotent: every key is erased. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== null) clearInterval(this.timer);
    this.keys.close();
    this.member = null;
    this.removeAllListeners();
  }

  private run<T>(step: () => Promise<T>): Promise<T> {
    const next = this.chain.then(() => {
      if (this.closed) throw new MlsSessionError('CLOSED', 'the session is closed');
      return step();
    });
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async join(): Promise<void> {
    this.member = await joinGroup(this.memberConfig, this.sinks.request);
    await this.enterEpoch();
  }

  private async processCommit(envelope: Uint8Array, from: string): Promise<void> {
    const member = this.member;
    if (member === null) return; // not in the group yet: our own join decides our epoch
    try {
      const out = await member.process(envelope);
      if (out.kind === 'advanced') await this.enterEpoch();
      else if (out.kind === 'removed') await this.rejoin();
    } catch (err) {
      // The sequencer accepted this commit, so the room is on its epoch: one we cannot follow
      // (missed messages, or a commit ts-mls refuses) is left behind by resyncing.
      const code = codeOf(err);
      if (code === 'FUTURE_EPOCH') await this.catchUp();
      else if (code === 'MLS_REJECTED') await this.resync('a commit MLS refused', err);
      else this.warn('BAD_MESSAGE', err, from);
    }
  }

  private async processMessage(envelope: Uint8Array, sentBy: string): Promise<void> {
    const member = this.member;
    if (member === null) return;
    let out;
    try {
      out = await member.process(envelope);
    } catch (err) {
      if (codeOf(err) === 'FUTURE_EPOCH') await this.catchUp();
      else this.warn('BAD_MESSAGE', err, sentBy);
      return;
    }
    if (out.kind !== 'application') return; // stale
    this.liveness.seen(out.leafIndex, Date.now());
    const app = decodeApp(out.data);
    const from = this.roster.find((r) => r.leafIndex === out.leafIndex);
    if (app === null || from === undefined) return this.warn('BAD_MESSAGE', null, sentBy);
    if (app.t === 'chat') this.emit('chat', { from: from.peerId, text: app.text, at: Date.now() });
    else if (app.media !== undefined && this.media.accept(from.peerId, app.media)) {
      const { microphone, camera, screen } = app.media;
      this.emit('media', from.peerId, { microphone, camera, screen });
    }
  }

  /** Behind the room (we missed commits): catch up from the server's log, else resync. */
  private async catchUp(): Promise<void> {
    const member = this.member;
    if (member === null) return;
    const outcome = await catchUp(member, this.sinks.request, () => this.enterEpoch());
    if (outcome === 'removed') await this.rejoin();
    else if (outcome === 'behind') await this.resync('the commit log does not take us forward');
  }

  /** Replaces our leaf by an external commit from the latest GroupInfo. */
  private async resync(why: string, err: unknown = null): Promise<void> {
    const member = this.member;
    if (member === null) return;
    log.debug('resync', {
      why,
      epoch: Number(member.epoch),
      error: err === null ? undefined : errorName(err),
    });
    this.warn('RESYNC', null);
    if (await resync(member, this.sinks.request)) await this.enterEpoch();
  }

  /** Removed while still connected (a liveness misfire): join again as a new member. */
  private async rejoin(): Promise<void> {
    this.warn('REJOIN', null);
    this.keys.eraseAll();
    this.member = null;
    await this.join();
  }

  /** After every epoch change: keys, roster, liveness, queued changes, and the ready report. */
  private async enterEpoch(): Promise<void> {
    const member = this.member!;
    const now = Date.now();
    const before = new Set(this.roster.map((r) => r.peerId));
    this.roster = groupRoster(member);
    // Someone new: they learn our sources from our next heartbeat, sent at the next tick. Costs
    // one application message per member per join (each relayed to every member).
    if (this.roster.some((r) => !r.self && !before.has(r.peerId))) this.lastHeartbeat = 0;
    this.media.keepOnly(new Set(this.roster.map((r) => r.peerId)));
    const owners = new Map(this.roster.map((r) => [r.leafIndex, r.peerId]));
    const leaves = member.members().map((m) => m.leafIndex);
    const base = await member.sframeBaseKey();
    try {
      await this.keys.install(
        member.epoch,
        base,
        leaves,
        member.leafIndex,
        now,
        (leaf) => owners.get(leaf) ?? `leaf:${leaf}`,
      );
    } finally {
      base.fill(0);
    }
    this.liveness.sync(leaves, member.leafIndex, now);
    this.queue.settle(this.queueRoster(), member.leafIndex);
    for (const id of [...this.gone])
      if (!this.roster.some((r) => r.peerId === id)) this.gone.delete(id);
    this.queueGone();
    log.debug('epoch', { epoch: Number(member.epoch), members: leaves.length });
    this.emit('roster', this.roster);
    this.emit('roomCode', member.roomCode());
    this.emit('epoch', member.epoch);
    this.sinks
      .request('mlsReady', { epoch: Number(member.epoch) })
      .catch((err: unknown) => log.debug('ready report failed', { error: errorName(err) }));
  }

  /** The ChangeQueue's view: a leaf and its credential (peer id and identity key). */
  private queueRoster(): QueueEntry[] {
    return this.roster.map(queueEntry);
  }

  private queueGone(): void {
    const now = Date.now();
    for (const r of this.roster)
      if (!r.self && this.gone.has(r.peerId)) this.queue.remove(queueEntry(r), now);
  }

  private async tick(): Promise<void> {
    const member = this.member;
    if (member === null) return;
    const now = Date.now();
    await this.keys.tick(now);
    if (now - this.lastHeartbeat >= this.heartbeatMs) await this.heartbeat();
    const byLeaf = new Map(this.queueRoster().map((r) => [r.leafIndex, r]));
    for (const leaf of this.liveness.expired(now)) {
      const entry = byLeaf.get(leaf);
      if (entry !== undefined) this.queue.remove(entry, now);
    }
    if (this.queue.empty) return;
    const leaves = member.members().map((m) => m.leafIndex);
    const rank = committerRank(member.leafIndex, leaves, this.queue.pendingRemovals());
    if (!this.queue.due(now, rank)) return;
    const changes = this.queue.take();
    const silent = new Set(this.liveness.expired(now));
    log.debug('committing removals', {
      epoch: Number(member.epoch),
      leaves: changes.remove.join(' '),
      silent: changes.remove.filter((l) => silent.has(l)).join(' '),
    });
    let accepted = false;
    try {
      const c = await member.commit({ remove: changes.remove });
      accepted = await submitCommit(this.sinks.request, c);
    } catch (err) {
      this.warn('COMMIT_FAILED', err);
    }
    if (accepted) {
      member.confirm();
      await this.enterEpoch();
    } else {
      member.discard();
      changes.undo(now);
    }
  }

  /** A sign of life, with our media announcement when the client gives one. */
  private async heartbeat(): Promise<void> {
    if (this.member === null) return;
    this.lastHeartbeat = Date.now();
    const flags = this.sinks.localMedia?.() ?? null;
    const msg: AppMessage =
      flags === null ? { t: 'hb' } : { t: 'hb', media: this.media.next(flags) };
    await this.sendApp(msg).catch((err: unknown) =>
      log.debug('heartbeat failed', { error: errorName(err) }),
    );
  }

  private async sendApp(msg: AppMessage): Promise<void> {
    const member = this.member;
    if (member === null) throw new MlsSessionError('NOT_JOINED', 'not in the group yet');
    const data = encodeApp(msg); // padded: the server sees one of five sizes
    await this.sinks.request('mlsSend', { envelope: await member.application(data) });
  }

  /** `peerId`: who the server said sent the refused input (it may be the server itself). */
  private warn(code: MlsWarningCode, err: unknown, peerId: string | null = null): void {
    log.warn('mls warning', { code, error: err === null ? undefined : errorName(err) });
    this.emit('warning', code, peerId);
  }
}
