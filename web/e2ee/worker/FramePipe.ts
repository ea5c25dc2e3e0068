/**
 * One encoded-frame pipe: the readable → transform → writable chain of a single RTCRtpSender or
 * RTCRtpReceiver, with its counters.
 *
 * Send: every frame is SFrame-encrypted with the current sender key; with no key, or on any
 *   error, the frame is dropped and counted. Nothing is ever passed through in clear.
 * Receive: every frame is decrypted with a key of the expected sender; a frame that fails (bad tag,
 *   replay, a key of another sender) is dropped and counted, never passed on. A frame whose key
 *   has not arrived yet (a newcomer's first frames can overtake its key on the way here) waits for
 *   it, in order, for at most KEY_WAIT_MS; then it is dropped and counted as UNKNOWN_KID.
 *
 * Frame layouts (what stays in clear, authenticated as SFrame metadata): VP8 keeps its 3- or
 * 10-byte frame tag so the SFU can switch simulcast layers; Opus is encrypted whole.
 */
import {
  SFrameError,
  type DecryptResult,
  type FrameLayout,
  type SFrameContext,
} from '../../../shared/sframe/index.js';
import {
  FRAME_SOURCE_LABEL,
  type DropReason,
  type FrameSource,
  type TransformOptions,
  type TransformStats,
} from '../messages.js';

type EncodedFrame = RTCEncodedVideoFrame | RTCEncodedAudioFrame;

/** A burst of drops followed by a good frame triggers at most one key-frame request per this. */
const RECOVERY_NOTICE_INTERVAL_MS = 1000;
/**
 * How long a received frame may wait for its key, and how many may wait per pipe: 3 s of Opus
 * (50 frames/s) or of 60 fps video; bounded memory if the server floods us with unknown KIDs.
 * A sender's first frames of a new epoch may overtake the commit that gives us its key.
 */
export const KEY_WAIT_MS = 3000;
export const MAX_WAITING_FRAMES = 180;

interface WaitingFrame {
  readonly frame: EncodedFrame;
  readonly data: Uint8Array;
  readonly since: number;
}

export class FramePipe {
  private frames = 0;
  private kid: number | null = null;
  private lastFrameAt: number | null = null;
  private kidSince: number | null = null;
  private readonly dropped: Partial<Record<DropReason, number>> = {};
  private dropsSinceGood = 0;
  private lastRecoveryNotice = -Infinity;
  private readonly abort = new AbortController();
  private stopped = false;
  /** Received frames waiting for their key, oldest first. */
  private waiting: WaitingFrame[] = [];
  private controller: TransformStreamDefaultController<EncodedFrame> | null = null;
  private draining: Promise<void> | null = null;
  private waitTimer: ReturnType<typeof setTimeout> | null = null;
  /** This track's source label, authenticated in every frame (messages.ts FRAME_SOURCE_LABEL). */
  private readonly label: Uint8Array;
  private readonly otherLabels: readonly Uint8Array[];

