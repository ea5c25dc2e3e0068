/**
 * Fast simulcast failover for one video producer.
 *
 * When a sender's browser stops its top simulcast layer (its uplink bandwidth estimate fell),
 * mediasoup notices only when that layer's RTP inactivity timer fires, about 1.5 s later, and only
 * then moves the consumers that were on it down. Their picture freezes until then, plus the time
 * a key frame of the lower layer takes: 1.5–2.5 s measured here.
 *
 * LayerWatch reads the producer's per-layer packet counters every `pollMs`. When a layer has sent
 * nothing for `stallMs` while a lower one goes on, it caps the preferred spatial layer of the
 * producer's consumers at the highest live layer, so each consumer asks for a key frame of that
 * layer at once. A layer that has sent again for `resumeMs` lifts the cap: consumers go back to
 * the layers their receivers asked for (mediasoup moves up only on a key frame of the higher
 * layer, which never freezes). A sender quiet on every layer (paused, muted) changes nothing:
 * that is not a layer switch.
 *
 * Each new cap is also emitted as `capped`, so the room can ask the sender's browser to encode a
 * key frame of that layer itself (`keyFrameNeeded`): the consumers' own key-frame requests go as
 * RTCP, which Chrome ignores within 300 ms of the previous one (a newcomer's consumers have just
 * sent one) and which mediasoup does not repeat for 1 s; that made failover freezes of 1–1.6 s.
 *
 * It uses only packet counts, never media content (which is end-to-end encrypted anyway).
 */
import type { types } from 'mediasoup';
import { createLogger } from '../logger.js';
import { TypedEmitter } from '../TypedEmitter.js';

const log = createLogger('LayerWatch');

export interface LayerWatchOptions {
  readonly pollMs: number;
  /** A layer that sent nothing for this long while a lower one did has stopped. */
  readonly stallMs: number;
  /** A stopped layer must send again for this long before consumers return to it. */
  readonly resumeMs: number;
}

/**
 * A live layer at 15–30 frames/s sends a packet every 33–67 ms, and all layers of one sender are
 * encoded together: 225 ms without a packet on one layer while a lower one sends is a stop. A false
 * alarm costs a brief lower layer, never a freeze (moving up waits for a key frame).
 */
export const DEFAULT_LAYER_WATCH: LayerWatchOptions = { pollMs: 75, stallMs: 225, resumeMs: 1000 };

interface LayerState {
  /** rid, or the SSRC as a string when the sender uses SSRC simulcast. */
  readonly key: string;
  packets: number;
  lastProgressAt: number;
  liveSince: number;
}

interface Watched {
  readonly consumer: types.Consumer;
  /** What the receiver asked for (setConsumerLayers); null: the highest layers. */
  requested: types.ConsumerLayers | null;
  /** The spatial layer we last told mediasoup, or null if we never overrode the default. */
  applied: number | null;
}

type LayerWatchEvents = {
  /** Consumers were just held to this spatial layer, below a layer that stopped. */
  capped: [spatialLayer: number];
};

export class LayerWatch extends TypedEmitter<LayerWatchEvents> {
  private readonly layers: LayerState[];
  private readonly consumers = new Map<string, Watched>();
  /** Highest spatial layer consumers may use, or null: no cap. */
  private cap: number | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;
  private polling = false;
  private closed = false;

  /** Simulcast video with more than one encoding; anything else has no layers to fail over. */
  static appliesTo(producer: types.Producer): boolean {
    return (
      producer.kind === 'video' &&
      producer.type === 'simulcast' &&
      (producer.rtpParameters.encodings?.length ?? 0) > 1
    );
  }

  constructor(
    private readonly producer: types.Producer,
    private readonly opts: LayerWatchOptions = DEFAULT_LAYER_WATCH,
    private readonly now: () => number = () => performance.now(),
  ) {
    super();
    this.layers = (producer.rtpParameters.encodings ?? []).map((e) => ({
      key: e.rid ?? String(e.ssrc),
      packets: 0,
      lastProgressAt: -Infinity,
      liveSince: -Infinity,
    }));
    producer.observer.once('close', () => this.close());
  }

  /** The highest spatial layer consumers are held to, or null. For tests and metrics. */
  get currentCap(): number | null {
    return this.cap;
  }

