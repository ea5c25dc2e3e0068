/**
 * Local producers: camera, microphone and screen. The encrypting transform is attached in
 * mediasoup-client's `onRtpSender` hook, which runs right after the RTCRtpSender is created and
 * before negotiation, so no frame can leave without passing through the frame worker.
 */
import type { types } from 'mediasoup-client';
import type { MediaSource } from '../../shared/protocol/index.js';
import type { FrameCryptor } from '../e2ee/FrameCryptor.js';
import type {} from '../types/webrtc-extensions.js';
import { createLogger } from '../util/logger.js';
import { sendParameters } from './encodings.js';
import type { MediaSession, PublishAppData } from './MediaSession.js';
import type { SignallingClient } from './SignallingClient.js';

const log = createLogger('Publisher');

/**
 * The server's keyFrameNeeded hints are honoured at most this often per producer: a hostile server
 * could only make us spend bitrate on key frames, as it can with RTCP key-frame requests anyway.
 */
const KEY_FRAME_HINT_INTERVAL_MS = 250;

interface Published {
  readonly producer: types.Producer;
  readonly transformId: string;
  lastKeyFrameHint: number;
}

export class Publisher {
  private readonly published = new Map<MediaSource, Published>();
  private closed = false;

  constructor(
    private readonly media: MediaSession,
    private readonly signalling: SignallingClient,
    private readonly cryptor: FrameCryptor,
  ) {}

  has(source: MediaSource): boolean {
    return this.published.has(source);
  }

  /** Transform ids of local senders, by source (to label the worker's stats). */
  transformIds(): Map<string, MediaSource> {
    return new Map([...this.published].map(([source, p]) => [p.transformId, source]));
  }

  async publish(source: MediaSource, track: MediaStreamTrack, paused = false): Promise<void> {
    if (this.closed || this.published.has(source)) return;
    let transformId: string | null = null;
    const appData: PublishAppData = { source, paused };
    const producer = await this.media.send.produce({
      track,
      ...sendParameters(source, this.media.device),
      stopTracks: false,
      zeroRtpOnPause: source !== 'microphone',
      appData,
      onRtpSender: (sender) => {
        const media = track.kind === 'audio' ? 'audio' : 'video';
        transformId = this.cryptor.attachSender(sender, media, source);
      },
    });
    if (transformId === null) {
      // Cannot happen with mediasoup-client's Chrome/Firefox/Safari handlers; refuse to go on
      // rather than send frames we did not encrypt.
      producer.close();
      await this.signalling
        .request('closeProducer', { producerId: producer.id })
        .catch(() => undefined);
      throw new Error('no encoded transform was attached to the sender');
    }
    if (this.closed) {
      producer.close();
      return;
    }
    if (paused) producer.pause();
    this.published.set(source, { producer, transformId, lastKeyFrameHint: -Infinity });
    producer.on('trackended', () => log.warn('local track ended', { source }));
    log.debug('published', { source, producerId: producer.id });
  }

  async replaceTrack(source: MediaSource, track: MediaStreamTrack): Promise<void> {
    const producer = this.published.get(source)?.producer;
    if (producer && producer.track !== track) await producer.replaceTrack({ track });
  }

  /**
   * The SFU moved the consumers of one of our simulcast layers down to `spatialLayer` because a
   * higher layer stopped (our uplink estimate fell): encode a key frame of that layer now, so they
   * can switch without waiting for their own RTCP requests, which Chrome throttles.
   */
  async keyFrameNeeded(producerId: string, spatialLayer: number): Promise<void> {
    const entry = [...this.published.values()].find((p) => p.producer.id === producerId);
    const producer = entry?.producer;
    const sender = producer?.rtpSender;
    if (!entry || !producer || !sender || producer.kind !== 'video' || producer.paused) return;
    const rid = producer.rtpParameters.encodings?.[spatialLayer]?.rid;
    if (rid === undefined) return;
    const now = performance.now();
    if (now - entry.lastKeyFrameHint < KEY_FRAME_HINT_INTERVAL_MS) return;
    entry.lastKeyFrameHint = now;
    // Firefox ignores setParameters' keyFrame option; its encoded transform can do it instead.
    if (this.cryptor.requestKeyFrame(entry.transformId, rid)) {
      log.debug('key frame requested by the SFU (transform)', { producerId, rid });
      return;
    }
    const params = sender.getParameters();
    if (!params.encodings.some((e) => e.rid === rid)) return;
    await sender.setParameters(params, {
      encodingOptions: params.encodings.map((e) => ({ keyFrame: e.rid === rid })),
    });
    log.debug('key frame requested by the SFU', { producerId, rid });
  }

  async setPaused(source: MediaSource, paused: boolean): Promise<void> {
    const entry = this.published.get(source);
    if (!entry || entry.producer.paused === paused) return;
    if (paused) entry.producer.pause();
    else entry.producer.resume();
    const producerId = entry.producer.id;
    await this.signalling.request(paused ? 'pauseProducer' : 'resumeProducer', { producerId });
  }

  async unpublish(source: MediaSource): Promise<void> {
    const entry = this.published.get(source);
    if (!entry) return;
    this.published.delete(source);
    entry.producer.close();
    this.cryptor.detach(entry.transformId);
    await this.signalling
      .request('closeProducer', { producerId: entry.producer.id })
      .catch(() => undefined);
  }

  /** Idempotent. The transports' closing closes the producers themselves. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const entry of this.published.values()) {
      entry.producer.close();
      this.cryptor.detach(entry.transformId);
    }
    this.published.clear();
  }
}
