/**
 * Remote consumers. Each one gets its decrypting transform in mediasoup-client's `onRtpReceiver`
 * hook (before any frame can arrive), and only then is resumed on the server. Video consumers of
 * hidden tiles are paused; visible ones get the simulcast layer their tile size needs.
 */
import type { types } from 'mediasoup-client';
import type { MediaSource, ProducerInfo } from '../../shared/protocol/index.js';
import type { FrameCryptor } from '../e2ee/FrameCryptor.js';
import { Emitter } from '../util/Emitter.js';
import { createLogger, errorName } from '../util/logger.js';
import type { MediaSession } from './MediaSession.js';
import type { SignallingClient } from './SignallingClient.js';

const log = createLogger('Subscriber');

export interface RemoteFeed {
  readonly consumerId: string;
  readonly producerId: string;
  readonly peerId: string;
  readonly source: MediaSource;
  readonly kind: 'audio' | 'video';
  readonly track: MediaStreamTrack;
  readonly transformId: string;
  /** The server says the sender paused (muted) it. */
  producerPaused: boolean;
  /** Epoch ms of the feed's arrival or its last producerPaused change. */
  pausedChangedAt: number;
  /** We paused it because nobody can see it. */
  hidden: boolean;
  spatialLayer: number | null;
}

type Events = {
  added: [feed: RemoteFeed];
  removed: [feed: RemoteFeed];
  changed: [feed: RemoteFeed];
};

/** How long a smaller tile must last before its feed drops to a lower simulcast layer. */
const LAYER_DOWN_DELAY_MS = 3000;

export class Subscriber extends Emitter<Events> {
  private readonly feeds = new Map<string, { feed: RemoteFeed; consumer: types.Consumer }>();
  private readonly pending = new Set<string>();
  /** Peers that left: a consume still in flight for one of them is dropped when it completes. */
  private readonly departed = new Set<string>();
  private closed = false;
  private readonly layerTimers = new Map<string, ReturnType<typeof setTimeout>>();

  constructor(
    private readonly media: MediaSession,
    private readonly signalling: SignallingClient,
    private readonly cryptor: FrameCryptor,
  ) {
    super();
  }

  all(): RemoteFeed[] {
    return [...this.feeds.values()].map((e) => e.feed);
  }

  byTransformId(transformId: string): RemoteFeed | undefined {
    return this.all().find((f) => f.transformId === transformId);
  }

  async consume(info: ProducerInfo): Promise<void> {
    if (this.closed || this.pending.has(info.producerId)) return;
    if (this.all().some((f) => f.producerId === info.producerId)) return;
    this.pending.add(info.producerId);
    try {
      await this.consumeNow(info);
    } finally {
      this.pending.delete(info.producerId);
    }
  }

  private async consumeNow(info: ProducerInfo): Promise<void> {
    const transport = this.media.recv;
    const res = await this.signalling.request('consume', {
      transportId: transport.id,
      producerId: info.producerId,
    });
    let transformId: string | null = null;
    const consumer = await transport.consume({
      id: res.consumerId,
      producerId: res.producerId,
      kind: res.kind,
      rtpParameters: res.rtpParameters,
      onRtpReceiver: (receiver) => {
        transformId = this.cryptor.attachReceiver(receiver, res.kind, res.peerId, res.source);
      },
    });
    if (transformId === null || this.closed || this.departed.has(res.peerId)) {
      consumer.close();
      if (transformId === null)
        throw new Error('no decrypting transform was attached to the receiver');
      if (!this.closed) this.cryptor.detach(transformId);
      return;
    }
    const feed: RemoteFeed = {
      consumerId: consumer.id,
      producerId: res.producerId,
      peerId: res.peerId,
      source: res.source,
      kind: res.kind,
      track: consumer.track,
      transformId,
      producerPaused: res.producerPaused,
      pausedChangedAt: Date.now(),
      hidden: false,
      spatialLayer: null,
    };
    this.feeds.set(consumer.id, { feed, consumer });
    consumer.on('transportclose', () => this.remove(consumer.id));
    try {
      await this.signalling.request('resumeConsumer', { consumerId: consumer.id });
    } catch (err) {
      // e.g. the producer closed meanwhile (its consumerClosed came before this feed existed):
      // leave no feed behind that nothing will ever remove.
      this.remove(consumer.id);
      throw err;
    }
    // The peer may have left while we waited; adding its feed now would bring back a ghost tile.
    if (this.departed.has(res.peerId)) return this.remove(consumer.id);
    this.emit('added', feed);
  }

