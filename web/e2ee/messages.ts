/**
 * Messages between the main thread and the E2EE frame worker: one discriminated union per
 * direction, shared by both sides. Both handlers dispatch through a typed handler map and end in
 * an exhaustiveness check, so adding a message kind without handling it is a compile error.
 *
 * Keys cross this boundary only as raw bytes in a transferred Uint8Array (the worker imports
 * them as non-extractable AES-GCM keys, see shared/sframe) and are never logged on either side.
 */
import type { SFrameErrorCode } from '../../shared/sframe/index.js';

export type MediaKind = 'audio' | 'video';
export type TransformRole = 'send' | 'recv';

/** Passed as `RTCRtpScriptTransform` options (structured-cloned into the worker). */
export interface TransformOptions {
  /** Unique per sender/receiver for the worker's lifetime. */
  readonly transformId: string;
  readonly role: TransformRole;
  readonly media: MediaKind;
  /** For receivers: the sender's peer id, used to count frames per sender. */
  readonly peerId: string | null;
  /** Which of the sender's sources the track carries (for receivers: as the server said). */
  readonly source: FrameSource;
}

export type FrameSource = 'microphone' | 'camera' | 'screen';

/**
 * The label of each source, authenticated in every frame's SFrame AAD after the clear prefix and
 * never sent (docs/protocol.md §7): a receiver opens a frame only under the label of the track the
 * server said it is, so the server cannot show someone's screen as their camera or the reverse.
 */
export const FRAME_SOURCE_LABEL: Readonly<Record<FrameSource, number>> = {
  microphone: 1,
  camera: 2,
  screen: 3,
};

export type ToWorker =
  | { readonly kind: 'setSenderKey'; readonly kid: number; readonly keyBytes: Uint8Array }
  | {
      readonly kind: 'addReceiverKey';
      readonly peerId: string;
      readonly kid: number;
      readonly keyBytes: Uint8Array;
    }
  | { readonly kind: 'removeReceiverKey'; readonly kid: number; readonly peerId: string | null }
  /** Legacy Insertable Streams: the streams themselves are transferred to the worker. */
  | {
      readonly kind: 'attachStreams';
      readonly options: TransformOptions;
      readonly readable: ReadableStream<RTCEncodedVideoFrame | RTCEncodedAudioFrame>;
      readonly writable: WritableStream<RTCEncodedVideoFrame | RTCEncodedAudioFrame>;
    }
  | { readonly kind: 'detach'; readonly transformId: string }
  /**
   * Encode a key frame now (of simulcast layer `rid`, or of every layer), through the encoded
   * transform's own `generateKeyFrame()`; sent only for senders whose transform has it.
   */
  | { readonly kind: 'generateKeyFrame'; readonly transformId: string; readonly rid: string | null }
  /** Drops every key and stops every transform (frames are then dropped, never passed through). */
  | { readonly kind: 'close' };

/** Why a frame was dropped: SFrame error codes plus the worker's own reasons. */
export type DropReason =
  | SFrameErrorCode
  | 'CLOSED'
  | 'EMPTY'
  /** Decrypted with a key that belongs to a different peer than the receiver's sender. */
  | 'WRONG_SENDER'
  | 'INTERNAL';

export interface TransformStats {
  readonly transformId: string;
  readonly role: TransformRole;
  readonly media: MediaKind;
  readonly peerId: string | null;
  /** KID of the last frame encrypted (send) or decrypted (recv). */
  readonly kid: number | null;
  /** Frames encrypted (send) or decrypted (recv). */
  readonly frames: number;
  /** Frames dropped, by reason. Never passed through. */
  readonly dropped: Readonly<Partial<Record<DropReason, number>>>;
  /**
   * Wall-clock time (epoch ms, `performance.timeOrigin + performance.now()`) of the last good
   * frame, or null. Epoch-based because the worker's and the page's `performance.now()` have
   * different origins.
   */
  readonly lastFrameAt: number | null;
  /** Wall-clock time (epoch ms, as `lastFrameAt`) of the first good frame under `kid`. */
  readonly kidSince: number | null;
}

export type FromWorker =
  | {
      readonly kind: 'stats';
      readonly senderKid: number | null;
      readonly transforms: TransformStats[];
    }
  /**
   * A receiver decrypted a frame after a run of drops (e.g. a key change): the main thread asks
   * the sender for a key frame so the picture recovers quickly.
   */
  | { readonly kind: 'recovered'; readonly transformId: string }
  /**
   * A transform started. `generatesKeyFrames`: its RTCRtpScriptTransformer has
   * `generateKeyFrame()` (Firefox; Chromium 156 has not, and honours setParameters' keyFrame
   * option instead, which Firefox 153 accepts and ignores).
   */
  | {
      readonly kind: 'attached';
      readonly transformId: string;
      readonly generatesKeyFrames: boolean;
    }
  /**
   * A key operation failed. `code` is an SFrame error code, or KEY_FRAME_FAILED for a rejected
   * generateKeyFrame(); no key material is included.
   */
  | { readonly kind: 'keyError'; readonly op: ToWorker['kind']; readonly code: string };

/** Compile-time exhaustiveness guard for handler maps and switches. */
export function assertNever(value: never): never {
  throw new Error(`unhandled message: ${JSON.stringify(value)}`);
}
