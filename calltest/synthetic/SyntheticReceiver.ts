/**
 * The receiving side of a synthetic participant: one receive transport (a werift peer
 * connection the SFU's offers renegotiate, one section per consumer), RTP to frames (VP8 by its
 * payload descriptor, RFC 7741 §4; Opus one frame per packet), each frame decrypted like the
 * frame worker does (waiting up to KEY_WAIT_MS for its key, refused under a wrong sender or
 * source label) and counted by sender and reason, and the marks of synthetic senders checked.
 */
import type { RTCPeerConnection, RtpPacket } from 'werift';
import { Vp8RtpPayload } from 'werift';
import type { MediaSource, ProducerInfo } from '../../shared/protocol/index.js';
import { SFrameError, type FrameLayout, type SFrameContext } from '../../shared/sframe/index.js';
import type { SignallingClient } from '../../web/call/SignallingClient.js';
import { FRAME_SOURCE_LABEL } from '../../web/e2ee/messages.js';
import { KEY_WAIT_MS, MAX_WAITING_FRAMES } from '../../web/e2ee/worker/FramePipe.js';
import { readMark } from './frames.js';
import {
  localDtlsRole,
  localFingerprint,
  receiveOffer,
  type RemoteSection,
  type TransportParams,
} from './sdp.js';
import { peerConnection } from './peerConnection.js';

/** A video gap longer than this is a freeze (the report counts those over 500 ms and 1 s). */
const FREEZE_MS = 500;

export type SyntheticReceive = 'all' | 'audio' | 'none';

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

export function reasonOf(err: unknown): string {
  return err instanceof SFrameError ? err.code : 'INTERNAL';
}

/** What the receiver needs from its participant. */
export interface ReceiverHost {
  readonly signalling: SignallingClient;
  readonly ctx: SFrameContext;
  readonly receive: SyntheticReceive;
  selfPeerId(): string | null;
  /** Resolves once every key operation handed to the context so far is done. */
  keysSettled(): Promise<unknown>;
  note(error: string): void;
  /** A frame decrypted under `kid` (the participant times its first; MLS counts it as life). */
  decrypted(kid: number): void;
}

export class SyntheticReceiver {
  readonly from = new Map<string, FromSender>();
  private readonly consumers: Consumer[] = [];
  private readonly byMid = new Map<string, Consumer>();
  private queue: Promise<void> = Promise.resolve();
  private transport: (TransportParams & { transportId: string }) | null = null;
  private pc: RTCPeerConnection | null = null;
  private connected = false;
  private closed = false;

  constructor(private readonly host: ReceiverHost) {}

  /** The receive transport exists: consumers can be made on it. */
  get ready(): boolean {
    return this.transport !== null;
  }

  start(transport: TransportParams & { transportId: string }): void {
    this.transport = transport;
    this.pc = peerConnection();
    this.pc.ontrack = ({ track, transceiver }) => {
      track.onReceiveRtp.subscribe((rtp) => {
        const c = transceiver.mid === null ? undefined : this.byMid.get(transceiver.mid);
        if (c) this.onRtp(c, rtp);
      });
    };
  }

  /** Resolves when every consume asked for so far is done. */
  settled(): Promise<void> {
    return this.queue;
  }

  /** Bytes and packets received so far, and packets missing from the sequences. */
  totals(): { inBytes: { audio: number; video: number }; packets: number; packetsLost: number } {
    const inBytes = { audio: 0, video: 0 };
    let packets = 0;
    let packetsLost = 0;
    for (const c of this.consumers) {
      inBytes[c.section.kind] += c.counters.bytes;
      packets += c.counters.packets;
      packetsLost += c.counters.packetsLost;
    }
    return { inBytes, packets, packetsLost };
  }

  /** A key arrived: frames waiting for one try again, in order; those past the wait are lost. */
  retryWaiting(): void {
    for (const c of this.consumers) {
      if (c.waiting.length === 0) continue;
      const frames = c.waiting.splice(0);
      c.chain = c.chain.then(async () => {
        for (const f of frames) await this.open(c, f.data, f.since);
      });
    }
  }

  /** Consumes producers one batch at a time: each batch is one renegotiation of the receiver. */
  consumeAll(infos: readonly ProducerInfo[]): void {
    const want = this.host.receive;
    const mine = infos.filter(
      (i) =>
        i.peerId !== this.host.selfPeerId() &&
        (want === 'all' || (want === 'audio' && i.kind === 'audio')),
    );
    if (mine.length === 0) return;
    this.queue = this.queue
      .then(() => this.addConsumers(mine))
      .catch((err: unknown) =>
        this.host.note(`consume: ${err instanceof Error ? err.message : String(err)}`),
      );
  }

  private async addConsumers(infos: readonly ProducerInfo[]): Promise<void> {
    const t = this.transport;
    const pc = this.pc;
    if (!t || !pc || this.closed) return;
    const added: Consumer[] = [];
    for (const info of infos) {
      let res;
      try {
        res = await this.host.signalling.request('consume', {
          transportId: t.transportId,
          producerId: info.producerId,
        });
      } catch (err) {
        this.host.note(
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
    if (!this.connected) {
      this.connected = true;
      await this.host.signalling.request('connectTransport', {
        transportId: t.transportId,
        dtlsParameters: {
          role: localDtlsRole(answer.sdp),
          fingerprints: [{ algorithm: 'sha-256', value: localFingerprint(answer.sdp) }],
        },
      });
    }
    await pc.setLocalDescription(answer);
    for (const c of added) {
      await this.host.signalling.request('resumeConsumer', { consumerId: c.consumerId });
      if (c.section.kind === 'video')
        await this.host.signalling
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
    await this.host.keysSettled();
    let result;
    try {
      result = await this.host.ctx.decrypt(data, layout, c.label, c.otherLabels);
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
    this.host.decrypted(result.kid);
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

  /** The SFU closed a consumer: its section goes inactive at the next renegotiation. */
  consumerClosed(consumerId: string): void {
    const c = this.consumers.find((x) => x.consumerId === consumerId);
    if (c) c.section.closed = true;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.pc?.close();
  }
}
