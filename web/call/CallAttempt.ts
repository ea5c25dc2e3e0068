/**
 * One join of a room, from `join` to teardown: a fresh frame worker, mediasoup transports, a
 * fresh MLS session (a new leaf and new keys every time), publishing the local tracks and
 * consuming the others'. A rejoin throws the whole attempt away and starts a new one, so no key,
 * transport or counter of a previous join can leak into the next.
 */
import type { MediaSource, NotificationOf, ProducerInfo } from '../../shared/protocol/index.js';
import { FrameCryptor } from '../e2ee/FrameCryptor.js';
import { assertNever } from '../util/assertNever.js';
import type { TransformMode } from '../e2ee/support.js';
import { createLogger, errorName } from '../util/logger.js';
import { newChatId, type CallModel } from './CallModel.js';
import { DecryptReport } from './DecryptReport.js';
import { iceOptions } from './iceOptions.js';
import { MlsSession, type MlsRosterEntry } from './MlsSession.js';
import { applyMlsRoster, type Contacts } from './mlsRoster.js';
import { MediaSession } from './MediaSession.js';
import { Publisher } from './Publisher.js';
import { Reconnector } from './Reconnector.js';
import type { SignallingClient } from './SignallingClient.js';
import { Subscriber } from './Subscriber.js';

const log = createLogger('CallAttempt');

/** Give up waiting for every peer's keys after this long; the call goes on and shows who is missing. */
const KEY_EXCHANGE_WAIT_MS = 10_000;
/** How often the anonymous decrypt-failure counts (by reason) go to the SFU, when there are any. */
const DECRYPT_REPORT_INTERVAL_MS = 15_000;

export interface AttemptConfig {
  readonly roomId: string;
  readonly roomSecret: Uint8Array;
  readonly identity: Uint8Array;
  readonly displayName: string;
  readonly mode: TransformMode;
}

export interface LocalTrack {
  readonly source: MediaSource;
  readonly track: MediaStreamTrack;
  readonly paused: boolean;
}

export interface AttemptHost {
  readonly model: CallModel;
  /** The tracks to publish right after joining. */
  localTracks(): LocalTrack[];
  /** This join cannot continue (server lost our state, ICE gave up): start a new one. */
  rejoin(reason: string): void;
  /** The identities verified on this device (MLS rosters are checked against them). */
  readonly contacts: Contacts;
}

/** Notifications that need the MLS session; they wait until it exists. */
type KeyedName = 'peerJoined' | 'peerLeft';
type Pending = { [K in KeyedName]: { name: K; message: NotificationOf<K> } }[KeyedName];

export class CallAttempt {
  readonly cryptor: FrameCryptor;
  readonly media: MediaSession;
  readonly publisher: Publisher;
  readonly subscriber: Subscriber;
  private mls: MlsSession | null = null;
  private mlsRoster: readonly MlsRosterEntry[] = [];
  private readonly reconnector: Reconnector;
  private queued: Pending[] | null = [];
  private keysTimer: ReturnType<typeof setTimeout> | null = null;
  private reportTimer: ReturnType<typeof setInterval> | null = null;
  private readonly decryptReport = new DecryptReport();
  private closed = false;
  /** The send transport exists: local tracks can be published. */
  private sending = false;
  private localSync: Promise<void> = Promise.resolve();
  /**
   * Producers announced (`newProducer`) before the receive transport exists, or null once it
   * does. A producer made while we were joining is in neither `joined.producers` nor consumable
   * yet: dropping its notification would lose that feed for the whole call.
   */
  private earlyProducers: ProducerInfo[] | null = [];

  constructor(
    private readonly signalling: SignallingClient,
    private readonly config: AttemptConfig,
    private readonly host: AttemptHost,
  ) {
    this.cryptor = new FrameCryptor(config.mode);
    this.media = new MediaSession(signalling, config.mode);
    this.publisher = new Publisher(this.media, signalling, this.cryptor);
    this.subscriber = new Subscriber(this.media, signalling, this.cryptor);
    this.reconnector = new Reconnector({
      restartIce: (direction) => this.media.restartIce(direction),
      rejoin: (reason) => host.rejoin(reason),
    });
    this.media.on('connectionState', (direction, state) =>
      this.reconnector.onTransportState(direction, state),
    );
    this.wireMedia();
    this.listen();
  }

  get mlsSession(): MlsSession | null {
    return this.mls;
  }

