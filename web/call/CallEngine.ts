/**
 * The call: one signalling connection for the call's lifetime, and a CallAttempt per join. The
 * first join's failures (server unreachable, room full) are thrown to the caller so the pre-join
 * page can explain them; after that every loss (socket drop, server restart, `reconnect`
 * notification, ICE that cannot be restarted) becomes "reconnecting…" and a fresh join with
 * fresh keys, retried with backoff until it works or the user leaves.
 */
import type { MediaSource } from '../../shared/protocol/index.js';
import type { TransformMode } from '../e2ee/support.js';
import { createLogger, errorName } from '../util/logger.js';
import { CallAttempt, type LocalTrack } from './CallAttempt.js';
import { CallModel, newChatId } from './CallModel.js';
import { MlsSessionError } from './mlsEntry.js';
import { parseIdentityQr } from '../../shared/mls/identityQr.js';
import { equalBytes } from '../../shared/sframe/bytes.js';
import { scanQrCode } from '../identity/QrScanner.js';
import { VerifiedContacts } from '../identity/VerifiedContacts.js';
import type { LocalMedia, LocalSource } from './LocalMedia.js';
import { SignallingClient, SignallingError } from './SignallingClient.js';
import { SpeakerDetector } from './speaker/SpeakerDetector.js';

const log = createLogger('CallEngine');

const RETRY_DELAYS_MS = [500, 1000, 2000, 4000, 8000];

export type JoinFailure = 'unreachable' | 'room-full' | 'rejected' | 'link-mismatch' | 'internal';

export class JoinError extends Error {
  override readonly name = 'JoinError';
  constructor(
    readonly problem: JoinFailure,
    message: string,
  ) {
    super(message);
  }
}

export interface CallOptions {
  readonly roomId: string;
  readonly roomSecret: Uint8Array;
  readonly identity: Uint8Array;
  readonly displayName: string;
  readonly mode: TransformMode;
  readonly local: LocalMedia;
  /** Signalling origin; defaults to this page's origin. */
  readonly serverUrl?: string;
}

/** What scanning someone's identity code found. */
export type ScanResult =
  | { readonly kind: 'verified'; readonly peerId: string; readonly name: string }
  /** A blindcall identity code of a key nobody in this call has. */
  | { readonly kind: 'unknown' }
  /** The camera saw this person's own code (a mirror, or their own second screen). */
  | { readonly kind: 'self' }
  | { readonly kind: 'no-camera' };

function isIdentityQr(text: string): boolean {
  try {
    parseIdentityQr(text);
    return true;
  } catch {
    return false;
  }
}

export class CallEngine {
  readonly model = new CallModel();
  private readonly signalling: SignallingClient;
  private attempt: CallAttempt | null = null;
  private rejoining: Promise<void> | null = null;
  private left = false;
  private screenTrack: MediaStreamTrack | null = null;
  private readonly verified = new VerifiedContacts();
  private readonly offs: (() => void)[] = [];
  /** Active speaker from the decrypted audio in this browser (the SFU sees no audio levels). */
  private readonly speakers = new SpeakerDetector((peerId) => {
    this.model.activeSpeaker = peerId;
    this.model.touch();
  });

  constructor(private readonly options: CallOptions) {
    this.signalling = new SignallingClient(options.serverUrl);
    this.model.local.micOn = options.local.microphone.enabled;
    this.model.local.camOn = options.local.camera.enabled && options.local.camera.track !== null;
    this.model.local.camera = options.local.camera.track;
    this.offs.push(this.model.on('change', () => this.speakers.sync(microphoneTracks(this.model))));
  }

  get currentAttempt(): CallAttempt | null {
    return this.attempt;
  }

  /** The first join. Throws JoinError; on failure nothing stays open. */
  async start(): Promise<void> {
    this.model.setPhase('connecting');
    // From now on: a microphone or camera that opens after Join was clicked is still sent.
    const offTrack = this.options.local.on('track', (source, track) =>
      this.onLocalTrack(source, track),
    );
    try {
      await Promise.all([this.signalling.connect(), this.verified.load()]);
      await this.newAttempt();
    } catch (err) {
      offTrack();
      await this.attempt?.close();
      this.attempt = null;
      this.signalling.close();
      this.model.setPhase('failed');
      throw toJoinError(err);
    }
    this.offs.push(
      offTrack,
      this.signalling.on('disconnected', (reason) => this.rejoin(`socket-${reason}`)),
    );
  }

