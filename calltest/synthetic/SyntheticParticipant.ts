/**
 * A synthetic participant: a call member without a browser, for rooms larger than this machine's
 * browsers allow. It goes through everything a browser does that the server or the other members
 * can see: the same signalling (web/call/SignallingClient), the same MLS session and key schedule
 * (web/call/MlsSession), the same SFrame cipher and per-source labels as the frame worker
 * (shared/sframe, web/e2ee/messages), and real WebRTC transports (werift: ICE, DTLS-SRTP) to the
 * SFU. What it sends is marked frames (frames.ts), which its receivers check after decryption;
 * what it receives from everyone is decrypted and counted by sender and reason like a page does.
 */
import { randomBytes } from '@noble/hashes/utils.js';
import type { MediaKind, RtpCapabilities } from 'mediasoup-client/types';
import {
  RtpHeader,
  RtpPacket,
  Vp8Packetizer,
  type RTCPeerConnection,
  type RTCRtpTransceiver,
} from 'werift';
import type { MediaSource, ProducerInfo } from '../../shared/protocol/index.js';
import { SFrameContext, type FrameLayout } from '../../shared/sframe/index.js';
import { MlsSession } from '../../web/call/MlsSession.js';
import { SignallingClient } from '../../web/call/SignallingClient.js';
import { FRAME_SOURCE_LABEL } from '../../web/e2ee/messages.js';
import { setLogLevel } from '../../web/util/logger.js';
import type { SenderSample } from '../engine/BrowserParticipant.js';
import { audioFrame, videoFrame } from './frames.js';
import { peerConnection } from './peerConnection.js';
import {
  localDtlsRole,
  localFingerprint,
  MID_URI,
  parseLocalOffer,
  producerRtpParameters,
  sendAnswer,
} from './sdp.js';
import {
  reasonOf,
  SyntheticReceiver,
  type FromSender,
  type SyntheticReceive,
} from './SyntheticReceiver.js';

export type { FromSender, StreamCounters, SyntheticReceive } from './SyntheticReceiver.js';

export interface SyntheticOptions {
  readonly name: string;
  readonly origin: string;
  readonly roomId: string;
  readonly roomSecret: Uint8Array;
  readonly audioKbps: number;
  readonly videoKbps: number;
  readonly videoFps: number;
  /**
   * What it consumes: everyone's audio and video, only audio (a lighter receiver: decrypting
   * every stream costs the tool about a tenth of a core per participant in a 13-person call),
   * or nothing (a sender only).
   */
  readonly receive: SyntheticReceive;
}

export const SYNTHETIC_DEFAULTS = { audioKbps: 32, videoKbps: 150, videoFps: 15 } as const;

const AUDIO_FRAME_MS = 20;
const KEY_FRAME_EVERY_MS = 2000;
/** A key frame asked for (PLI) is sent at most this often. */
const KEY_FRAME_MIN_GAP_MS = 300;
const MAX_PAYLOAD_BYTES = 1100;
const SOURCES: readonly { kind: MediaKind; source: MediaSource }[] = [
  { kind: 'audio', source: 'microphone' },
  { kind: 'video', source: 'camera' },
];

interface Sending {
  readonly kind: MediaKind;
  readonly transceiver: RTCRtpTransceiver;
  readonly payloadType: number;
  readonly ssrc: number;
  seq: number;
  frames: number;
}

/** The SFU's capabilities reduced to what a synthetic participant receives: Opus, VP8, MID. */
function receiveCapabilities(router: RtpCapabilities): RtpCapabilities {
  return {
    codecs: (router.codecs ?? []).filter((c) =>
      ['audio/opus', 'video/vp8'].includes(c.mimeType.toLowerCase()),
    ),
    headerExtensions: (router.headerExtensions ?? []).filter((e) => e.uri === MID_URI),
  };
}

/** Totals at one moment, to measure a window's bitrates and loss. */
export interface SyntheticSnapshot {
  readonly t: number;
  readonly inBytes: { readonly audio: number; readonly video: number };
  readonly outBytes: { readonly audio: number; readonly video: number };
  readonly packets: number;
  readonly packetsLost: number;
}

