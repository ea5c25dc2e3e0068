// SFrame header codec, RFC 9605 §4.3 (https://www.rfc-editor.org/rfc/rfc9605.html#section-4.3).
//
//    0 1 2 3 4 5 6 7
//   +-+-+-+-+-+-+-+-+------------+------------+
//   |X|  K  |Y|  C  |   KID...   |   CTR...   |
//   +-+-+-+-+-+-+-+-+------------+------------+
//
// X = 0: K is the KID (0..7).  X = 1: K + 1 is the KID length in bytes (1..8), KID follows.
// Y = 0: C is the CTR (0..7).  Y = 1: C + 1 is the CTR length in bytes (1..8), CTR follows KID.
// Values are big-endian and MUST use the minimum number of bytes; we reject non-minimal encodings
// on decode so one (KID, CTR) has exactly one header (and one AAD).

import { SFrameError } from './errors.js';

export const MAX_HEADER_LENGTH = 17;
const U64_MAX = (1n << 64n) - 1n;
const INLINE_MAX = 7n;

export interface SFrameHeader {
  readonly kid: bigint;
  readonly ctr: bigint;
}

export interface DecodedHeader extends SFrameHeader {
  /** Number of bytes the header occupies. */
  readonly length: number;
}

function byteLength(v: bigint): number {
  let n = 1;
  while (v >> BigInt(8 * n) !== 0n) n++;
  return n;
}

export function headerLength(kid: bigint, ctr: bigint): number {
  return 1 + (kid > INLINE_MAX ? byteLength(kid) : 0) + (ctr > INLINE_MAX ? byteLength(ctr) : 0);
}

/** Encodes a header into `out` at `offset`; returns the number of bytes written. */
export function writeHeader(kid: bigint, ctr: bigint, out: Uint8Array, offset: number): number {
  if (kid < 0n || kid > U64_MAX || ctr < 0n || ctr > U64_MAX)
    throw new RangeError('KID/CTR out of range');
  let config = 0;
  let o = offset + 1;
  if (kid <= INLINE_MAX) {
    config |= Number(kid) << 4;
  } else {
    const len = byteLength(kid);
    config |= 0x80 | ((len - 1) << 4);
    for (let i = len - 1; i >= 0; i--) out[o++] = Number((kid >> BigInt(8 * i)) & 0xffn);
  }
  if (ctr <= INLINE_MAX) {
    config |= Number(ctr);
  } else {
    const len = byteLength(ctr);
    config |= 0x08 | (len - 1);
    for (let i = len - 1; i >= 0; i--) out[o++] = Number((ctr >> BigInt(8 * i)) & 0xffn);
  }
  out[offset] = config;
  return o - offset;
}

export function encodeHeader(kid: bigint, ctr: bigint): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(headerLength(kid, ctr));
  writeHeader(kid, ctr, out, 0);
  return out;
}

function readUint(buf: Uint8Array, offset: number, len: number, what: string): bigint {
  if (offset + len > buf.length)
    throw new SFrameError('MALFORMED', `truncated SFrame header ${what}`);
  let v = 0n;
  for (let i = 0; i < len; i++) v = (v << 8n) | BigInt(buf[offset + i]!);
  if (v <= INLINE_MAX || (len > 1 && buf[offset] === 0)) {
    throw new SFrameError('MALFORMED', `non-minimal SFrame header ${what}`);
  }
  return v;
}

/** Decodes the header at `offset`. Throws `SFrameError('MALFORMED')` on truncated or non-minimal input. */
export function decodeHeader(buf: Uint8Array, offset = 0): DecodedHeader {
  if (offset >= buf.length) throw new SFrameError('MALFORMED', 'missing SFrame header');
  const config = buf[offset]!;
  let o = offset + 1;
  let kid: bigint;
  let ctr: bigint;
  if ((config & 0x80) === 0) {
    kid = BigInt((config >> 4) & 0x07);
  } else {
    const len = ((config >> 4) & 0x07) + 1;
    kid = readUint(buf, o, len, 'KID');
    o += len;
  }
  if ((config & 0x08) === 0) {
    ctr = BigInt(config & 0x07);
  } else {
    const len = (config & 0x07) + 1;
    ctr = readUint(buf, o, len, 'CTR');
    o += len;
  }
  return { kid, ctr, length: o - offset };
}