  rejoin(reason: string): void {
    if (this.left || this.rejoining) return;
    log.info('rejoining', { reason });
    this.model.setPhase('reconnecting');
    this.rejoining = this.rejoinLoop().finally(() => {
      this.rejoining = null;
    });
  }

  async setMicrophone(on: boolean): Promise<void> {
    await this.options.local.setEnabled('microphone', on);
    this.model.local.micOn = on;
    this.model.touch();
    // Announced end to end before the server hears of the pause (mediaAnnouncement.ts).
    this.announceMedia();
    const attempt = this.attempt;
    if (!attempt) return;
    if (attempt.publisher.has('microphone')) await attempt.publisher.setPaused('microphone', !on);
    else await attempt.syncLocal();
  }

  async setCamera(on: boolean): Promise<void> {
    const publisher = this.attempt?.publisher;
    if (!on) {
      // Announced end to end before the server hears of the pause (mediaAnnouncement.ts).
      this.model.local.camOn = false;
      this.announceMedia();
      await publisher?.setPaused('camera', true);
    }
    await this.options.local.setEnabled('camera', on);
    const track = this.options.local.camera.track;
    this.model.local.camOn = on && track !== null;
    this.model.local.camera = track;
    this.model.touch();
    if (on) this.announceMedia();
    if (on && track && publisher) {
      if (publisher.has('camera')) await publisher.setPaused('camera', false);
      else await this.attempt?.syncLocal();
    }
  }

  async setScreenShare(on: boolean): Promise<void> {
    if (!on) return this.stopScreen();
    const stream = await navigator.mediaDevices.getDisplayMedia({
      video: { frameRate: 15 },
      audio: false,
    });
    const track = stream.getVideoTracks()[0];
    if (!track) return;
    track.contentHint = 'detail';
    track.addEventListener('ended', () => void this.stopScreen());
    this.screenTrack = track;
    this.model.local.screen = track;
    this.model.local.screenOn = true;
    this.model.touch();
    this.announceMedia();
    await this.attempt?.syncLocal();
  }

  /** Tells the others, end to end, which of our sources are on (now, not at the next heartbeat). */
  private announceMedia(): void {
    this.attempt?.mlsSession?.announceMedia().catch((err: unknown) => {
      log.debug('media announcement failed', { error: errorName(err) });
    });
  }

  /** Sends to everyone whose keys we have; shown locally once the agent accepted it. */
  async sendChat(text: string): Promise<void> {
    const session = this.attempt?.mlsSession;
    if (!session) throw new Error('not in a call');
    await session.sendChat(text);
    this.model.chat.push({
      id: newChatId(),
      from: this.model.selfPeerId ?? '',
      text,
      at: Date.now(),
    });
    this.model.touch();
  }

  /** The user compared (or withdrew) a person's code; remembered for later calls. */
  async markVerified(peerId: string, verified: boolean): Promise<void> {
    const entry = this.model.participants.get(peerId)?.roster;
    if (!entry) return;
    await this.verified.set(entry.identityKey, verified, entry.displayName);
    if (verified) this.model.dismissIdentityChange(peerId);
    this.attempt?.verificationsChanged();
  }

  /**
   * Reads someone's identity QR code (shown in their security panel) with the local camera, and
   * marks the person in this call whose identity key it carries as verified. The whole key is
   * compared, not the fingerprint. Rejects with an AbortError when `signal` aborts.
   */
  async scanIdentity(signal: AbortSignal): Promise<ScanResult> {
    const camera = this.options.local.camera;
    if (!camera.track || camera.track.readyState !== 'live' || !camera.enabled)
      return { kind: 'no-camera' };
    const text = await scanQrCode(camera.track, signal, isIdentityQr);
    const key = parseIdentityQr(text);
    if (this.model.selfQrCode === text) return { kind: 'self' };
    for (const p of this.model.participants.values()) {
      if (p.roster && equalBytes(p.roster.identityKey, key)) {
        await this.markVerified(p.peerId, true);
        return { kind: 'verified', peerId: p.peerId, name: p.roster.displayName };
      }
    }
    return { kind: 'unknown' };
  }

  /** The user read the identity-change alert for `peerId` and stays in the call. */
  acknowledgeIdentityChange(peerId: string): void {
    this.model.dismissIdentityChange(peerId);
  }

  setFeedVisible(consumerId: string, visible: boolean): void {
    void this.attempt?.subscriber.setHidden(consumerId, !visible).catch(() => undefined);
  }