export class SyntheticParticipant {
  readonly kind = 'synthetic';
  peerId: string | null = null;
  /** Counters per sender over time (the same samples a browser participant keeps). */
  readonly history = new Map<string, SenderSample[]>();
  /** Every peer it received from or its MLS group listed, with whether MLS admitted it. */
  readonly seenPeers = new Map<string, boolean>();
  windowStart: SyntheticSnapshot | null = null;
  windowEnd: SyntheticSnapshot | null = null;
  readonly peerIds = new Set<string>();
  joinMs: number | null = null;
  firstFrameMs: number | null = null;
  joinError: string | null = null;
  reconnects = 0;
  framesEncrypted = 0;
  bytesSent = { audio: 0, video: 0 };
  readonly errors: string[] = [];
  private readonly signalling: SignallingClient;
  private readonly ctx = new SFrameContext();
  private session: MlsSession | null = null;
  private keyOps: Promise<unknown> = Promise.resolve();
  private sendPc: RTCPeerConnection | null = null;
  private readonly receiver: SyntheticReceiver;
  private readonly earlyProducers: ProducerInfo[] = [];
  private readonly sending: Sending[] = [];
  private timers: ReturnType<typeof setInterval>[] = [];
  private joinStartedAt = 0;
  private startedAt = 0;
  private lastKeyFrameAt = 0;
  private keyFrameWanted = true;
  private vp8: Vp8Packetizer | null = null;
  private closed = false;

  constructor(readonly options: SyntheticOptions) {
    // The web modules log through the console; a run's terminal shows its own progress instead,
    // unless BLINDCALL_CALLTEST_LOG asks for their logs (debug, info, warn).
    const level = process.env['BLINDCALL_CALLTEST_LOG'];
    setLogLevel(level === 'debug' || level === 'info' || level === 'warn' ? level : 'error');
    this.signalling = new SignallingClient(options.origin);
    this.receiver = new SyntheticReceiver({
      signalling: this.signalling,
      ctx: this.ctx,
      receive: options.receive,
      selfPeerId: () => this.peerId,
      keysSettled: () => this.keyOps,
      note: (error) => this.note(error),
      decrypted: (kid) => {
        const now = Date.now();
        if (this.firstFrameMs === null) this.firstFrameMs = now - this.joinStartedAt;
        this.session?.framesSeen(kid, now);
      },
    });
  }

  get name(): string {
    return this.options.name;
  }

  /** This member's MLS view: the room code, and the peers its group admitted. */
  get securityCode(): string | null {
    return this.session?.roomCode()?.full ?? null;
  }

  get admitted(): ReadonlySet<string> {
    return new Set((this.session?.members ?? []).map((m) => m.peerId));
  }

  /** Records each sender's counters now, and whom the MLS group admitted. */
  sample(): void {
    const t = Date.now();
    const admitted = this.admitted;
    for (const [peerId, f] of this.from) {
      const framesDecrypted = f.streams.reduce((n, s) => n + s.decrypted, 0);
      let h = this.history.get(peerId);
      if (!h) this.history.set(peerId, (h = []));
      h.push({ t, framesDecrypted, failures: f.failures });
      this.seenPeers.set(peerId, (this.seenPeers.get(peerId) ?? false) || admitted.has(peerId));
    }
    for (const peerId of admitted) if (peerId !== this.peerId) this.seenPeers.set(peerId, true);
  }

  /** Frames decrypted from `peerId` so far (every stream of it). */
  decryptedFrom(peerId: string): number {
    return (this.from.get(peerId)?.streams ?? []).reduce((n, s) => n + s.decrypted, 0);
  }

  /** What it received, by sender. */
  get from(): ReadonlyMap<string, FromSender> {
    return this.receiver.from;
  }

  snapshot(): SyntheticSnapshot {
    const { inBytes, packets, packetsLost } = this.receiver.totals();
    return { t: Date.now(), inBytes, outBytes: { ...this.bytesSent }, packets, packetsLost };
  }

