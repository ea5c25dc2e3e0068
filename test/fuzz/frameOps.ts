/**
 * What the frame fuzzer feeds the receiving frame worker: fast-check arbitraries for one "op" at a
 * time (a genuine frame, a held-back genuine frame for re-ordering, or a hostile one) and the
 * mutations that turn sealed genuine frames into hostile ones.
 *
 * Streams mirror the browser's three receivers of one remote sender: camera (VP8 key and delta
 * frames, 3 or 10 clear bytes), microphone (Opus, nothing in clear) and screen (VP8, large frames).
 */
import fc from 'fast-check';
import { decodeHeader, encodeHeader, vp8ClearBytes } from '../../shared/sframe/index.js';

export const STREAMS = ['camera', 'mic', 'screen'] as const;
export type Stream = (typeof STREAMS)[number];

export type GenuineOp =
  | { op: 'send'; stream: Stream; size: number; key: boolean; fill: number }
  /** Sealed now (so it takes the next counter), delivered `delay` ops later: re-ordering. */
  | { op: 'hold'; stream: Stream; size: number; key: boolean; fill: number; delay: number };

export type GarbageOp =
  | { op: 'flip'; stream: Stream; pick: number; pos: number; mask: number }
  | { op: 'truncate'; stream: Stream; pick: number; len: number }
  | { op: 'extend'; stream: Stream; pick: number; extra: Uint8Array }
  | { op: 'replay'; stream: Stream; pick: number }
  /** A genuine frame of another of the sender's tracks, already delivered there. */
  | { op: 'crossReplay'; stream: Stream; from: Stream; pick: number }
  | { op: 'random'; stream: Stream; bytes: Uint8Array }
  | { op: 'rekid'; stream: Stream; pick: number; kid: number }
  | { op: 'rectr'; stream: Stream; pick: number; ctr: number }
  /** The same KID and CTR written with a padded, non-minimal length. */
  | { op: 'nonMinimal'; stream: Stream; pick: number }
  /** VP8 inverse key-frame bit flipped: the receiver picks the other clear-prefix length. */
  | { op: 'keyBit'; stream: Stream; pick: number }
  /** Authentic frame from another participant (the SFU swapping senders). */
  | { op: 'foreign'; stream: Stream; size: number }
  /** The sender's KID, sealed with a key the attacker made up. */
  | { op: 'impostor'; stream: Stream; size: number }
  | { op: 'oversize'; stream: Stream; pick: number; size: number };

export type FrameOp = GenuineOp | GarbageOp;

export function isGenuine(op: FrameOp): op is GenuineOp {
  return op.op === 'send' || op.op === 'hold';
}

const stream = fc.constantFrom(...STREAMS);
const pick = fc.nat();

function genuine<K extends 'send' | 'hold'>(op: K): fc.Arbitrary<GenuineOp> {
  return fc.record({
    op: fc.constant(op),
    stream,
    size: fc.integer({ min: 0, max: 1200 }),
    key: fc.boolean(),
    fill: fc.nat(),
    delay: fc.integer({ min: 1, max: 40 }),
  }) as fc.Arbitrary<GenuineOp>;
}

/** One op; about a quarter genuine, three quarters hostile. */
export const frameOp: fc.Arbitrary<FrameOp> = fc.oneof(
  { weight: 18, arbitrary: genuine('send') },
  { weight: 6, arbitrary: genuine('hold') },
  {
    weight: 8,
    arbitrary: fc.record({
      op: fc.constant('flip'),
      stream,
      pick,
      pos: fc.nat(),
      mask: fc.integer({ min: 1, max: 255 }),
    }),
  },
  { weight: 8, arbitrary: fc.record({ op: fc.constant('truncate'), stream, pick, len: fc.nat() }) },
  {
    weight: 5,
    arbitrary: fc.record({
      op: fc.constant('extend'),
      stream,
      pick,
      extra: fc.uint8Array({ minLength: 1, maxLength: 32 }),
    }),
  },
  { weight: 8, arbitrary: fc.record({ op: fc.constant('replay'), stream, pick }) },
  {
    weight: 6,
    arbitrary: fc.record({ op: fc.constant('crossReplay'), stream, from: stream, pick }),
  },
  {
    weight: 8,
    arbitrary: fc.record({
      op: fc.constant('random'),
      stream,
      bytes: fc.uint8Array({ maxLength: 96 }),
    }),
  },
  {
    weight: 6,
    arbitrary: fc.record({
      op: fc.constant('rekid'),
      stream,
      pick,
      kid: fc.oneof(fc.integer({ min: 0, max: 0xffff }), fc.nat()),
    }),
  },
  {
    weight: 6,
    arbitrary: fc.record({
      op: fc.constant('rectr'),
      stream,
      pick,
      ctr: fc.oneof(fc.integer({ min: 0, max: 2000 }), fc.nat()),
    }),
  },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('nonMinimal'), stream, pick }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('keyBit'), stream, pick }) },
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant('foreign'),
      stream,
      size: fc.integer({ min: 0, max: 600 }),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant('impostor'),
      stream,
      size: fc.integer({ min: 0, max: 600 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('oversize'),
      stream,
      pick,
      size: fc.integer({ min: 16_384, max: 131_072 }),
    }),
  },
);

/** Clear-prefix length of a sealed frame of `stream` (what the receiver will assume). */
export function clearOf(stream: Stream, frame: Uint8Array): number {
  return stream === 'mic' ? 0 : vp8ClearBytes(frame);
}

/** Rewrites the SFrame header of a sealed frame, keeping prefix and ciphertext. */
export function withHeader(
  stream: Stream,
  frame: Uint8Array,
  make: (kid: bigint, ctr: bigint) => Uint8Array,
): Uint8Array {
  const clear = clearOf(stream, frame);
  const h = decodeHeader(frame, clear);
  const header = make(h.kid, h.ctr);
  const out = new Uint8Array(frame.length - h.length + header.length);
  out.set(frame.subarray(0, clear), 0);
  out.set(header, clear);
  out.set(frame.subarray(clear + h.length), clear + header.length);
  return out;
}

/** Same (KID, CTR), but the KID in long form with a leading zero byte: RFC 9605 forbids that. */
export function nonMinimalHeader(kid: bigint, ctr: bigint): Uint8Array {
  const minimal = encodeHeader(kid, ctr);
  let kidBytes: number[] = [];
  for (let v = kid; v > 0n; v >>= 8n) kidBytes.unshift(Number(v & 0xffn));
  const ctrTail = minimal.subarray(1 + (kid > 7n ? kidBytes.length : 0));
  // A KID below 8 in long form is non-minimal by itself; larger ones get a zero byte in front.
  kidBytes = kid > 7n ? [0, ...kidBytes] : [Number(kid)];
  const config = 0x80 | ((kidBytes.length - 1) << 4) | (minimal[0]! & 0x0f);
  return Uint8Array.from([config, ...kidBytes, ...ctrTail]);
}
