// Padding of encrypted display names and chat text to fixed size buckets, so the lengths the server
// sees (announcements, channel messages) do not tell names or messages apart.
//
//   padded = plaintext || 0x80 || 0x00 … 0x00        (ISO/IEC 7816-4 padding, as in RFC 9420's
//                                                     and Signal's message padding: unambiguous
//                                                     for any plaintext, including trailing zeros)
//
// The padded length is the smallest bucket ≥ plaintext length + 1. Padding happens before
// encryption (names: AES-GCM; chat: the pairwise channel's AEAD), so the padding bytes are
// authenticated like the rest, and a receiver refuses anything that is not exactly a bucket long.

import { WireError, type Bytes } from './bytes.js';

const MARKER = 0x80;

/** Every display name pads to one size: 128 bytes of name plus the marker. */
export const NAME_BUCKETS: readonly number[] = [129];
/** Chat text: short, sentence, paragraph, page, and the 4000-byte maximum plus the marker. */
export const CHAT_BUCKETS: readonly number[] = [32, 128, 512, 2048, 4001];

export function bucketFor(length: number, buckets: readonly number[]): number {
  const bucket = buckets.find((b) => b >= length + 1);
  if (bucket === undefined) throw new WireError(`${length} bytes do not fit the largest bucket`);
  return bucket;
}

export function pad(plaintext: Uint8Array, buckets: readonly number[]): Bytes {
  const out = new Uint8Array(bucketFor(plaintext.length, buckets));
  out.set(plaintext);
  out[plaintext.length] = MARKER;
  return out;
}

/** Throws WireError unless `padded` is exactly a bucket long and ends `0x80 0x00*`. */
export function unpad(padded: Uint8Array, buckets: readonly number[]): Bytes {
  if (!buckets.includes(padded.length)) {
    throw new WireError(`padded length ${padded.length} is not a bucket`);
  }
  let end = padded.length - 1;
  while (end >= 0 && padded[end] === 0) end--;
  if (end < 0 || padded[end] !== MARKER) throw new WireError('bad padding');
  return padded.slice(0, end);
}
