/**
 * What the call looks like right now, as plain data for the UI and the debug surface: phase,
 * participants (server peers joined with the MLS roster and their media feeds), the room code,
 * per-sender E2EE counters, chat. Mutated only by the call engine; listeners get
 * one coalesced `change` per microtask.
 */
import type { MediaSource } from '../../shared/protocol/index.js';
import type { RoomCode } from '../../shared/mls/index.js';
import type { DropReason, TransformStats } from '../e2ee/messages.js';
import { Emitter } from '../util/Emitter.js';
import type { MlsWarningCode } from './MlsSession.js';
import type { RemoteFeed } from './Subscriber.js';
import type { MediaFlags } from './mediaAnnouncement.js';

export type CallPhase =
  'connecting' | 'joining' | 'keys' | 'in-call' | 'reconnecting' | 'left' | 'failed';

export interface ChatMessage {
  readonly id: number;
  readonly from: string;
  readonly text: string;
  readonly at: number;
}

let chatIds = 0;

/** A chat message id, unique within this page. */
export function newChatId(): number {
  return ++chatIds;
}

/**
 * Key-protocol input an honest member on an honest network never sends: a message that fails
 * authentication or does not parse. The others (a resync, a rejoin, a refused commit) happen on
 * lossy networks too, and are counted quietly.
 */
const HOSTILE_WARNINGS: ReadonlySet<MlsWarningCode> = new Set<MlsWarningCode>(['BAD_MESSAGE']);

export function isHostileWarning(code: MlsWarningCode): boolean {
  return HOSTILE_WARNINGS.has(code);
}

export interface E2eeCounters {
  /** KID of the last frame decrypted (or encrypted, for the local sender). */
  kid: number | null;
  frames: number;
  failures: number;
  byReason: Partial<Record<DropReason, number>>;
  /** Epoch ms of the last good frame in the worker (see TransformStats.lastFrameAt). */
  lastFrameAt: number | null;
  /** Epoch ms of the first good frame under `kid` on any of the tracks (TransformStats.kidSince). */
  kidSince: number | null;
}

/** A participant as the MLS group proved them: their leaf. */
export interface RosterEntry {
  readonly peerId: string;
  readonly displayName: string;
  /** Ed25519 identity public key (32 bytes). */
  readonly identityKey: Uint8Array;
  /** The local user compared this person's fingerprint, now or in an earlier call. */
  readonly verified: boolean;
  readonly self: boolean;
  /** The person's own identity fingerprint (shared/mls/fingerprint.ts). */
  readonly fingerprint: string;
}

/**
 * Someone joined under the name of a contact the user verified, with another identity key: a new
 * device, or someone posing as them. Shown as a blocking alert until the user answers it.
 */
export interface IdentityChange {
  readonly peerId: string;
  readonly displayName: string;
}

export interface Participant {
  readonly peerId: string;
  /** From the authenticated roster; null until the key exchange with this peer finished. */
  roster: RosterEntry | null;
  feeds: Partial<Record<MediaSource, RemoteFeed>>;
  e2ee: E2eeCounters;
  /** What the person's own client announced end to end (mediaView.ts), or null before that. */
  announced: AnnouncedMedia | null;
}

export interface AnnouncedMedia {
  readonly flags: MediaFlags;
  /** Epoch ms when each source's flag last changed (or was first announced). */
  readonly changedAt: Readonly<Record<MediaSource, number>>;
}

export interface LocalState {
  micOn: boolean;
  camOn: boolean;
  screenOn: boolean;
  camera: MediaStreamTrack | null;
  screen: MediaStreamTrack | null;
  e2ee: E2eeCounters;
}

/**
 * Refused key-protocol input that an honest member on an honest network never sends, one entry
 * per code and claimed sender. `peerId` is who the server said sent it (null when it named
 * nobody); the sender may be the server itself.
 */
export interface SecurityAlert {
  readonly code: MlsWarningCode;
  readonly peerId: string | null;
  count: number;
  /** Epoch ms of the latest one. */
  at: number;
}

/** A diagnostic record of what happened when (ids and key ids only; see debugSurface.ts). */
export type CallEvent =
  | { readonly at: number; readonly type: 'phase'; readonly phase: CallPhase }
  | { readonly at: number; readonly type: 'peerJoined' | 'peerLeft'; readonly peerId: string }
  | { readonly at: number; readonly type: 'localKey'; readonly kid: number };

