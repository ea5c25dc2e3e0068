// Byte helpers and a tiny bounds-checked binary reader/writer for the key-protocol wire format.
// Every length on the wire is explicit; a short or over-long message fails with WireError.

export { asBytes, concat, equalBytes, toHex, fromHex, wipe, type Bytes } from '../sframe/bytes.js';
import type { Bytes } from '../sframe/bytes.js';

export class WireError extends Error {
  override readonly name = 'WireError';
}

const utf8 = new TextEncoder();
const utf8Strict = new TextDecoder('utf-8', { fatal: true });

export function utf8Encode(s: string): Bytes {
  return utf8.encode(s);
}

export function utf8Decode(b: Uint8Array): string {
  try {
    return utf8Strict.decode(b);
  } catch {
    throw new WireError('invalid UTF-8');
  }
}

export function base64urlEncode(b: Uint8Array): string {
  let bin = '';
  for (const x of b) bin += String.fromCharCode(x);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function base64urlDecode(s: string): Bytes {
  if (!/^[A-Za-z0-9_-]*$/.test(s)) throw new WireError('invalid base64url');
  const b64 = s.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (s.length % 4)) % 4);
  let bin: string;
  try {
    bin = atob(b64);
  } catch {
    throw new WireError('invalid base64url');
  }
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Length-prefixed (u16) encoding, used inside signed and hashed transcripts. */
export function lp(b: Uint8Array): Bytes {
  if (b.length > 0xffff) throw new RangeError('field too long');
  const out = new Uint8Array(2 + b.length);
  out[0] = b.length >>> 8;
  out[1] = b.length & 0xff;
  out.set(b, 2);
  return out;
}

export class Writer {
  private buf: Uint8Array<ArrayBuffer>;
  private n = 0;

  /** `capacity`: expected size; the buffer grows as needed. */
  constructor(capacity = 256) {
    this.buf = new Uint8Array(capacity);
  }

  private ensure(k: number): void {
    if (this.n + k <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.n + k));
    next.set(this.buf.subarray(0, this.n));
    this.buf = next;
  }
  u8(v: number): this {
    this.ensure(1);
    this.buf[this.n++] = v & 0xff;
    return this;
  }
  u16(v: number): this {
    return this.u8(v >>> 8).u8(v);
  }
  u32(v: number): this {
    return this.u16(Math.floor(v / 0x10000)).u16(v & 0xffff);
  }
  /** Unsigned integer up to 2^53 - 1, in 8 bytes. */
  u64(v: number): this {
    if (!Number.isSafeInteger(v) || v < 0) throw new RangeError('u64 out of range');
    return this.u32(Math.floor(v / 0x100000000)).u32(v >>> 0);
  }
  bytes(b: Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.n);
    this.n += b.length;
    return this;
  }
  /** u8 length + bytes. */
  var8(b: Uint8Array): this {
    if (b.length > 0xff) throw new RangeError('field too long');
    return this.u8(b.length).bytes(b);
  }
  /** u16 length + bytes. */
  var16(b: Uint8Array): this {
    if (b.length > 0xffff) throw new RangeError('field too long');
    return this.u16(b.length).bytes(b);
  }
  get length(): number {
    return this.n;
  }
  finish(): Bytes {
    return this.buf.slice(0, this.n);
  }
}

export class Reader {
  private o = 0;
  constructor(private readonly buf: Uint8Array) {}

  private need(k: number): void {
    if (this.o + k > this.buf.length) throw new WireError('truncated message');
  }
  u8(): number {
    this.need(1);
    return this.buf[this.o++]!;
  }
  u16(): number {
    return (this.u8() << 8) | this.u8();
  }
  u32(): number {
    return this.u16() * 0x10000 + this.u16();
  }
  u64(): number {
    const hi = this.u32();
    const lo = this.u32();
    if (hi > 0x1fffff) throw new WireError('u64 out of range');
    return hi * 0x100000000 + lo;
  }
  bytes(k: number): Bytes {
    this.need(k);
    const out = this.buf.slice(this.o, this.o + k);
    this.o += k;
    return out;
  }
  var8(): Bytes {
    return this.bytes(this.u8());
  }
  var16(): Bytes {
    return this.bytes(this.u16());
  }
  get offset(): number {
    return this.o;
  }
  get remaining(): number {
    return this.buf.length - this.o;
  }
  end(): void {
    if (this.o !== this.buf.length) throw new WireError('trailing bytes');
  }
}
