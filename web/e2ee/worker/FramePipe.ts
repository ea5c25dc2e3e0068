/**
 * One encoded-frame pipe: the readable → transform → writable chain of a single RTCRtpSender or
 * RTCRtpReceiver, with its counters.
 *
 * Send: every frame is SFrame-encrypted with the current sender key; with no key, or on any
 *   error, the frame is dropped and counted. Nothing is ever passed through in clear.
 * Receive: every frame is decrypted with a key of the expected sender; a frame that fails (no key,
 *   bad tag, replay, a key of another sender) is dropped and counted, never passed on.
 *
 * Frame layouts (what stays in clear, authenticated as SFrame metadata): VP8 keeps its 3- or
 * 10-byte frame tag so the SFU can switch simulcast layers; Opus is encrypted whole.
 */
import { SFrameError, type FrameLayout, type SFrameContext } from '../../../shared/sframe/index.js';
import type { DropReason, TransformOptions, TransformStats } from '../messages.js';

type EncodedFrame = RTCEncodedVideoFrame | RTCEncodedAudioFrame;

/** A burst of drops followed by a good frame triggers at most one key-frame request per this. */
const RECOVERY_NOTICE_INTERVAL_MS = 1000;

export class FramePipe {
  private frames = 0;
  private kid: number | null = null;
  private lastFrameAt: number | null = null;
  private readonly dropped: Partial<Record<DropReason, number>> = {};
  private dropsSinceGood = 0;
  private lastRecoveryNotice = -Infinity;
  private readonly abort = new AbortController();
  private stopped = false;

  constructor(
    private readonly ctx: SFrameContext,
    readonly options: TransformOptions,
    private readonly onRecovered: (transformId: string) => void,
  ) {}

  /** Runs until either stream ends or `stop()` is called. */
  async run(
    readable: ReadableStream<EncodedFrame>,
    writable: WritableStream<EncodedFrame>,
  ): Promise<void> {
    const transform = new TransformStream<EncodedFrame, EncodedFrame>({
      transform: (frame, controller) =>
        this.options.role === 'send'
          ? this.encrypt(frame, controller)
          : this.decrypt(frame, controller),
    });
    try {
      await readable.pipeThrough(transform, { signal: this.abort.signal }).pipeTo(writable, {
        signal: this.abort.signal,
      });
    } catch {
      // Aborted by stop(), or the sender/receiver went away: the pipe simply ends.
    }
  }

  stop(): void {
    this.stopped = true;
    this.abort.abort();
  }

  stats(): TransformStats {
    return {
      transformId: this.options.transformId,
      role: this.options.role,
      media: this.options.media,
      peerId: this.options.peerId,
      kid: this.kid,
      frames: this.frames,
      dropped: { ...this.dropped },
      lastFrameAt: this.lastFrameAt,
    };
  }

  private layout(): FrameLayout {
    return this.options.media === 'video' ? 'vp8' : 'opus';
  }

  private async encrypt(
    frame: EncodedFrame,
    controller: TransformStreamDefaultController<EncodedFrame>,
  ): Promise<void> {
    if (this.stopped) return this.drop('CLOSED');
    const data = new Uint8Array(frame.data);
    if (data.byteLength === 0) return this.drop('EMPTY');
    const kid = this.ctx.senderKid;
    try {
      const sealed = await this.ctx.encrypt(data, this.layout());
      frame.data = sealed.buffer;
    } catch (err) {
      return this.drop(reasonOf(err));
    }
    this.good(kid);
    controller.enqueue(frame);
  }

  private async decrypt(
    frame: EncodedFrame,
    controller: TransformStreamDefaultController<EncodedFrame>,
  ): Promise<void> {
    if (this.stopped) return this.drop('CLOSED');
    const data = new Uint8Array(frame.data);
    if (data.byteLength === 0) return this.drop('EMPTY');
    let result;
    try {
      result = await this.ctx.decrypt(data, this.layout());
    } catch (err) {
      return this.drop(reasonOf(err));
    }
    // The server chose which sender this receiver belongs to; the key proves who really sent the
    // frame. A frame sealed by someone else's key is refused, so the SFU cannot swap senders.
    if (result.owner !== this.options.peerId) return this.drop('WRONG_SENDER');
    frame.data = result.plaintext.buffer as ArrayBuffer;
    const recovering = this.dropsSinceGood > 0;
    this.good(result.kid);
    controller.enqueue(frame);
    if (recovering && this.options.media === 'video') this.noticeRecovery();
  }

  private good(kid: number | null): void {
    this.frames++;
    this.kid = kid;
    this.lastFrameAt = performance.timeOrigin + performance.now();
    this.dropsSinceGood = 0;
  }

  private drop(reason: DropReason): void {
    this.dropped[reason] = (this.dropped[reason] ?? 0) + 1;
    this.dropsSinceGood++;
  }

  private noticeRecovery(): void {
    const now = performance.now();
    if (now - this.lastRecoveryNotice < RECOVERY_NOTICE_INTERVAL_MS) return;
    this.lastRecoveryNotice = now;
    this.onRecovered(this.options.transformId);
  }
}

function reasonOf(err: unknown): DropReason {
  return err instanceof SFrameError ? err.code : 'INTERNAL';
}