  /** The server closed it (producer gone). */
  remove(consumerId: string): void {
    const entry = this.feeds.get(consumerId);
    if (!entry) return;
    this.feeds.delete(consumerId);
    entry.consumer.close();
    this.cryptor.detach(entry.feed.transformId);
    this.emit('removed', entry.feed);
  }

  removePeer(peerId: string): void {
    this.departed.add(peerId); // peer ids are never reused: a rejoin gets a new one
    for (const feed of this.all()) if (feed.peerId === peerId) this.remove(feed.consumerId);
  }

  setProducerPaused(consumerId: string, paused: boolean): void {
    const entry = this.feeds.get(consumerId);
    if (!entry) return;
    entry.feed.producerPaused = paused;
    entry.feed.pausedChangedAt = Date.now();
    this.emit('changed', entry.feed);
  }

  /** Pauses the consumer of a tile nobody can see; resumes it when it shows again. */
  async setHidden(consumerId: string, hidden: boolean): Promise<void> {
    const entry = this.feeds.get(consumerId);
    if (!entry || entry.feed.kind !== 'video' || entry.feed.hidden === hidden) return;
    entry.feed.hidden = hidden;
    if (hidden) entry.consumer.pause();
    else entry.consumer.resume();
    await this.signalling.request(hidden ? 'pauseConsumer' : 'resumeConsumer', { consumerId });
    if (!hidden) await this.requestKeyFrame(consumerId);
    this.emit('changed', entry.feed);
  }

  /**
   * Asks the SFU for the simulcast layer that fits the tile. Going up happens at once; going
   * down waits until the smaller size has held for LAYER_DOWN_DELAY_MS, so the grid re-flowing
   * while someone joins or leaves does not make every receiver switch resolution (each switch
   * waits for a key frame of the new layer).
   */
  async setLayer(consumerId: string, spatialLayer: number): Promise<void> {
    const entry = this.feeds.get(consumerId);
    if (!entry || entry.feed.source !== 'camera') return;
    const pending = this.layerTimers.get(consumerId);
    if (pending !== undefined) clearTimeout(pending);
    this.layerTimers.delete(consumerId);
    const current = entry.feed.spatialLayer;
    if (current === spatialLayer) return;
    if (current !== null && spatialLayer < current) {
      this.layerTimers.set(
        consumerId,
        setTimeout(() => {
          this.layerTimers.delete(consumerId);
          void this.applyLayer(consumerId, spatialLayer).catch(() => undefined);
        }, LAYER_DOWN_DELAY_MS),
      );
      return;
    }
    await this.applyLayer(consumerId, spatialLayer);
  }

  private async applyLayer(consumerId: string, spatialLayer: number): Promise<void> {
    const entry = this.feeds.get(consumerId);
    if (!entry || this.closed || entry.feed.spatialLayer === spatialLayer) return;
    entry.feed.spatialLayer = spatialLayer;
    await this.signalling.request('setConsumerLayers', { consumerId, spatialLayer });
  }

  async requestKeyFrame(consumerId: string): Promise<void> {
    const entry = this.feeds.get(consumerId);
    if (!entry || entry.feed.kind !== 'video') return;
    await this.signalling.request('requestKeyFrame', { consumerId }).catch((err: unknown) => {
      log.debug('key frame request failed', {
        consumerId,
        error: errorName(err),
      });
    });
  }

  /** WebRTC stats of one consumer's receiver (for the diagnostic surface). */
  async getStats(consumerId: string): Promise<RTCStatsReport | null> {
    const entry = this.feeds.get(consumerId);
    return entry ? entry.consumer.getStats() : null;
  }

  /** Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const timer of this.layerTimers.values()) clearTimeout(timer);
    this.layerTimers.clear();
    for (const { consumer, feed } of this.feeds.values()) {
      consumer.close();
      this.cryptor.detach(feed.transformId);
    }
    this.feeds.clear();
    this.removeAllListeners();
  }
}