const MAX_EVENTS = 200;

const emptyCounters = (): E2eeCounters => ({
  kid: null,
  frames: 0,
  failures: 0,
  byReason: {},
  lastFrameAt: null,
  kidSince: null,
});

export class CallModel extends Emitter<{ change: [] }> {
  phase: CallPhase = 'connecting';
  selfPeerId: string | null = null;
  readonly participants = new Map<string, Participant>();
  activeSpeaker: string | null = null;
  /** The MLS room code of the current epoch. */
  roomCode: RoomCode | null = null;
  /** MLS: this device's own identity fingerprint, for others to compare with. */
  selfFingerprint: string | null = null;
  /** The text of this person's identity QR code (shared/mls/identityQr.ts), or null. */
  selfQrCode: string | null = null;
  /** Identity changes not answered yet, oldest first (one per peer). */
  readonly identityChanges: IdentityChange[] = [];
  /** Peers whose identity change the user answered in this join: not raised again. */
  private readonly answeredChanges = new Set<string>();
  localKid: number | null = null;
  readonly chat: ChatMessage[] = [];
  unreadChat = 0;
  /** Every key-protocol warning, hostile or not (diagnostics). */
  warnings = 0;
  /** Hostile warnings, shown loudly (securityState.ts). */
  readonly alerts: SecurityAlert[] = [];
  /** Warnings a network causes on its own (timeouts, a dropped channel): counted, not alarming. */
  networkWarnings = 0;
  readonly local: LocalState = {
    micOn: true,
    camOn: true,
    screenOn: false,
    camera: null,
    screen: null,
    e2ee: emptyCounters(),
  };
  /** The most recent events, oldest first (bounded). */
  readonly events: CallEvent[] = [];
  private scheduled = false;
  /**
   * Peers the server said left. Peer ids are never reused (a rejoin gets a new one), and the MLS
   * roster still lists a leaver until its Remove commit: nothing may bring one back meanwhile.
   * One short id per leaver of this tab's calls.
   */
  private readonly departed = new Set<string>();

  /** Appends to the diagnostic timeline; `at` is wall-clock epoch ms. */
  record(event: DistributiveOmit<CallEvent, 'at'>): void {
    this.events.push({ ...event, at: Date.now() });
    if (this.events.length > MAX_EVENTS) this.events.splice(0, this.events.length - MAX_EVENTS);
  }

  /** Counts a key-protocol warning, as an alert when it is hostile. */
  warn(code: MlsWarningCode, peerId: string | null, at: number = Date.now()): void {
    this.warnings++;
    if (!isHostileWarning(code)) {
      this.networkWarnings++;
    } else {
      const alert = this.alerts.find((a) => a.code === code && a.peerId === peerId);
      if (alert) {
        alert.count++;
        alert.at = at;
      } else {
        this.alerts.push({ code, peerId, count: 1, at });
      }
    }
    this.touch();
  }

