// Codec-aware frame layouts: how many leading bytes of an encoded frame stay in clear so the SFU can
// still read them (VP8 key-frame flag for simulcast layer switching). Clear bytes are authenticated
// as SFrame metadata (RFC 9605 §9.4), so altering them makes decryption fail.

import { concat } from './bytes.js';

export const NO_LABEL = new Uint8Array(0);

/**
 * SFrame metadata (RFC 9605 §4.4.3) of a frame: its clear prefix, then the caller's label, which
 * is authenticated but never sent (each side passes what it believes the frame is).
 */
export function metadataOf(prefix: Uint8Array, label: Uint8Array): Uint8Array {
  return label.length === 0 ? prefix : concat(prefix, label);
}

/** VP8 frame tag (RFC 6386 §9.1): bit 0 of byte 0 is the inverse key-frame flag. */
export function isVp8KeyFrame(frame: Uint8Array): boolean {
  return frame.length > 0 && (frame[0]! & 0x01) === 0;
}

/** Key frames keep 10 bytes in clear (3-byte tag + start code + dimensions), delta frames 3 (tag). */
export const VP8_KEY_FRAME_CLEAR_BYTES = 10;
export const VP8_DELTA_FRAME_CLEAR_BYTES = 3;

export function vp8ClearBytes(frame: Uint8Array): number {
  return isVp8KeyFrame(frame) ? VP8_KEY_FRAME_CLEAR_BYTES : VP8_DELTA_FRAME_CLEAR_BYTES;
}

/**
 * - 'vp8': clear prefix chosen from the frame's own key-frame bit (encrypt and decrypt).
 * - 'vp8-key' / 'vp8-delta': explicit (encrypt only; the receiver uses 'vp8').
 * - 'opus' / 'whole': nothing in clear.
 * - { clearBytes }: a fixed clear prefix.
 */
export type FrameLayout =
  'vp8' | 'vp8-key' | 'vp8-delta' | 'opus' | 'whole' | { readonly clearBytes: number };

/** Clear-prefix length for `frame` under `layout`, or -1 if the frame is too short for it. */
export function clearBytesFor(layout: FrameLayout, frame: Uint8Array): number {
  let n: number;
  if (typeof layout === 'object') n = layout.clearBytes;
  else if (layout === 'vp8') n = vp8ClearBytes(frame);
  else if (layout === 'vp8-key') n = VP8_KEY_FRAME_CLEAR_BYTES;
  else if (layout === 'vp8-delta') n = VP8_DELTA_FRAME_CLEAR_BYTES;
  else n = 0;
  if (!Number.isSafeInteger(n) || n < 0 || n > frame.length) return -1;
  return n;
}