  add(consumer: types.Consumer): void {
    if (this.closed) return;
    this.consumers.set(consumer.id, { consumer, requested: null, applied: null });
    consumer.observer.once('close', () => this.remove(consumer.id));
    this.timer ??= setInterval(() => void this.poll(), this.opts.pollMs);
    this.timer.unref();
  }

  /** The receiver's own choice (tile size); the cap still applies on top of it. */
  async setRequested(consumer: types.Consumer, layers: types.ConsumerLayers): Promise<void> {
    const w = this.consumers.get(consumer.id);
    if (w === undefined) {
      await consumer.setPreferredLayers(layers);
      return;
    }
    w.requested = layers;
    await this.apply(w, true);
  }

  /** Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.consumers.clear();
    this.removeAllListeners();
  }

  private remove(consumerId: string): void {
    this.consumers.delete(consumerId);
    if (this.consumers.size === 0 && this.timer !== null) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }

  /**
   * A poll costs ~0.2 ms of this process's CPU (a worker request): skip it while no consumer is
   * above the lowest layer (nothing to fail over from) and no cap waits to be lifted.
   */
  private worthPolling(): boolean {
    if (this.cap !== null) return true;
    for (const w of this.consumers.values())
      if ((w.consumer.currentLayers?.spatialLayer ?? 0) > 0) return true;
    return false;
  }

  private async poll(): Promise<void> {
    if (this.polling || this.closed || this.producer.closed || this.producer.paused) return;
    if (!this.worthPolling()) {
      // Counts go stale meanwhile: forget them, so old progress is not taken for a stop later.
      for (const l of this.layers) l.lastProgressAt = l.liveSince = -Infinity;
      return;
    }
    this.polling = true;
    try {
      const stats = await this.producer.getStats();
      if (this.closed) return;
      const now = this.now();
      for (const s of stats) {
        const layer = this.layers.find((l) => l.key === (s.rid ?? String(s.ssrc)));
        if (layer === undefined || s.packetCount === layer.packets) continue;
        layer.packets = s.packetCount;
        if (now - layer.lastProgressAt >= this.opts.stallMs) layer.liveSince = now;
        layer.lastProgressAt = now;
      }
      const cap = this.nextCap(now);
      if (cap !== this.cap) {
        log.debug('layer cap', { producerId: this.producer.id, from: this.cap, to: cap });
        const lowered = cap !== null && (this.cap === null || cap < this.cap);
        this.cap = cap;
        await Promise.all([...this.consumers.values()].map((w) => this.apply(w)));
        if (lowered && !this.closed) this.emit('capped', cap);
      }
    } catch (err) {
      // The producer or a consumer closed during the request: nothing to cap any more.
      if (!this.producer.closed) log.debug('poll failed', { error: String(err) });
    } finally {
      this.polling = false;
    }
  }

  private nextCap(now: number): number | null {
    const live = this.layers.map((l) => now - l.lastProgressAt < this.opts.stallMs);
    const highestLive = live.lastIndexOf(true);
    // The whole sender is quiet (paused, muted, or its machine stalled for a moment): that is no
    // layer switch, and lifting the cap now would send consumers back to a layer that is gone.
    if (highestLive < 0) return this.cap;
    // A layer above the highest live one that has sent before has stopped.
    const stoppedAbove = this.layers.some(
      (l, i) => i > highestLive && l.lastProgressAt > -Infinity,
    );
    let cap = this.cap ?? (stoppedAbove ? highestLive : null);
    if (cap === null) return null;
    cap = Math.min(cap, highestLive);
    // Lift the cap one layer at a time, through layers that have been sending for resumeMs.
    while (
      cap < highestLive &&
      live[cap + 1] === true &&
      now - this.layers[cap + 1]!.liveSince >= this.opts.resumeMs
    )
      cap++;
    return cap >= this.layers.length - 1 || (cap === highestLive && !stoppedAbove) ? null : cap;
  }

  /** `force`: the receiver asked for new layers, which always reach mediasoup. */
  private async apply(w: Watched, force = false): Promise<void> {
    const top = this.layers.length - 1;
    const wanted = w.requested?.spatialLayer ?? top;
    const spatialLayer = this.cap === null ? wanted : Math.min(wanted, this.cap);
    if (!force && spatialLayer === (w.applied ?? top)) return;
    w.applied = spatialLayer;
    const temporalLayer = w.requested?.temporalLayer;
    await w.consumer.setPreferredLayers(
      temporalLayer === undefined ? { spatialLayer } : { spatialLayer, temporalLayer },
    );
  }
}
