/**
 * Main-thread side of frame encryption: owns the single frame worker, attaches an encoded
 * transform to every RTCRtpSender and RTCRtpReceiver *before* it can carry a frame (callers use
 * mediasoup-client's `onRtpSender` / `onRtpReceiver`, which run right after the transceiver is
 * created and before negotiation), and forwards key changes to the worker.
 *
 * Key bytes are copied and the copy is transferred, so the caller keeps its own bytes and the
 * worker's copy is the only other one; nothing here logs or stores them.
 */
import type {} from '../types/encoded-transform.js';
import { createLogger } from '../util/logger.js';
import { Emitter } from '../util/Emitter.js';
import {
  assertNever,
  type FrameSource,
  type FromWorker,
  type MediaKind,
  type ToWorker,
  type TransformOptions,
  type TransformStats,
} from './messages.js';
import type { TransformMode } from './support.js';
import FrameWorker from './worker/frameWorker.ts?worker&inline';

const log = createLogger('FrameCryptor');

type Events = {
  stats: [senderKid: number | null, transforms: TransformStats[]];
  /** A video receiver recovered after dropped frames: ask for a key frame. */
  recovered: [transformId: string];
  keyError: [op: string, code: string];
};

export class FrameCryptor extends Emitter<Events> {
  private readonly worker: Worker;
  private nextId = 0;
  /** Senders whose transform can encode a key frame on request (see `requestKeyFrame`). */
  private readonly keyFrameCapable = new Set<string>();
  private closed = false;

  constructor(readonly mode: TransformMode) {
    super();
    // Inlined into the entry script (a blob: URL at run time), so the entry's Subresource
    // Integrity covers the worker too: a worker script cannot carry an integrity attribute.
    this.worker = new FrameWorker({ name: 'blindcall-frames' });
    this.worker.onmessage = (event: MessageEvent<FromWorker>) => this.onWorkerMessage(event.data);
    this.worker.onerror = (event) => {
      event.preventDefault();
      log.error('frame worker error', event.message);
    };
  }

  /** Must run before the sender carries any frame. Returns the id used in stats. */
  attachSender(sender: RTCRtpSender, media: MediaKind, source: FrameSource): string {
    const transformId = this.newId('s');
    return this.attach(sender, { transformId, role: 'send', media, peerId: null, source });
  }

  /** Must run before the receiver is resumed. Returns the id used in stats. */
  attachReceiver(
    receiver: RTCRtpReceiver,
    media: MediaKind,
    peerId: string,
    source: FrameSource,
  ): string {
    const transformId = this.newId('r');
    return this.attach(receiver, { transformId, role: 'recv', media, peerId, source });
  }

  detach(transformId: string): void {
    this.keyFrameCapable.delete(transformId);
    this.post({ kind: 'detach', transformId });
  }

  /**
   * Asks the sender's encoded transform for a key frame (of layer `rid`). Returns false where the
   * transform cannot (Chromium, legacy streams, or not started yet): the caller then uses
   * RTCRtpSender.setParameters' keyFrame option instead.
   */
  requestKeyFrame(transformId: string, rid: string | null): boolean {
    if (this.closed || !this.keyFrameCapable.has(transformId)) return false;
    this.post({ kind: 'generateKeyFrame', transformId, rid });
    return true;
  }

  setSenderKey(kid: number, keyBytes: Uint8Array): void {
    const copy = keyBytes.slice();
    this.post({ kind: 'setSenderKey', kid, keyBytes: copy }, [copy.buffer]);
  }

  addReceiverKey(peerId: string, kid: number, keyBytes: Uint8Array): void {
    const copy = keyBytes.slice();
    this.post({ kind: 'addReceiverKey', peerId, kid, keyBytes: copy }, [copy.buffer]);
  }

  removeReceiverKey(kid: number, peerId: string | null): void {
    this.post({ kind: 'removeReceiverKey', kid, peerId });
  }

  /** Idempotent: the worker drops all keys, then is terminated. */
  close(): void {
    if (this.closed) return;
    this.post({ kind: 'close' });
    this.closed = true;
    this.removeAllListeners();
    // Let the close message run first so pipes stop dropping-not-forwarding, then end the thread.
    setTimeout(() => this.worker.terminate(), 200);
  }

  private attach(target: RTCRtpSender | RTCRtpReceiver, options: TransformOptions): string {
    if (this.closed) throw new Error('FrameCryptor is closed');
    if (this.mode === 'script') {
      target.transform = new RTCRtpScriptTransform(this.worker, options);
    } else {
      if (!target.createEncodedStreams) throw new Error('createEncodedStreams is not available');
      const { readable, writable } = target.createEncodedStreams();
      this.post({ kind: 'attachStreams', options, readable, writable }, [readable, writable]);
    }
    return options.transformId;
  }

  private newId(prefix: string): string {
    return `${prefix}${++this.nextId}`;
  }

  private post(message: ToWorker, transfer: Transferable[] = []): void {
    if (this.closed) return;
    this.worker.postMessage(message, transfer);
  }

  private onWorkerMessage(msg: FromWorker): void {
    switch (msg.kind) {
      case 'stats':
        return this.emit('stats', msg.senderKid, msg.transforms);
      case 'recovered':
        return this.emit('recovered', msg.transformId);
      case 'attached':
        if (msg.generatesKeyFrames) this.keyFrameCapable.add(msg.transformId);
        else this.keyFrameCapable.delete(msg.transformId);
        return;
      case 'keyError':
        log.warn('key operation failed in the frame worker', { op: msg.op, code: msg.code });
        return this.emit('keyError', msg.op, msg.code);
      default:
        return assertNever(msg);
    }
  }
}