  /** Coalesces many mutations into one `change` event. */
  touch(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      this.emit('change');
    });
  }

  setPhase(phase: CallPhase): void {
    if (this.phase === phase) return;
    this.phase = phase;
    this.record({ type: 'phase', phase });
    this.touch();
  }

  participant(peerId: string): Participant {
    let p = this.participants.get(peerId);
    if (!p) {
      p = { peerId, roster: null, feeds: {}, e2ee: emptyCounters(), announced: null };
      this.participants.set(peerId, p);
      this.touch();
    }
    return p;
  }

  removeParticipant(peerId: string): void {
    this.departed.add(peerId);
    if (this.participants.delete(peerId)) this.touch();
    this.dropIdentityChange(peerId);
    if (this.activeSpeaker === peerId) this.activeSpeaker = null;
  }

  /** Forget everything of the previous join (before a rejoin). Chat history stays. */
  resetMembers(): void {
    this.participants.clear();
    this.selfPeerId = null;
    this.activeSpeaker = null;
    this.roomCode = null;
    this.selfFingerprint = null;
    this.selfQrCode = null;
    this.identityChanges.length = 0;
    this.answeredChanges.clear();
    this.localKid = null;
    this.local.e2ee = emptyCounters();
    this.touch();
  }

  applyRoster(roster: readonly RosterEntry[]): void {
    const byId = new Map(roster.filter((e) => !e.self).map((e) => [e.peerId, e]));
    for (const [peerId, entry] of byId)
      if (!this.departed.has(peerId)) this.participant(peerId).roster = entry;
    for (const p of this.participants.values()) if (!byId.has(p.peerId)) p.roster = null;
    this.touch();
  }

  /** Raises the identity-change alert for `peerId` (once, until answered or the peer leaves). */
  identityChanged(change: IdentityChange): void {
    if (this.answeredChanges.has(change.peerId)) return;
    if (this.identityChanges.some((c) => c.peerId === change.peerId)) return;
    this.identityChanges.push(change);
    this.touch();
  }

  /** The user answered the alert for `peerId`. */
  dismissIdentityChange(peerId: string): void {
    this.answeredChanges.add(peerId);
    this.dropIdentityChange(peerId);
  }

  private dropIdentityChange(peerId: string): void {
    const i = this.identityChanges.findIndex((c) => c.peerId === peerId);
    if (i < 0) return;
    this.identityChanges.splice(i, 1);
    this.touch();
  }

  /** `peerId` announced its sources end to end (MlsSession `media`, newest only). */
  setAnnounced(peerId: string, flags: MediaFlags, now = Date.now()): void {
    const p = this.participants.get(peerId);
    if (!p) return;
    const before = p.announced;
    const since = (source: MediaSource): number =>
      before !== null && before.flags[source] === flags[source] ? before.changedAt[source] : now;
    p.announced = {
      flags,
      changedAt: {
        microphone: since('microphone'),
        camera: since('camera'),
        screen: since('screen'),
      },
    };
    this.touch();
  }

  setFeed(feed: RemoteFeed, present: boolean): void {
    if (present && this.departed.has(feed.peerId)) return;
    const p = present ? this.participant(feed.peerId) : this.participants.get(feed.peerId);
    if (!p) return;
    if (present) p.feeds[feed.source] = feed;
    else if (p.feeds[feed.source]?.consumerId === feed.consumerId) delete p.feeds[feed.source];
    this.touch();
  }

  /** Folds the frame worker's per-transform counters into per-sender and local counters. */
  applyStats(
    transforms: readonly TransformStats[],
    feedOf: (transformId: string) => RemoteFeed | undefined,
  ): void {
    const perPeer = new Map<string, TransformStats[]>();
    const sent: TransformStats[] = [];
    for (const t of transforms) {
      if (t.role === 'send') {
        sent.push(t);
        continue;
      }
      const feed = feedOf(t.transformId);
      if (!feed) continue;
      const list = perPeer.get(feed.peerId) ?? [];
      list.push(t);
      perPeer.set(feed.peerId, list);
    }
    for (const [peerId, list] of perPeer) {
      const p = this.participants.get(peerId);
      if (p) p.e2ee = counted(list);
    }
    const local = counted(sent);
    this.local.e2ee = local;
    this.touch();
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

function add(into: E2eeCounters, t: TransformStats): void {
  into.frames += t.frames;
  for (const [reason, n] of Object.entries(t.dropped) as [DropReason, number][]) {
    // Frames dropped because our own side was shutting down are not the sender's failures.
    if (reason === 'CLOSED') continue;
    into.byReason[reason] = (into.byReason[reason] ?? 0) + n;
    into.failures += n;
  }
  // The KID shown is the one of the most recent frame, whichever track carried it.
  if (t.lastFrameAt !== null && (into.lastFrameAt === null || t.lastFrameAt >= into.lastFrameAt)) {
    into.lastFrameAt = t.lastFrameAt;
    into.kid = t.kid;
  }
}

/** One sender's (or our own) tracks folded into one set of counters. */
function counted(tracks: readonly TransformStats[]): E2eeCounters {
  const into = emptyCounters();
  for (const t of tracks) add(into, t);
  // The earliest first frame under the KID shown, whichever track carried it.
  for (const t of tracks) {
    if (t.kid !== into.kid || t.kidSince === null) continue;
    if (into.kidSince === null || t.kidSince < into.kidSince) into.kidSince = t.kidSince;
  }
  return into;
}