  constructor(
    private readonly ctx: SFrameContext,
    readonly options: TransformOptions,
    private readonly onRecovered: (transformId: string) => void,
    /** 0: frames without a key are dropped at once (tests of the drop path). */
    private readonly keyWaitMs = KEY_WAIT_MS,
  ) {
    this.label = Uint8Array.of(FRAME_SOURCE_LABEL[options.source]);
    const other = OTHER_VIDEO_SOURCE[options.source];
    this.otherLabels = other === null ? [] : [Uint8Array.of(FRAME_SOURCE_LABEL[other])];
  }

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
      // The stream ends: frames whose key has arrived go out; the others never got their key.
      flush: async () => {
        await this.drain();
        this.dropWaiting('UNKNOWN_KID');
      },
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
    this.dropWaiting('CLOSED');
  }

  private dropWaiting(reason: DropReason): void {
    if (this.waitTimer !== null) clearTimeout(this.waitTimer);
    this.waitTimer = null;
    for (let i = 0; i < this.waiting.length; i++) this.drop(reason);
    this.waiting = [];
  }

  /** A receiver key was added: frames waiting for it can go on. */
  keysChanged(): void {
    if (this.waiting.length > 0) void this.drain();
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
      kidSince: this.kidSince,
    };
  }

  private layout(): FrameLayout {
    return this.options.media === 'video' ? 'vp8' : 'opus';
  }

  /**
   * Decrypts under this track's label. A video frame authentic under the sender's other video
   * label was presented as another of the sender's sources (camera as screen, or the reverse):
   * refused as WRONG_LABEL, never shown.
   */
  private open(data: Uint8Array): Promise<DecryptResult> {
    return this.ctx.decrypt(data, this.layout(), this.label, this.otherLabels);
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
      const sealed = await this.ctx.encrypt(data, this.layout(), this.label);
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
    this.controller = controller;
    let result: DecryptResult;
    try {
      result = await this.open(data);
    } catch (err) {
      const waits = this.keyWaitMs > 0 && this.waiting.length < MAX_WAITING_FRAMES;
      if (reasonOf(err) === 'UNKNOWN_KID' && waits) {
        this.waiting.push({ frame, data, since: performance.now() });
        this.armWaitTimer();
        return;
      }
      return this.drop(reasonOf(err));
    }
    // Older frames whose key has just arrived go first.
    if (this.waiting.length > 0) await this.drain();
    this.deliver(frame, result, controller);
  }

  private deliver(
    frame: EncodedFrame,
    result: DecryptResult,
    controller: TransformStreamDefaultController<EncodedFrame>,
  ): void {
    if (this.stopped) return this.drop('CLOSED');
    // The server chose which sender this receiver belongs to; the key proves who really sent the
    // frame. A frame sealed by someone else's key is refused, so the SFU cannot swap senders.
    if (result.owner !== this.options.peerId) return this.drop('WRONG_SENDER');
    frame.data = result.plaintext.buffer as ArrayBuffer;
    const recovering = this.dropsSinceGood > 0;
    try {
      controller.enqueue(frame);
    } catch {
      return this.drop('CLOSED'); // a waiting frame whose stream ended meanwhile
    }
    this.good(result.kid);
    if (recovering && this.options.media === 'video') this.noticeRecovery();
  }

  /**
   * Delivers waiting frames, oldest first, while their keys are known; drops those that waited
   * KEY_WAIT_MS. One drain at a time, so frames never overtake each other.
   */
  private drain(): Promise<void> {
    this.draining ??= (async () => {
      try {
        while (this.waiting.length > 0 && !this.stopped && this.controller !== null) {
          const w = this.waiting[0]!;
          let result: DecryptResult;
          try {
            result = await this.open(w.data);
          } catch (err) {
            const reason = reasonOf(err);
            if (reason === 'UNKNOWN_KID' && performance.now() - w.since < this.keyWaitMs) break;
            this.waiting.shift();
            this.drop(reason);
            continue;
          }
          this.waiting.shift();
          this.deliver(w.frame, result, this.controller);
        }
      } finally {
        this.draining = null;
        this.armWaitTimer();
      }
    })();
    return this.draining;
  }

  /** Wakes the drain when the oldest waiting frame has waited long enough to be dropped. */
  private armWaitTimer(): void {
    if (this.waitTimer !== null || this.waiting.length === 0 || this.stopped) return;
    const dueIn = this.waiting[0]!.since + this.keyWaitMs - performance.now();
    this.waitTimer = setTimeout(
      () => {
        this.waitTimer = null;
        void this.drain();
      },
      Math.max(0, dueIn),
    );
  }

  private good(kid: number | null): void {
    this.frames++;
    const now = performance.timeOrigin + performance.now();
    if (kid !== this.kid || this.kidSince === null) this.kidSince = now;
    this.kid = kid;
    this.lastFrameAt = now;
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

const OTHER_VIDEO_SOURCE: Readonly<Record<FrameSource, FrameSource | null>> = {
  microphone: null,
  camera: 'screen',
  screen: 'camera',
};

function reasonOf(err: unknown): DropReason {
  return err instanceof SFrameError ? err.code : 'INTERNAL';
}
