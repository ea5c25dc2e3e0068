// Padding of MLS application messages (chat, heartbeats) to a few fixed sizes, so the envelope
// lengths the server sees do not tell messages apart. ts-mls pads a PrivateMessage only up to 256
// bytes by default; beyond that the exact length of a chat message would show.
//
//   padded = plaintext || 0x80 || 0x00 … 0x00        (ISO/IEC 7816-4 padding, as in RFC 9420's
//                                                     and Signal's message padding: unambiguous
//                                                     for any plaintext, including trailing zeros)
//
// The padded length is the smallest bucket ≥ plaintext length + 1. Padding happens before the
// sender's signature and MLS's encryption, so the padding bytes are authenticated like the rest,
// and a receiver refuses anything that is not exactly a bucket long.

import { MlsLayerError } from './errors.js';

const MARKER = 0x80;

/**
 * Application messages: a heartbeat or short line, a sentence, a paragraph, a page, and the
 * largest chat message (4,000 characters of JSON-escaped UTF-8 fit in 32 KiB).
 */
export const APP_BUCKETS: readonly number[] = [256, 1024, 4096, 16384, 32768];

export function bucketFor(length: number, buckets: readonly number[] = APP_BUCKETS): number {
  const bucket = buckets.find((b) => b >= length + 1);
  if (bucket === undefined)
    throw new MlsLayerError('BAD_INPUT', `${length} bytes do not fit the largest bucket`);
  return bucket;
}

export function pad(plaintext: Uint8Array, buckets: readonly number[] = APP_BUCKETS): Uint8Array {
  const out = new Uint8Array(bucketFor(plaintext.length, buckets));
  out.set(plaintext);
  out[plaintext.length] = MARKER;
  return out;
}

/** Throws MlsLayerError unless `padded` is exactly a bucket long and ends `0x80 0x00*`. */
export function unpad(padded: Uint8Array, buckets: readonly number[] = APP_BUCKETS): Uint8Array {
  if (!buckets.includes(padded.length))
    throw new MlsLayerError('BAD_INPUT', `padded length ${padded.length} is not a bucket`);
  let end = padded.length - 1;
  while (end >= 0 && padded[end] === 0) end--;
  if (end < 0 || padded[end] !== MARKER) throw new MlsLayerError('BAD_INPUT', 'bad padding');
  return padded.slice(0, end);
}