  /** Joins and sets up media. Throws SignallingError (e.g. ROOM_FULL) with nothing left open. */
  async run(): Promise<void> {
    const model = this.host.model;
    model.setPhase('joining');
    const rtpCapabilities = await this.media.load();
    const joined = await this.signalling.request('join', {
      roomId: this.config.roomId,
      rtpCapabilities,
    });
    if (this.closed) return;
    model.selfPeerId = joined.peerId;
    model.setPhase('keys');
    for (const { peerId } of joined.peers) model.participant(peerId);
    const started = this.createMls(joined.peerId).start();
    this.flushQueued(); // peer events queue behind the join in the session
    await started;
    await this.media.createTransports(
      iceOptions(joined.iceServers, globalThis.location?.search ?? ''),
    );
    const early = this.earlyProducers ?? [];
    this.earlyProducers = null;
    this.sending = true;
    await this.syncLocal();
    // consume() ignores a producer it already has or is consuming, so overlap is harmless.
    await Promise.all([...joined.producers, ...early].map((p) => this.consume(p)));
    this.keysTimer = setTimeout(() => this.enterCall(), KEY_EXCHANGE_WAIT_MS);
    this.reportTimer = setInterval(() => this.reportDecryptFailures(), DECRYPT_REPORT_INTERVAL_MS);
    this.checkKeysDone();
  }

  /** Sends what failed to decrypt since the last report, by reason only; best effort. */
  private reportDecryptFailures(): void {
    const perPeer = new Map(
      [...this.host.model.participants.values()].map((p) => [p.peerId, p.e2ee.byReason]),
    );
    const counts = this.decryptReport.take(perPeer);
    if (counts.length === 0 || this.closed) return;
    this.signalling.request('reportDecryptFailures', { counts }).catch(() => undefined);
  }

  /**
   * Brings the producers in line with the host's local tracks: publishes those not sent yet (a
   * microphone or camera that opened after Join was clicked, a screen share) and swaps replaced
   * ones. Runs one at a time, each reading the tracks afresh, so a track that appears while
   * another sync runs is picked up by the next. Before the send transport exists it does
   * nothing; run() syncs once it does.
   */
  syncLocal(): Promise<void> {
    const next = this.localSync.then(async () => {
      if (!this.sending || this.closed) return;
      for (const local of this.host.localTracks()) {
        if (this.publisher.has(local.source))
          await this.publisher.replaceTrack(local.source, local.track);
        else await this.publisher.publish(local.source, local.track, local.paused);
      }
    });
    this.localSync = next.catch(() => undefined);
    return next;
  }