  /** Joins and starts sending; records why it failed (never throws). */
  async join(timeoutMs: number): Promise<boolean> {
    this.joinStartedAt = Date.now();
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      await Promise.race([
        this.run(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no join within ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
      return true;
    } catch (err) {
      this.joinError = err instanceof Error ? err.message : String(err);
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  private async run(): Promise<void> {
    const sig = this.signalling;
    this.listen();
    await sig.connect();
    const { routerRtpCapabilities } = await sig.request('getRouterRtpCapabilities', {});
    const joined = await sig.request('join', {
      roomId: this.options.roomId,
      rtpCapabilities: receiveCapabilities(routerRtpCapabilities),
    });
    this.peerId = joined.peerId;
    this.peerIds.add(joined.peerId);
    this.joinMs = Date.now() - this.joinStartedAt;
    const session = new MlsSession(
      {
        roomId: this.options.roomId,
        selfPeerId: joined.peerId,
        roomSecret: this.options.roomSecret,
        identity: randomBytes(32),
        displayName: this.options.name,
      },
      {
        request: (name, req) => sig.request(name, req),
        // The session wipes key bytes once a sink returns: copy them before queueing.
        setSenderKey: (kid, key) => {
          const k = new Uint8Array(key);
          this.keyOp(() => this.ctx.setSenderKey(kid, k));
        },
        addReceiverKey: (peerId, kid, key) => {
          const k = new Uint8Array(key);
          this.keyOp(() => this.ctx.addReceiverKey(kid, k, peerId));
        },
        removeReceiverKey: (kid, peerId) =>
          this.keyOp(() => this.ctx.removeReceiverKey(kid, peerId ?? undefined)),
        localMedia: () => ({
          microphone: true,
          camera: this.options.videoKbps > 0,
          screen: false,
        }),
      },
    );
    session.on('warning', (code) => this.note(`MLS warning ${code}`));
    this.session = session;
    // Frames still waiting for a key when none comes are counted lost once their wait is over.
    this.timers.push(setInterval(() => this.receiver.retryWaiting(), 1000));
    await session.start();
    await this.startSending();
    const recv = await sig.request('createTransport', { direction: 'recv' });
    this.receiver.start(recv);
    const known = new Set(joined.producers.map((p) => p.producerId));
    this.receiver.consumeAll([
      ...joined.producers,
      ...this.earlyProducers.splice(0).filter((p) => !known.has(p.producerId)),
    ]);
    await this.receiver.settled();
  }

  private keyOp(op: () => Promise<unknown> | void): void {
    this.keyOps = this.keyOps
      .then(op)
      .catch((err: unknown) => this.note(`key: ${reasonOf(err)}`))
      .then(() => this.receiver.retryWaiting());
  }

  private note(error: string): void {
    if (this.errors.length < 50) this.errors.push(error);
  }

  private listen(): void {
    const sig = this.signalling;
    sig.onNotification('mlsCommit', (m) => void this.session?.commit(m));
    sig.onNotification('mlsMessage', (m) => void this.session?.message(m));
    sig.onNotification('mlsEpochReady', (m) => void this.session?.epochReady(m));
    sig.onNotification('peerLeft', (m) => void this.session?.peerLeft(m.peerId));
    // A producer made while we join is in neither the join's list nor consumable yet: keep it.
    sig.onNotification('newProducer', (info) => {
      if (this.receiver.ready) this.receiver.consumeAll([info]);
      else this.earlyProducers.push(info);
    });
    sig.onNotification('consumerClosed', ({ consumerId }) => {
      this.receiver.consumerClosed(consumerId);
    });
    sig.onNotification('reconnect', ({ reason }) => {
      this.reconnects++;
      this.note(`the server asked for a reconnect (${reason})`);
    });
    sig.on('disconnected', (reason) => {
      if (!this.closed) {
        this.reconnects++;
        this.note(`signalling dropped (${reason})`);
      }
    });
  }

  /** Produces a microphone and a camera on one send transport, then sends marked frames. */
  private async startSending(): Promise<void> {
    const sig = this.signalling;
    const t = await sig.request('createTransport', { direction: 'send' });
    const pc = peerConnection();
    this.sendPc = pc;
    const sources = SOURCES.filter((s) => s.kind === 'audio' || this.options.videoKbps > 0);
    const transceivers = sources.map((s) => pc.addTransceiver(s.kind, { direction: 'sendonly' }));
    await pc.setLocalDescription(await pc.createOffer());
    const offer = pc.localDescription!.sdp;
    const local = parseLocalOffer(offer);
    await sig.request('connectTransport', {
      transportId: t.transportId,
      dtlsParameters: {
        role: localDtlsRole(offer),
        fingerprints: [{ algorithm: 'sha-256', value: localFingerprint(offer) }],
      },
    });
    await pc.setRemoteDescription({ type: 'answer', sdp: sendAnswer(t, local) });
    for (const [i, s] of sources.entries()) {
      const section = local.find((l) => l.kind === s.kind)!;
      await sig.request('produce', {
        transportId: t.transportId,
        kind: s.kind,
        rtpParameters: producerRtpParameters(section),
        source: s.source,
      });
      const transceiver = transceivers[i]!;
      this.sending.push({
        kind: s.kind,
        transceiver,
        payloadType: section.payloadType,
        ssrc: section.ssrc,
        seq: Math.floor(Math.random() * 0xffff),
        frames: 0,
      });
      if (s.kind === 'video')
        transceiver.sender.onPictureLossIndication.subscribe(() => (this.keyFrameWanted = true));
    }
    const video = this.sending.find((s) => s.kind === 'video');
    if (video)
      this.vp8 = new Vp8Packetizer({
        payloadType: video.payloadType,
        ssrc: video.ssrc,
        maxPayloadSize: MAX_PAYLOAD_BYTES,
      });
    this.startedAt = performance.now();
    this.timers.push(setInterval(() => void this.sendAudio(), AUDIO_FRAME_MS));
    this.timers.push(
      setInterval(() => void this.sendVideo(), Math.round(1000 / this.options.videoFps)),
    );
  }

  private async seal(frame: Uint8Array, layout: FrameLayout, source: MediaSource) {
    await this.keyOps;
    if (this.ctx.senderKid === null) return null;
    try {
      const sealed = await this.ctx.encrypt(
        frame,
        layout,
        Uint8Array.of(FRAME_SOURCE_LABEL[source]),
      );
      this.framesEncrypted++;
      return sealed;
    } catch (err) {
      this.note(`encrypt: ${reasonOf(err)}`);
      return null;
    }
  }

  private async sendAudio(): Promise<void> {
    const s = this.sending.find((x) => x.kind === 'audio');
    if (!s || this.closed) return;
    const bytes = Math.round((this.options.audioKbps * AUDIO_FRAME_MS) / 8);
    const seq = s.frames++;
    const frame = audioFrame(bytes, {
      label: FRAME_SOURCE_LABEL.microphone,
      seq,
      sentAt: Date.now(),
    });
    const sealed = await this.seal(frame, 'opus', 'microphone');
    if (!sealed || this.closed) return;
    const timestamp = Math.round((performance.now() - this.startedAt) * 48) >>> 0;
    const header = new RtpHeader({
      payloadType: s.payloadType,
      sequenceNumber: (s.seq = (s.seq + 1) & 0xffff),
      timestamp,
      ssrc: s.ssrc,
      marker: false,
    });
    this.bytesSent.audio += sealed.length;
    await s.transceiver.sender.sendRtp(new RtpPacket(header, Buffer.from(sealed)));
  }

  private async sendVideo(): Promise<void> {
    const s = this.sending.find((x) => x.kind === 'video');
    if (!s || !this.vp8 || this.closed) return;
    const now = performance.now();
    const key =
      now - this.lastKeyFrameAt >= KEY_FRAME_EVERY_MS ||
      (this.keyFrameWanted && now - this.lastKeyFrameAt >= KEY_FRAME_MIN_GAP_MS);
    const bytes = Math.round((this.options.videoKbps * 1000) / 8 / this.options.videoFps);
    const seq = s.frames++;
    const frame = videoFrame(bytes, key, {
      label: FRAME_SOURCE_LABEL.camera,
      seq,
      sentAt: Date.now(),
    });
    const sealed = await this.seal(frame, 'vp8', 'camera');
    if (!sealed || this.closed) return;
    if (key) {
      this.lastKeyFrameAt = now;
      this.keyFrameWanted = false;
    }
    const timestamp = Math.round((now - this.startedAt) * 90) >>> 0;
    this.bytesSent.video += sealed.length;
    for (const packet of this.vp8.packetize(Buffer.from(sealed), timestamp))
      await s.transceiver.sender.sendRtp(packet);
  }

  /** Leaves the room and closes every transport; idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    if (this.peerId !== null) await this.signalling.request('leave', {}).catch(() => undefined);
    this.session?.close();
    this.signalling.close();
    await Promise.all([this.sendPc?.close(), this.receiver.close()]).catch(() => undefined);
    this.ctx.close();
  }
}
