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
  RTCPeerConnection,
  RTCRtpCodecParameters,
  RtpHeader,
  RtpPacket,
  Vp8Packetizer,
  Vp8RtpPayload,
  useSdesMid,
  type RTCRtpTransceiver,
} from 'werift';
import type { MediaSource, ProducerInfo } from '../../shared/protocol/index.js';
import { SFrameContext, SFrameError, type FrameLayout } from '../../shared/sframe/index.js';
import { MlsSession } from '../../web/call/MlsSession.js';
import { SignallingClient } from '../../web/call/SignallingClient.js';
import { FRAME_SOURCE_LABEL } from '../../web/e2ee/messages.js';
import { KEY_WAIT_MS, MAX_WAITING_FRAMES } from '../../web/e2ee/worker/FramePipe.js';
import { setLogLevel } from '../../web/util/logger.js';
import type { SenderSample } from '../engine/BrowserParticipant.js';
import { audioFrame, readMark, videoFrame } from './frames.js';
import {
  localDtlsRole,
  localFingerprint,
  MID_URI,
  parseLocalOffer,
  producerRtpParameters,
  receiveOffer,
  sendAnswer,
  type RemoteSection,
  type TransportParams,
} from './sdp.js';

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

export type SyntheticReceive = 'all' | 'audio' | 'none';

export const SYNTHETIC_DEFAULTS = { audioKbps: 32, videoKbps: 150, videoFps: 15 } as const;

const AUDIO_FRAME_MS = 20;
const KEY_FRAME_EVERY_MS = 2000;
/** A key frame asked for (PLI) is sent at most this often. */
const KEY_FRAME_MIN_GAP_MS = 300;
/** A video gap longer than this is a freeze (the report counts those over 500 ms and 1 s). */
const FREEZE_MS = 500;
const MAX_PAYLOAD_BYTES = 1100;
const SOURCES: readonly { kind: MediaKind; source: MediaSource }[] = [
  { kind: 'audio', source: 'microphone' },
  { kind: 'video', source: 'camera' },
];

/** One received stream (a consumer): what came, what decrypted, what the marks said. */
export interface StreamCounters {
  readonly source: MediaSource;
  packets: number;
  /** Packets missing from the sequence (received in order, as RTP numbers them). */
  packetsLost: number;
  bytes: number;
  frames: number;
  decrypted: number;
  /** Decrypted frames with a mark (a synthetic sender's), and of those, wrong ones. */
  marked: number;
  badMarks: number;
  /** Marked frames skipped over (sequence gaps): frames that never arrived or decrypted. */
  framesMissing: number;
  latencyMsSum: number;
  /** Gaps between decrypted frames longer than FREEZE_MS, [from, to] in ms since the epoch. */
  readonly freezes: [number, number][];
  lastDecryptedAt: number | null;
}

export interface FromSender {
  readonly peerId: string;
  failures: number;
  readonly byReason: Record<string, number>;
  readonly streams: StreamCounters[];
}

interface Consumer {
  readonly consumerId: string;
  readonly info: ProducerInfo;
  readonly section: RemoteSection;
  readonly counters: StreamCounters;
  readonly label: Uint8Array;
  readonly otherLabels: readonly Uint8Array[];
  lastRtpSeq: number | null;
  lastMarkSeq: number | null;
  frame: { ts: number; seq: number; chunks: Buffer[] } | null;
  chain: Promise<void>;
  /** Frames whose key has not arrived yet, as the frame worker holds them (FramePipe). */
  waiting: { data: Uint8Array; since: number }[];
}

interface Sending {
  readonly kind: MediaKind;
  readonly transceiver: RTCRtpTransceiver;
  readonly payloadType: number;
  readonly ssrc: number;
  seq: number;
  frames: number;
}

function peerConnection(): RTCPeerConnection {
  return new RTCPeerConnection({
    iceServers: [],
    iceUseIpv6: false,
    bundlePolicy: 'max-bundle',
    codecs: {
      audio: [new RTCRtpCodecParameters({ mimeType: 'audio/opus', clockRate: 48000, channels: 2 })],
      video: [
        new RTCRtpCodecParameters({
          mimeType: 'video/VP8',
          clockRate: 90000,
          rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }],
        }),
      ],
    },
    headerExtensions: { audio: [useSdesMid()], video: [useSdesMid()] },
  });
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

