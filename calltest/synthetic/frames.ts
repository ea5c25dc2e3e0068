/**
 * The media a synthetic participant sends: marked frames, not pictures or sound. Each frame
 * carries a mark its receivers check after decryption (which source it is, its number in the
 * sender's sequence, when it was made), so a receiver can tell the right frames from the
 * sender arrive, in order and complete, and that the SFU could not swap or forge one.
 *
 * Video frames start with a VP8 frame header (RFC 6386 §9.1: the 3-byte frame tag, and on key
 * frames the start code and dimensions) because the SFU reads it in clear, as it does from a
 * browser's frames (shared/sframe/layout.ts), to find key frames; the rest is not a VP8 picture,
 * so a browser receiving it decrypts it (and counts it) but does not show a picture.
 *
 *   mark  = magic "BCSY" (4) | source label (1) | sequence (uint32 BE) | sent at (float64 BE, ms)
 *   frame = [VP8 header (10 or 3)] | mark (17) | filler up to the frame's size
 */

export const MARK_MAGIC = Uint8Array.of(0x42, 0x43, 0x53, 0x59);
export const MARK_BYTES = 17;
const VP8_KEY_HEADER_BYTES = 10;
const VP8_DELTA_HEADER_BYTES = 3;
/** The picture size a key frame's header names (the SFU and receivers only read it). */
export const SYNTHETIC_WIDTH = 320;
export const SYNTHETIC_HEIGHT = 180;

export interface Mark {
  readonly label: number;
  readonly seq: number;
  readonly sentAt: number;
}

function writeMark(out: Uint8Array, at: number, mark: Mark): void {
  out.set(MARK_MAGIC, at);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  view.setUint8(at + 4, mark.label);
  view.setUint32(at + 5, mark.seq >>> 0);
  view.setFloat64(at + 9, mark.sentAt);
}

/** An audio frame of `bytes` bytes (at least the mark). */
export function audioFrame(bytes: number, mark: Mark): Uint8Array {
  const out = new Uint8Array(Math.max(bytes, MARK_BYTES));
  writeMark(out, 0, mark);
  return out;
}

/**
 * A video frame of about `bytes` bytes. The VP8 frame tag (RFC 6386 §9.1): bit 0 is 0 on key
 * frames, bits 1–3 the version (0), bit 4 show_frame (1), bits 5–23 the first partition's size.
 */
export function videoFrame(bytes: number, key: boolean, mark: Mark): Uint8Array {
  const header = key ? VP8_KEY_HEADER_BYTES : VP8_DELTA_HEADER_BYTES;
  const out = new Uint8Array(Math.max(bytes, header + MARK_BYTES));
  const partition = Math.min(out.length - header, 0x7ffff);
  const tag = (key ? 0 : 1) | (1 << 4) | (partition << 5);
  out[0] = tag & 0xff;
  out[1] = (tag >> 8) & 0xff;
  out[2] = (tag >> 16) & 0xff;
  if (key) {
    out.set([0x9d, 0x01, 0x2a], 3);
    out[6] = SYNTHETIC_WIDTH & 0xff;
    out[7] = SYNTHETIC_WIDTH >> 8;
    out[8] = SYNTHETIC_HEIGHT & 0xff;
    out[9] = SYNTHETIC_HEIGHT >> 8;
  }
  writeMark(out, header, mark);
  return out;
}

/** The mark in a decrypted frame, or null if it carries none (a browser's frame, or garbage). */
export function readMark(frame: Uint8Array, video: boolean): Mark | null {
  let at = 0;
  if (video) at = frame.length > 0 && (frame[0]! & 0x01) === 0 ? VP8_KEY_HEADER_BYTES : 3;
  if (frame.length < at + MARK_BYTES) return null;
  for (let i = 0; i < MARK_MAGIC.length; i++) if (frame[at + i] !== MARK_MAGIC[i]) return null;
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  return {
    label: view.getUint8(at + 4),
    seq: view.getUint32(at + 5),
    sentAt: view.getFloat64(at + 9),
  };
}
