/**
 * Looks at frames as the SFU forwarded them: where the codec's clear prefix ends, whether an
 * SFrame header follows (RFC 9605 §4.3, parsed with the product's own decoder), and how random the
 * rest is. The layout is the one shared/sframe/SFrameContext.ts writes:
 *
 *   | clear prefix (VP8: 10 B key / 3 B delta; Opus: 0) | SFrame header | ciphertext | tag 16 B |
 */
import { decodeHeader, vp8ClearBytes } from '../../../../shared/sframe/index.js';

/** AES-GCM tag length of the default suite AES_128_GCM_SHA256_128. */
export const TAG_LENGTH = 16;

export interface SFrameView {
  readonly clear: Uint8Array;
  readonly kid: number;
  readonly ctr: number;
  readonly headerLength: number;
  /** Ciphertext and tag: everything after the SFrame header. */
  readonly sealed: Uint8Array;
}

/** Throws (SFrameError MALFORMED) when no valid SFrame header follows the clear prefix. */
export function sframeView(frame: Uint8Array, media: 'audio' | 'video'): SFrameView {
  const clearLength = media === 'video' ? vp8ClearBytes(frame) : 0;
  const h = decodeHeader(frame, clearLength);
  return {
    clear: frame.subarray(0, clearLength),
    kid: Number(h.kid),
    ctr: Number(h.ctr),
    headerLength: h.length,
    sealed: frame.subarray(clearLength + h.length),
  };
}

/** Shannon entropy in bits per byte of all bytes of `chunks` together. */
export function shannonEntropy(chunks: readonly Uint8Array[]): { bits: number; bytes: number } {
  const counts = new Float64Array(256);
  let n = 0;
  for (const c of chunks) {
    for (const b of c) counts[b]!++;
    n += c.length;
  }
  let h = 0;
  for (const k of counts) {
    if (k === 0) continue;
    const p = k / n;
    h -= p * Math.log2(p);
  }
  return { bits: h, bytes: n };
}

export interface Vp8Tag {
  readonly keyFrame: boolean;
  readonly version: number;
  readonly showFrame: boolean;
  /** Size of the first partition in bytes (RFC 6386 §9.1). */
  readonly firstPartitionSize: number;
  /** Key frames: start code 9d 01 2a and the picture size (§9.1). */
  readonly startCode: boolean;
  readonly width: number;
  readonly height: number;
}

/** The VP8 frame tag and key-frame header: the bytes the E2EE layer deliberately leaves in clear. */
export function vp8Tag(frame: Uint8Array): Vp8Tag {
  const raw = frame[0]! | (frame[1]! << 8) | (frame[2]! << 16);
  const keyFrame = (raw & 1) === 0;
  const startCode = keyFrame && frame[3] === 0x9d && frame[4] === 0x01 && frame[5] === 0x2a;
  return {
    keyFrame,
    version: (raw >> 1) & 7,
    showFrame: ((raw >> 4) & 1) === 1,
    firstPartitionSize: raw >>> 5,
    startCode,
    width: startCode ? (frame[6]! | (frame[7]! << 8)) & 0x3fff : 0,
    height: startCode ? (frame[8]! | (frame[9]! << 8)) & 0x3fff : 0,
  };
}

/** Opus TOC byte (RFC 6716 §3.1): configuration, stereo flag, frame-count code. */
export function opusToc(byte: number): { config: number; stereo: boolean; code: number } {
  return { config: byte >> 3, stereo: (byte & 0x04) !== 0, code: byte & 0x03 };
}

export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

export function fromBase64(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'base64'));
}

/** Whether `needle` occurs in `hay` (byte-wise). */
export function containsBytes(hay: Uint8Array, needle: Uint8Array): boolean {
  if (needle.length === 0) return true;
  return Buffer.from(hay.buffer, hay.byteOffset, hay.byteLength).indexOf(Buffer.from(needle)) >= 0;
}