function reasonOf(err: unknown): string {
  return err instanceof SFrameError ? err.code : 'INTERNAL';
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
  readonly from = new Map<string, FromSender>();
  private readonly signalling: SignallingClient;
  private readonly ctx = new SFrameContext();
  private session: MlsSession | null = null;
  private keyOps: Promise<unknown> = Promise.resolve();
  private sendPc: RTCPeerConnection | null = null;
  private recvPc: RTCPeerConnection | null = null;
  private recvTransport: (TransportParams & { transportId: string }) | null = null;
  private recvConnected = false;
  private readonly consumers: Consumer[] = [];
  private readonly byMid = new Map<string, Consumer>();
  private recvQueue: Promise<void> = Promise.resolve();
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

  snapshot(): SyntheticSnapshot {
    const inBytes = { audio: 0, video: 0 };
    let packets = 0;
    let packetsLost = 0;
    for (const c of this.consumers) {
      inBytes[c.section.kind] += c.counters.bytes;
      packets += c.counters.packets;
      packetsLost += c.counters.packetsLost;
    }
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
    this.timers.push(setInterval(() => this.retryWaiting(), 1000));
    await session.start();
    await this.startSending();
    const recv = await sig.request('createTransport', { direction: 'recv' });
    this.recvTransport = recv;
    this.recvPc = peerConnection();
    this.recvPc.ontrack = ({ track, transceiver }) => {
      track.onReceiveRtp.subscribe((rtp) => {
        const c = transceiver.mid === null ? undefined : this.byMid.get(transceiver.mid);
        if (c) this.onRtp(c, rtp);
      });
    };
    const known = new Set(joined.producers.map((p) => p.producerId));
    this.consumeAll([
      ...joined.producers,
      ...this.earlyProducers.splice(0).filter((p) => !known.has(p.producerId)),
    ]);
    await this.recvQueue;
  }

  private keyOp(op: () => Promise<unknown> | void): void {
    this.keyOps = this.keyOps
      .then(op)
      .catch((err: unknown) => this.note(`key: ${reasonOf(err)}`))
      .then(() => this.retryWaiting());
  }

  /** A key arrived: frames waiting for one try again, in order; those past the wait are lost. */
  private retryWaiting(): void {
    for (const c of this.consumers) {
      if (c.waiting.length === 0) continue;
      const frames = c.waiting.splice(0);
      c.chain = c.chain.then(async () => {
        for (const f of frames) await this.open(c, f.data, f.since);
      });
    }
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
      if (this.recvTransport) this.consumeAll([info]);
      else this.earlyProducers.push(info);
    });
    sig.onNotification('consumerClosed', ({ consumerId }) => {
      const c = this.consumers.find((x) => x.consumerId === consumerId);
      if (c) c.section.closed = true;
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

  /** Consumes producers one batch at a time: each batch is one renegotiation of the receiver. */
  private consumeAll(infos: readonly ProducerInfo[]): void {
    const want = this.options.receive;
    const mine = infos.filter(
      (i) =>
        i.peerId !== this.peerId && (want === 'all' || (want === 'audio' && i.kind === 'audio')),
    );
    if (mine.length === 0) return;
    this.recvQueue = this.recvQueue
      .then(() => this.addConsumers(mine))
      .catch((err: unknown) =>
        this.note(`consume: ${err instanceof Error ? err.message : String(err)}`),
      );
  }

  private async addConsumers(infos: readonly ProducerInfo[]): Promise<void> {
    const t = this.recvTransport;
    const pc = this.recvPc;
    if (!t || !pc || this.closed) return;
    const added: Consumer[] = [];
    for (const info of infos) {
      let res;
      try {
        res = await this.signalling.request('consume', {
          transportId: t.transportId,
          producerId: info.producerId,
        });
      } catch (err) {
        this.note(
          `consume ${info.kind} of ${info.peerId}: ${err instanceof Error ? err.message : String(err)}`,
        );
        continue;
      }
      const counters: StreamCounters = {
        source: res.source,
        packets: 0,
        packetsLost: 0,
        bytes: 0,
        frames: 0,
        decrypted: 0,
        marked: 0,
        badMarks: 0,
        framesMissing: 0,
        latencyMsSum: 0,
        freezes: [],
        lastDecryptedAt: null,
      };
      const other = res.source === 'camera' ? 'screen' : res.source === 'screen' ? 'camera' : null;
      const c: Consumer = {
        consumerId: res.consumerId,
        info: { ...info, source: res.source, kind: res.kind },
        section: { kind: res.kind, rtpParameters: res.rtpParameters, closed: false },
        counters,
        label: Uint8Array.of(FRAME_SOURCE_LABEL[res.source]),
        otherLabels: other === null ? [] : [Uint8Array.of(FRAME_SOURCE_LABEL[other])],
        lastRtpSeq: null,
        lastMarkSeq: null,
        frame: null,
        chain: Promise.resolve(),
        waiting: [],
      };
      this.senderOf(res.peerId).streams.push(counters);
      this.consumers.push(c);
      this.byMid.set(res.rtpParameters.mid!, c);
      added.push(c);
    }
    if (added.length === 0) return;
    await pc.setRemoteDescription({
      type: 'offer',
      sdp: receiveOffer(
        t,
        this.consumers.map((x) => x.section),
      ),
    });
    const answer = await pc.createAnswer();
    // The SFU's transport learns our DTLS parameters before werift starts ICE and DTLS (at
    // setLocalDescription), as mediasoup-client does: otherwise a quick handshake moves the
    // transport out of 'new' and the SFU refuses the connect as already connected.
    if (!this.recvConnected) {
      this.recvConnected = true;
      await this.signalling.request('connectTransport', {
        transportId: t.transportId,
        dtlsParameters: {
          role: localDtlsRole(answer.sdp),
          fingerprints: [{ algorithm: 'sha-256', value: localFingerprint(answer.sdp) }],
        },
      });
    }
    await pc.setLocalDescription(answer);
    for (const c of added) {
      await this.signalling.request('resumeConsumer', { consumerId: c.consumerId });
      if (c.section.kind === 'video')
        await this.signalling
          .request('requestKeyFrame', { consumerId: c.consumerId })
          .catch(() => undefined);
    }
  }

  private senderOf(peerId: string): FromSender {
    let s = this.from.get(peerId);
    if (!s) this.from.set(peerId, (s = { peerId, failures: 0, byReason: {}, streams: [] }));
    return s;
  }

  private onRtp(c: Consumer, rtp: RtpPacket): void {
    const n = c.counters;
    const seq = rtp.header.sequenceNumber;
    n.packets++;
    n.bytes += rtp.payload.length;
    if (c.lastRtpSeq !== null) {
      const step = (seq - c.lastRtpSeq) & 0xffff;
      if (step === 0 || step > 0x8000) return; // a duplicate or a late packet
      n.packetsLost += step - 1;
    }
    const gap = c.lastRtpSeq !== null && ((seq - c.lastRtpSeq) & 0xffff) !== 1;
    c.lastRtpSeq = seq;
    if (c.section.kind === 'audio') return this.onFrame(c, rtp.payload);
    // VP8 (RFC 7741 §4): a frame starts at S=1, PID=0 and ends at the marker bit.
    const vp8 = Vp8RtpPayload.deSerialize(rtp.payload);
    const ts = rtp.header.timestamp;
    if (vp8.sBit === 1 && vp8.pid === 0) c.frame = { ts, seq, chunks: [vp8.payload] };
    else if (c.frame && c.frame.ts === ts && !gap) c.frame.chunks.push(vp8.payload);
    else c.frame = null;
    if (rtp.header.marker && c.frame) {
      const frame = Buffer.concat(c.frame.chunks);
      c.frame = null;
      this.onFrame(c, frame);
    }
  }

  private onFrame(c: Consumer, frame: Uint8Array): void {
    c.counters.frames++;
    const data = new Uint8Array(frame);
    c.chain = c.chain.then(() => this.open(c, data));
  }

  private async open(c: Consumer, data: Uint8Array, since = Date.now()): Promise<void> {
    const sender = this.senderOf(c.info.peerId);
    const layout: FrameLayout = c.section.kind === 'video' ? 'vp8' : 'opus';
    await this.keyOps;
    let result;
    try {
      result = await this.ctx.decrypt(data, layout, c.label, c.otherLabels);
    } catch (err) {
      const reason = reasonOf(err);
      const waits = Date.now() - since < KEY_WAIT_MS && c.waiting.length < MAX_WAITING_FRAMES;
      if (reason === 'UNKNOWN_KID' && waits) c.waiting.push({ data, since });
      else this.failed(sender, reason);
      return;
    }
    // The server chose whom this consumer belongs to; the key proves who sealed the frame.
    if (result.owner !== c.info.peerId) return this.failed(sender, 'WRONG_SENDER');
    const plaintext = result.plaintext;
    const n = c.counters;
    const now = Date.now();
    n.decrypted++;
    if (this.firstFrameMs === null) this.firstFrameMs = now - this.joinStartedAt;
    if (
      c.section.kind === 'video' &&
      n.lastDecryptedAt !== null &&
      now - n.lastDecryptedAt > FREEZE_MS
    )
      n.freezes.push([n.lastDecryptedAt, now]);
    n.lastDecryptedAt = now;
    const mark = readMark(plaintext, c.section.kind === 'video');
    if (mark === null) return; // a browser's frame: no mark to check
    n.marked++;
    // A frame of another source under this consumer is a swap the label check should have
    // refused: a bad mark. Order is not: a frame that waited for its key may come after newer
    // ones (SFrame's replay window refuses true copies), so it fills the gap it left.
    if (mark.label !== FRAME_SOURCE_LABEL[c.info.source]) n.badMarks++;
    if (c.lastMarkSeq === null || mark.seq > c.lastMarkSeq) {
      if (c.lastMarkSeq !== null) n.framesMissing += mark.seq - c.lastMarkSeq - 1;
      c.lastMarkSeq = mark.seq;
    } else if (n.framesMissing > 0) n.framesMissing--;
    n.latencyMsSum += Math.max(0, now - mark.sentAt);
  }

  private failed(sender: FromSender, reason: string): void {
    sender.failures++;
    sender.byReason[reason] = (sender.byReason[reason] ?? 0) + 1;
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
    await Promise.all([this.sendPc?.close(), this.recvPc?.close()]).catch(() => undefined);
    this.ctx.close();
  }
}