  setFeedLayer(consumerId: string, spatialLayer: number): void {
    void this.attempt?.subscriber.setLayer(consumerId, spatialLayer).catch(() => undefined);
  }

  /** Idempotent. Local camera/microphone stay with their owner (the app shell). */
  async leave(): Promise<void> {
    if (this.left) return;
    this.left = true;
    for (const off of this.offs) off();
    this.speakers.close();
    this.stopScreenTrack();
    const attempt = this.attempt;
    this.attempt = null;
    if (this.signalling.connected)
      await this.signalling.request('leave', {}, 2000).catch(() => undefined);
    await attempt?.close();
    this.signalling.close();
    this.model.resetMembers();
    this.model.setPhase('left');
  }

  private async newAttempt(): Promise<void> {
    const { roomId, roomSecret, identity, displayName, mode } = this.options;
    const attempt = new CallAttempt(
      this.signalling,
      { roomId, roomSecret, identity, displayName, mode },
      {
        model: this.model,
        localTracks: () => this.localTracks(),
        rejoin: (reason) => this.rejoin(reason),
        contacts: this.verified,
      },
    );
    this.attempt = attempt;
    await attempt.run();
  }

  private async rejoinLoop(): Promise<void> {
    for (let i = 0; !this.left; i++) {
      await this.attempt?.close();
      this.attempt = null;
      this.model.resetMembers();
      this.model.setPhase('reconnecting');
      try {
        await this.signalling.waitConnected();
        if (this.left) return;
        // The server may still hold our previous join on this socket (`reconnect` notification).
        await this.signalling.request('leave', {}, 3000).catch(() => undefined);
        await this.newAttempt();
        log.info('rejoined', { attempts: i + 1 });
        return;
      } catch (err) {
        log.warn('rejoin failed', { error: err instanceof SignallingError ? err.code : 'error' });
        await delay(RETRY_DELAYS_MS[Math.min(i, RETRY_DELAYS_MS.length - 1)]!);
      }
    }
  }

  private localTracks(): LocalTrack[] {
    const local = this.options.local;
    const out: LocalTrack[] = [];
    const mic = local.microphone.track;
    if (mic) out.push({ source: 'microphone', track: mic, paused: !local.microphone.enabled });
    const cam = local.camera.track;
    if (cam && local.camera.enabled) out.push({ source: 'camera', track: cam, paused: false });
    if (this.screenTrack) out.push({ source: 'screen', track: this.screenTrack, paused: false });
    return out;
  }

  private onLocalTrack(source: LocalSource, track: MediaStreamTrack | null): void {
    if (source === 'camera') {
      this.model.local.camera = track;
      const camOn = this.options.local.camera.enabled && track !== null;
      const changed = camOn !== this.model.local.camOn;
      this.model.local.camOn = camOn;
      this.model.touch();
      if (changed) this.announceMedia();
    }
    if (!track) return;
    this.attempt?.syncLocal().catch((err: unknown) => {
      log.warn('could not send a local track', {
        source,
        error: errorName(err),
      });
    });
  }

  private async stopScreen(): Promise<void> {
    this.stopScreenTrack();
    await this.attempt?.publisher.unpublish('screen');
  }

  private stopScreenTrack(): void {
    this.screenTrack?.stop();
    this.screenTrack = null;
    this.model.local.screen = null;
    this.model.local.screenOn = false;
    this.model.touch();
    this.announceMedia();
  }
}

function toJoinError(err: unknown): JoinError {
  if (err instanceof JoinError) return err;
  if (err instanceof SignallingError) {
    if (err.code === 'UNREACHABLE' || err.code === 'DISCONNECTED' || err.code === 'TIMEOUT') {
      return new JoinError('unreachable', err.message);
    }
    if (err.code === 'ROOM_FULL') return new JoinError('room-full', err.message);
    return new JoinError('rejected', err.message);
  }
  if (err instanceof MlsSessionError && err.code === 'LINK_MISMATCH')
    return new JoinError('link-mismatch', err.message);
  return new JoinError('internal', err instanceof Error ? err.message : 'join failed');
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export type { MediaSource };

/** Each participant's received microphone track, by peer id. */
function microphoneTracks(model: CallModel): Map<string, MediaStreamTrack> {
  const out = new Map<string, MediaStreamTrack>();
  for (const p of model.participants.values()) {
    const track = p.feeds.microphone?.track;
    if (track) out.set(p.peerId, track);
  }
  return out;
}
