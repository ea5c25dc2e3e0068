/**
 * What the signalling fuzzer's sockets send: fast-check arbitraries for one command of a socket's
 * script. Valid requests are built from what the socket (and its wave) has learnt so far, so they
 * also arrive out of order (consume before join, produce on a transport that closed on leave,
 * double join, leave during join); the rest are malformed, oversized, deeply nested, unknown,
 * unacknowledged, floods, raw wire packets and sockets dropped mid-request.
 */
import fc from 'fast-check';
import { requests, type RequestName } from '../../shared/protocol/index.js';

export const REQUEST_NAMES = Object.keys(requests) as RequestName[];

export type Command =
  /** A well-formed request built from the socket's state; `pick` chooses ids, `stale` old ones. */
  | { t: 'valid'; req: RequestName; room: number; pick: number; stale: boolean; video: boolean }
  | { t: 'malformed'; req: RequestName; payload: unknown }
  | { t: 'nested'; req: RequestName; depth: number; asObject: boolean }
  | { t: 'oversize'; what: 'envelope' | 'media' | 'socket' }
  | { t: 'unknown'; name: string }
  | { t: 'noAck'; req: RequestName }
  | { t: 'extraArgs'; req: RequestName }
  /** `n` requests at once, without waiting: at and above the rate limit's burst. */
  | { t: 'flood'; req: RequestName; n: number }
  /** join and leave (or a second join) back to back, without waiting for the first. */
  | { t: 'joinRace'; room: number; second: 'leave' | 'join' }
  /** A whole well-behaved call: join, two transports, produce audio + video, consume the room. */
  | { t: 'call'; room: number; leave: boolean }
  /** Send a request and drop the socket before its answer. */
  | { t: 'drop'; req: RequestName; room: number }
  /** An invalid socket.io packet on the wire: the server must drop just this connection. */
  | { t: 'raw'; text: string };

const req = fc.constantFrom(...REQUEST_NAMES);
/** Valid requests lean towards the ones that build state, so later ones find something to act on. */
const validReq: fc.Arbitrary<RequestName> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.constantFrom<RequestName>('join', 'createTransport', 'produce', 'consume'),
  },
  { weight: 1, arbitrary: req },
);
const room = fc.integer({ min: 0, max: 1 });

/** Wrong types, missing and extra fields, bad ids, prototype tricks, binary where JSON goes. */
const payload: fc.Arbitrary<unknown> = fc.oneof(
  fc.anything({ maxDepth: 3, withNullPrototype: true, withTypedArray: true }),
  fc.constantFrom(
    null,
    undefined,
    0,
    '',
    [],
    { roomId: '../../etc' },
    { roomId: 'a'.repeat(65), rtpCapabilities: {} },
    { roomId: 'ok', rtpCapabilities: { codecs: 'nope' } },
    { roomId: 'ok', rtpCapabilities: { codecs: [{ mimeType: 42 }] } },
    { direction: 'sideways' },
    { transportId: 'not-a-uuid!' },
    { transportId: '00000000-0000-0000-0000-000000000000', dtlsParameters: { role: 'x' } },
    { producerId: 'ffffffff-ffff-ffff-ffff-ffffffffffff' },
    { consumerId: '1', spatialLayer: -1 },
    { consumerId: '1', spatialLayer: 1.5 },
    { to: null, payload: 'text, not bytes' },
    { to: 'nobody', payload: new Uint8Array(0) },
    JSON.parse('{"__proto__":{"polluted":true},"roomId":"p"}') as unknown,
    { constructor: { prototype: { polluted: true } } },
  ),
);

export const command: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 40,
    arbitrary: fc.record({
      t: fc.constant('valid' as const),
      req: validReq,
      room,
      pick: fc.nat(),
      stale: fc.integer({ min: 0, max: 4 }).map((x) => x === 0),
      video: fc.boolean(),
    }),
  },
  { weight: 14, arbitrary: fc.record({ t: fc.constant('malformed' as const), req, payload }) },
  {
    weight: 5,
    arbitrary: fc.record({ t: fc.constant('call' as const), room, leave: fc.boolean() }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      t: fc.constant('nested' as const),
      req,
      depth: fc.integer({ min: 10, max: 1500 }),
      asObject: fc.boolean(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant('oversize' as const),
      what: fc.constantFrom('envelope' as const, 'media' as const, 'socket' as const),
    }),
  },
  {
    weight: 5,
    arbitrary: fc.record({
      t: fc.constant('unknown' as const),
      name: fc.oneof(
        fc.string({ maxLength: 30 }),
        fc.constantFrom('__proto__', 'constructor', 'hasOwnProperty', 'toString', 'x'.repeat(5000)),
      ),
    }),
  },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('noAck' as const), req }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('extraArgs' as const), req }) },
  {
    weight: 4,
    arbitrary: fc.record({
      t: fc.constant('flood' as const),
      req: fc.constantFrom<RequestName>('getRouterRtpCapabilities', 'mlsSend', 'pauseConsumer'),
      n: fc.integer({ min: 100, max: 700 }),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      t: fc.constant('joinRace' as const),
      room,
      second: fc.constantFrom('leave' as const, 'join' as const),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant('drop' as const),
      req: fc.constantFrom<RequestName>('join', 'createTransport', 'produce', 'consume', 'leave'),
      room,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      t: fc.constant('raw' as const),
      text: fc.oneof(
        fc.string({ maxLength: 40 }),
        fc.constantFrom(
          '2["join",',
          '2[123,{}]',
          '2[]',
          '29999999999999999999["x"]',
          '9',
          '2{"a":1}',
        ),
        fc
          .integer({ min: 1000, max: 40_000 })
          .map((n) => `21["join",${'['.repeat(n)}${']'.repeat(n)}]`),
      ),
    }),
  },
);

export const script = (length: number): fc.Arbitrary<Command[]> =>
  fc.array(command, { minLength: length, maxLength: length });

/** `[[[…0…]]]` or `{a:{a:…}}`, `depth` levels. */
export function nested(depth: number, asObject: boolean): unknown {
  let v: unknown = 0;
  for (let i = 0; i < depth; i++) v = asObject ? { a: v } : [v];
  return v;
}

/** RTP parameters mediasoup accepts for a send transport (fresh SSRCs each time). */
export function rtpParameters(video: boolean, ssrc: number): Record<string, unknown> {
  if (!video) {
    return {
      codecs: [
        {
          mimeType: 'audio/opus',
          payloadType: 111,
          clockRate: 48000,
          channels: 2,
          parameters: {},
          rtcpFeedback: [],
        },
      ],
      headerExtensions: [],
      encodings: [{ ssrc }],
      rtcp: { cname: 'fuzz', reducedSize: true },
    };
  }
  return {
    codecs: [
      {
        mimeType: 'video/VP8',
        payloadType: 96,
        clockRate: 90000,
        parameters: {},
        rtcpFeedback: [{ type: 'nack' }, { type: 'ccm', parameter: 'fir' }],
      },
    ],
    headerExtensions: [],
    // Three simulcast layers, so the SFU's LayerWatch is created (and must be closed) too.
    encodings: [{ ssrc }, { ssrc: ssrc + 1 }, { ssrc: ssrc + 2 }],
    rtcp: { cname: 'fuzz', reducedSize: true },
  };
}

export const DTLS_PARAMETERS = {
  role: 'client',
  fingerprints: [
    {
      algorithm: 'sha-256',
      value: Array.from({ length: 32 }, (_, i) => (i * 7).toString(16).padStart(2, '0')).join(':'),
    },
  ],
};