  /** Idempotent: leaves nothing behind (keys, worker, transports, timers). */
  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    if (this.keysTimer !== null) clearTimeout(this.keysTimer);
    if (this.reportTimer !== null) clearInterval(this.reportTimer);
    this.reconnector.close();
    this.publisher.close();
    this.subscriber.close();
    this.media.close();
    this.cryptor.close();
    this.mls?.close();
    return Promise.resolve();
  }

  /** A verification changed on this device: show the MLS roster with it. */
  verificationsChanged(): void {
    if (this.mls) applyMlsRoster(this.host.model, this.mlsRoster, this.host.contacts);
  }

  private createMls(selfPeerId: string): MlsSession {
    const { roomId, roomSecret, identity, displayName } = this.config;
    const mls = new MlsSession(
      { roomId, selfPeerId, roomSecret, identity, displayName },
      {
        request: (name, request) => this.signalling.request(name, request),
        setSenderKey: (kid, key) => this.cryptor.setSenderKey(kid, key),
        addReceiverKey: (peerId, kid, key) => this.cryptor.addReceiverKey(peerId, kid, key),
        removeReceiverKey: (kid, peerId) => this.cryptor.removeReceiverKey(kid, peerId),
        localMedia: () => {
          const local = this.host.model.local;
          return { microphone: local.micOn, camera: local.camOn, screen: local.screenOn };
        },
      },
    );
    const model = this.host.model;
    mls.on('localKid', (kid) => {
      model.record({ type: 'localKey', kid });
      model.localKid = kid;
      model.touch();
    });
    mls.on('roster', (roster) => {
      this.mlsRoster = roster;
      applyMlsRoster(model, roster, this.host.contacts);
      this.checkKeysDone();
    });
    mls.on('roomCode', (code) => {
      model.roomCode = code;
      model.touch();
    });
    mls.on('chat', (message) => {
      model.chat.push({ id: newChatId(), ...message });
      model.unreadChat++;
      model.touch();
    });
    mls.on('media', (peerId, flags) => model.setAnnounced(peerId, flags));
    mls.on('warning', (code, peerId) => model.warn(code, peerId));
    this.mls = mls;
    return mls;
  }

  private wireMedia(): void {
    const model = this.host.model;
    this.subscriber.on('added', (feed) => model.setFeed(feed, true));
    this.subscriber.on('removed', (feed) => model.setFeed(feed, false));
    this.subscriber.on('changed', () => model.touch());
    this.cryptor.on('stats', (_senderKid, transforms) => {
      model.applyStats(transforms, (id) => this.subscriber.byTransformId(id));
      // Decrypted media is the members' sign of life, as good as a heartbeat (MlsSession).
      for (const t of transforms)
        if (t.role === 'recv' && t.kid !== null && t.lastFrameAt !== null)
          this.mls?.framesSeen(t.kid, t.lastFrameAt);
    });
    this.cryptor.on('recovered', (transformId) => {
      const feed = this.subscriber.byTransformId(transformId);
      if (feed) void this.subscriber.requestKeyFrame(feed.consumerId);
    });
  }

  /** Registers this attempt's notification handlers; those that need keys wait for the session. */
  private listen(): void {
    const s = this.signalling;
    const keyed = <K extends KeyedName>(name: K): void =>
      s.onNotification(name, (message) => this.whenReady({ name, message }));
    keyed('peerJoined');
    keyed('peerLeft');
    const mlsFail = (err: unknown): void =>
      log.debug('mls input failed', { error: errorName(err) });
    s.onNotification('mlsCommit', (m) => void this.mls?.commit(m).catch(mlsFail));
    s.onNotification('mlsMessage', (m) => void this.mls?.message(m).catch(mlsFail));
    s.onNotification('mlsEpochReady', (m) => void this.mls?.epochReady(m).catch(mlsFail));
    s.onNotification('newProducer', (info) => {
      if (this.earlyProducers) this.earlyProducers.push(info);
      else void this.consume(info);
    });
    s.onNotification('consumerClosed', ({ consumerId }) => this.subscriber.remove(consumerId));
    s.onNotification('consumerPaused', ({ consumerId }) =>
      this.subscriber.setProducerPaused(consumerId, true),
    );
    s.onNotification('consumerResumed', ({ consumerId }) =>
      this.subscriber.setProducerPaused(consumerId, false),
    );
    s.onNotification('keyFrameNeeded', ({ producerId, spatialLayer }) => {
      this.publisher.keyFrameNeeded(producerId, spatialLayer).catch((err: unknown) => {
        // e.g. InvalidStateError while mediasoup-client changes the same sender's parameters
        log.debug('could not make a key frame', { error: errorName(err) });
      });
    });
    s.onNotification('reconnect', ({ reason }) => this.host.rejoin(`server-${reason}`));
  }

  private whenReady(item: Pending): void {
    if (this.closed) return;
    if (this.queued) this.queued.push(item);
    else this.handleKeyed(item);
  }

  private flushQueued(): void {
    const items = this.queued ?? [];
    this.queued = null;
    for (const item of items) this.handleKeyed(item);
  }

  private handleKeyed(item: Pending): void {
    if (this.mls !== null) this.handleMls(item, this.mls);
  }

  private handleMls(item: Pending, mls: MlsSession): void {
    const model = this.host.model;
    switch (item.name) {
      case 'peerJoined':
        model.record({ type: 'peerJoined', peerId: item.message.peerId });
        model.participant(item.message.peerId);
        return;
      case 'peerLeft':
        model.record({ type: 'peerLeft', peerId: item.message.peerId });
        this.subscriber.removePeer(item.message.peerId);
        model.removeParticipant(item.message.peerId);
        mls.peerLeft(item.message.peerId).catch((err: unknown) => {
          log.debug('mls peerLeft failed', { error: errorName(err) });
        });
        return;
      default:
        return assertNever(item);
    }
  }

  private async consume(info: ProducerInfo): Promise<void> {
    try {
      await this.subscriber.consume(info);
    } catch (err) {
      if (!this.closed)
        log.warn('could not consume', { producerId: info.producerId, error: errorName(err) });
    }
  }

  private checkKeysDone(): void {
    const model = this.host.model;
    if (model.phase !== 'keys' || this.queued !== null) return;
    if ([...model.participants.values()].every((p) => p.roster !== null)) this.enterCall();
  }

  private enterCall(): void {
    if (this.closed) return;
    if (this.keysTimer !== null) clearTimeout(this.keysTimer);
    this.keysTimer = null;
    if (this.host.model.phase === 'keys') this.host.model.setPhase('in-call');
  }
}
