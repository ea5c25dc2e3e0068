/**
 * Active speaker, computed in this browser from the decrypted remote audio (the SFU no longer
 * sees audio levels: web/call/audioPrivacy.ts). Each remote microphone track feeds an AudioWorklet
 * (levelWorklet.ts) that reports its loudness once per second; the speaker is the loudest stream
 * of the last second above a speech threshold, or nobody.
 */
import { createLogger, errorName } from '../../util/logger.js';
import type { LevelReport } from './levelWorklet.js';
import levelWorkletUrl from './levelWorklet.ts?worker&url';

const log = createLogger('SpeakerDetector');

/** RMS above which a second counts as speech (about −40 dBFS; silence and comfort noise are far below). */
export const SPEECH_RMS = 0.01;

interface Watched {
  readonly track: MediaStreamTrack;
  readonly source: MediaStreamAudioSourceNode;
  readonly node: AudioWorkletNode;
  rms: number;
}

export class SpeakerDetector {
  private context: AudioContext | null = null;
  private ready: Promise<void> | null = null;
  private readonly watched = new Map<string, Watched>();
  private current: string | null = null;
  private closed = false;

  constructor(private readonly onChange: (peerId: string | null) => void) {}

  /** Makes the set of watched streams equal `tracks` (peer id → microphone track). */
  sync(tracks: ReadonlyMap<string, MediaStreamTrack>): void {
    if (this.closed) return;
    for (const [peerId, w] of this.watched) {
      if (tracks.get(peerId) !== w.track) this.unwatch(peerId);
    }
    for (const [peerId, track] of tracks) {
      if (!this.watched.has(peerId)) void this.watch(peerId, track);
    }
  }

  private async watch(peerId: string, track: MediaStreamTrack): Promise<void> {
    try {
      this.context ??= new AudioContext();
      this.ready ??= this.context.audioWorklet.addModule(levelWorkletUrl);
      await this.ready;
      if (this.closed || this.watched.has(peerId)) return;
      const source = this.context.createMediaStreamSource(new MediaStream([track]));
      const node = new AudioWorkletNode(this.context, 'blindcall-level', {
        numberOfOutputs: 0,
      });
      const entry: Watched = { track, source, node, rms: 0 };
      node.port.onmessage = (e: MessageEvent<LevelReport>) => {
        entry.rms = e.data.rms;
        this.decide();
      };
      source.connect(node);
      this.watched.set(peerId, entry);
      if (this.context.state === 'suspended') await this.context.resume();
    } catch (err) {
      log.warn('cannot measure a stream’s level', { error: errorName(err) });
    }
  }

  private unwatch(peerId: string): void {
    const w = this.watched.get(peerId);
    if (!w) return;
    this.watched.delete(peerId);
    w.node.port.onmessage = null;
    w.source.disconnect();
    w.node.disconnect();
    this.decide();
  }

  private decide(): void {
    let best: string | null = null;
    let bestRms = SPEECH_RMS;
    for (const [peerId, w] of this.watched) {
      if (w.rms > bestRms) {
        best = peerId;
        bestRms = w.rms;
      }
    }
    if (best === this.current) return;
    this.current = best;
    this.onChange(best);
  }

  /** Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const peerId of [...this.watched.keys()]) this.unwatch(peerId);
    void this.context?.close().catch(() => undefined);
    this.context = null;
  }
}
