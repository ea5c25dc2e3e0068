// Frame fuzz: >= 100,000 garbled, truncated, extended, replayed, re-ordered, re-headed and foreign
// SFrame frames into the receiving side of the E2EE frame worker (FramePipe over one shared
// SFrameContext, exactly as web/e2ee/worker/frameWorker.ts wires them), interleaved with the
// genuine camera (VP8 key/delta), microphone (Opus) and screen (VP8, large frames) streams of one
// sender. Checks: nothing throws out of the pipes, every genuine frame comes out once, in order and
// byte-exact, nothing else ever comes out, and every hostile frame is counted under a drop reason.
//
// Frames are fed one at a time and each is awaited until the pipe has delivered or dropped it, so
// a run is a pure function of the seed: FUZZ_SEED=<printed seed> replays it. FUZZ_SCALE scales the
// count; FUZZ_SHRINK=1 lets fast-check shrink a failure (slow) instead of stopping at the first.
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { SFrameContext, makeKid } from '../../../shared/sframe/index.js';
import {
  FRAME_SOURCE_LABEL,
  type DropReason,
  type FrameSource,
  type TransformOptions,
} from '../../../web/e2ee/messages.js';
import { FramePipe } from '../../../web/e2ee/worker/FramePipe.js';
import {
  STREAMS,
  frameOp,
  isGenuine,
  nonMinimalHeader,
  withHeader,
  type FrameOp,
  type Stream,
} from '../../fuzz/frameOps.js';
import { fillBytes, fuzzScale, fuzzSeed, printTable } from '../../fuzz/seed.js';
import { encodeHeader } from '../../../shared/sframe/index.js';

type EncodedFrame = RTCEncodedVideoFrame | RTCEncodedAudioFrame;

const OPS_PER_RUN = 1000;
const RUNS = fuzzScale(140);
const MIN_HOSTILE = fuzzScale(100_000);

const totals = {
  runs: 0,
  genuine: 0,
  hostile: 0,
  delivered: 0,
  byOp: new Map<string, number>(),
  drops: new Map<string, number>(), // `${stream}\u0000${reason}`
};

function add(map: Map<string, number>, key: string, n = 1): void {
  map.set(key, (map.get(key) ?? 0) + n);
}

/** One receiving pipe, fed by hand, one frame at a time. */
class Receiver {
  readonly out: Uint8Array[] = [];
  private ctl!: ReadableStreamDefaultController<EncodedFrame>;
  private readonly done: Promise<void>;
  readonly pipe: FramePipe;

  constructor(ctx: SFrameContext, options: TransformOptions) {
    // keyWaitMs 0: a frame with an unknown KID is dropped at once, so every frame settles as
    // exactly one delivery or one drop (the wait path has its own tests in framePipe.test.ts).
    this.pipe = new FramePipe(ctx, options, () => undefined, 0);
    const readable = new ReadableStream<EncodedFrame>({ start: (c) => void (this.ctl = c) });
    const writable = new WritableStream<EncodedFrame>({
      write: (f) => void this.out.push(new Uint8Array(f.data)),
    });
    this.done = this.pipe.run(readable, writable);
  }

  private settled(): number {
    const s = this.pipe.stats();
    return s.frames + Object.values(s.dropped).reduce((a, b) => a + b, 0);
  }

  /** Feeds one frame and waits until the pipe has delivered or dropped it. */
  async feed(bytes: Uint8Array): Promise<void> {
    const before = this.settled();
    const data = new Uint8Array(bytes).buffer; // a copy: the pipe may rewrite frame.data
    this.ctl.enqueue({ data } as unknown as EncodedFrame);
    for (let spins = 0; this.settled() === before; spins++) {
      if (spins > 100_000) throw new Error('frame neither delivered nor dropped');
      await new Promise((r) => setImmediate(r));
    }
  }

  async end(): Promise<void> {
    this.ctl.close();
    await this.done;
  }
}

interface Scenario {
  aliceKey: Uint8Array;
  bobKey: Uint8Array;
  fakeKey: Uint8Array;
  slot: number;
  generation: number;
  ops: FrameOp[];
}

const keyArb = fc.uint8Array({ minLength: 32, maxLength: 32 });
const scenarioArb: fc.Arbitrary<Scenario> = fc.record({
  aliceKey: keyArb,
  bobKey: keyArb,
  fakeKey: keyArb,
  slot: fc.integer({ min: 1, max: 4094 }),
  generation: fc.integer({ min: 0, max: 15 }),
  ops: fc.array(frameOp, { minLength: OPS_PER_RUN, maxLength: OPS_PER_RUN }),
});

/** A plaintext encoded frame of the stream's layout. */
function plainFrame(stream: Stream, size: number, key: boolean, fill: number): Uint8Array {
  if (stream === 'mic') return fillBytes(1 + (size >> 3), fill);
  const n = (stream === 'screen' ? size * 8 : size) + 10;
  const f = fillBytes(n, fill);
  f[0] = key ? f[0]! & 0xfe : f[0]! | 0x01; // VP8 inverse key-frame bit
  return f;
}

const layoutOf = (stream: Stream): 'vp8' | 'opus' => (stream === 'mic' ? 'opus' : 'vp8');
const sourceOf = (stream: Stream): FrameSource => (stream === 'mic' ? 'microphone' : stream);
/** What the sender's frame worker authenticates with each stream's frames (FramePipe). */
const labelOf = (stream: Stream): Uint8Array => Uint8Array.of(FRAME_SOURCE_LABEL[sourceOf(stream)]);

async function runScenario(s: Scenario): Promise<void> {
  const aliceKid = makeKid(s.slot, s.generation);
  const bobKid = makeKid(s.slot + 1, s.generation);
  const alice = new SFrameContext();
  await alice.setSenderKey(aliceKid, s.aliceKey);
  const bob = new SFrameContext();
  await bob.setSenderKey(bobKid, s.bobKey);
  const impostor = new SFrameContext();
  await impostor.setSenderKey(aliceKid, s.fakeKey);
  const rx = new SFrameContext(); // one context for all receivers, as in the worker
  await rx.addReceiverKey(aliceKid, s.aliceKey, 'alice');
  await rx.addReceiverKey(bobKid, s.bobKey, 'bob');
  const receivers = {} as Record<Stream, Receiver>;
  for (const stream of STREAMS) {
    receivers[stream] = new Receiver(rx, {
      transformId: `recv-${stream}`,
      role: 'recv',
      media: stream === 'mic' ? 'audio' : 'video',
      peerId: 'alice',
      source: sourceOf(stream),
    });
  }
  const expected: Record<Stream, Uint8Array[]> = { camera: [], mic: [], screen: [] };
  const history: Record<Stream, Uint8Array[]> = { camera: [], mic: [], screen: [] };
  const held: { due: number; stream: Stream; plain: Uint8Array; sealed: Uint8Array }[] = [];
  let hostile = 0;

  const deliverGenuine = async (stream: Stream, plain: Uint8Array, sealed: Uint8Array) => {
    expected[stream].push(plain);
    history[stream].push(sealed);
    await receivers[stream].feed(sealed);
  };
  /**
   * The frame a mutation starts from: an already delivered one (its counter is spent, so the
   * replay check may catch it first), or, for odd picks, a freshly sealed one that is never
   * delivered intact (like a frame corrupted on the way: only authentication can catch it).
   */
  const picked = async (
    stream: Stream,
    pick: number,
    fresh: boolean,
  ): Promise<Uint8Array | undefined> => {
    if (fresh && pick % 2 === 1) {
      const plain = plainFrame(stream, pick % 1200, pick % 4 === 1, pick);
      return alice.encrypt(plain, layoutOf(stream), labelOf(stream));
    }
    const h = history[stream];
    return h.length === 0 ? undefined : h[pick % h.length]!;
  };

  for (let i = 0; i <= s.ops.length; i++) {
    for (const h of held.filter((x) => x.due <= i || i === s.ops.length)) {
      held.splice(held.indexOf(h), 1);
      await deliverGenuine(h.stream, h.plain, h.sealed);
    }
    if (i === s.ops.length) break;
    const op = s.ops[i]!;
    if (isGenuine(op)) {
      const plain = plainFrame(op.stream, op.size, op.key, op.fill);
      const sealed = await alice.encrypt(plain, layoutOf(op.stream), labelOf(op.stream));
      if (op.op === 'hold') held.push({ due: i + op.delay, stream: op.stream, plain, sealed });
      else await deliverGenuine(op.stream, plain, sealed);
      continue;
    }
    const frame = await hostileFrame(op, picked, { bob, impostor });
    add(totals.byOp, op.op);
    hostile++;
    await receivers[op.stream].feed(frame);
  }
  for (const r of Object.values(receivers)) await r.end();

  let dropped = 0;
  for (const stream of STREAMS) {
    const r = receivers[stream];
    const stats = r.pipe.stats();
    // Only genuine frames come out: all of them, once each, in order, byte-exact.
    expect(r.out.length, `${stream}: delivered`).toBe(expected[stream].length);
    for (let k = 0; k < r.out.length; k++) {
      if (!equal(r.out[k]!, expected[stream][k]!)) throw new Error(`${stream}: frame ${k} differs`);
    }
    expect(stats.frames).toBe(expected[stream].length);
    for (const [reason, n] of Object.entries(stats.dropped) as [DropReason, number][]) {
      add(totals.drops, `${stream}\u0000${reason}`, n);
      dropped += n;
    }
    totals.genuine += expected[stream].length;
    totals.delivered += r.out.length;
  }
  // Every hostile frame was dropped and counted under a reason.
  expect(dropped).toBe(hostile);
  totals.hostile += hostile;
  totals.runs++;
  for (const c of [alice, bob, impostor, rx]) c.close();
}

async function hostileFrame(
  op: Exclude<FrameOp, { op: 'send' | 'hold' }>,
  picked: (stream: Stream, pick: number, fresh: boolean) => Promise<Uint8Array | undefined>,
  others: { bob: SFrameContext; impostor: SFrameContext },
): Promise<Uint8Array> {
  const layout = layoutOf(op.stream);
  switch (op.op) {
    case 'random':
      return op.bytes;
    case 'foreign':
      return others.bob.encrypt(
        plainFrame(op.stream, op.size, false, op.size),
        layout,
        labelOf(op.stream),
      );
    case 'impostor':
      return others.impostor.encrypt(
        plainFrame(op.stream, op.size, true, op.size),
        layout,
        labelOf(op.stream),
      );
    default:
  }
  const source =
    op.op === 'crossReplay'
      ? await picked(op.from, op.pick, false)
      : await picked(op.stream, op.pick, op.op !== 'replay');
  if (source === undefined) return fillBytes(24, op.pick); // nothing sealed yet: noise
  const f = new Uint8Array(source);
  switch (op.op) {
    case 'flip':
      f[op.pos % f.length]! ^= op.mask;
      return f;
    case 'truncate':
      return f.subarray(0, op.len % f.length);
    case 'extend': {
      const out = new Uint8Array(f.length + op.extra.length);
      out.set(f);
      out.set(op.extra, f.length);
      return out;
    }
    case 'replay':
    case 'crossReplay':
      return f;
    case 'rekid':
      // Never the frame's own value: that would be the genuine frame, not a hostile one.
      return withHeader(op.stream, f, (kid, ctr) => encodeHeader(other(kid, op.kid), ctr));
    case 'rectr':
      return withHeader(op.stream, f, (kid, ctr) => encodeHeader(kid, other(ctr, op.ctr)));
    case 'nonMinimal':
      return withHeader(op.stream, f, nonMinimalHeader);
    case 'keyBit':
      f[0]! ^= 0x01;
      return f;
    case 'oversize': {
      const out = fillBytes(op.size, op.pick);
      out.set(f.subarray(0, Math.min(f.length, 32)));
      return out;
    }
  }
}

const other = (own: bigint, wanted: number): bigint =>
  BigInt(wanted) === own ? own + 1n : BigInt(wanted);

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

describe('frame fuzz (FramePipe + SFrameContext, every layout)', () => {
  const seed = fuzzSeed('frame fuzz');

  afterAll(() => {
    console.log(
      `[fuzz] frame fuzz: seed ${seed}, ${totals.runs} runs, ${totals.genuine + totals.hostile} frames ` +
        `(${totals.hostile} hostile, ${totals.genuine} genuine, ${totals.delivered} delivered)`,
    );
    const reasons = [...new Set([...totals.drops.keys()].map((k) => k.split('\u0000')[1]!))];
    printTable(
      'drops by reason (hostile frames only; genuine frames all delivered)',
      reasons.sort().map((reason) => {
        const row: Record<string, string | number> = { reason };
        let sum = 0;
        for (const s of STREAMS) {
          const n = totals.drops.get(`${s}\u0000${reason}`) ?? 0;
          row[s] = n;
          sum += n;
        }
        row.total = sum;
        return row;
      }),
    );
    printTable(
      'hostile frames by mutation',
      [...totals.byOp].sort().map(([mutation, n]) => ({ mutation, frames: n })),
    );
  });

  it(`delivers only the genuine stream, drops and counts >= ${MIN_HOSTILE} hostile frames`, async () => {
    const run = await fc.check(fc.asyncProperty(scenarioArb, runScenario), {
      seed,
      numRuns: RUNS,
      endOnFailure: process.env.FUZZ_SHRINK !== '1',
    });
    // The counterexample (1000 ops) is too long to print; the seed and path replay it.
    if (run.failed)
      throw new Error(
        `frame fuzz failed: FUZZ_SEED=${run.seed}, run ${run.counterexamplePath}: ${String(run.errorInstance)}`,
      );
    expect(totals.hostile).toBeGreaterThanOrEqual(MIN_HOSTILE);
    // Every layout and every kind of hostile frame was exercised.
    for (const s of STREAMS) expect(totals.drops.get(`${s}\u0000AUTH_FAILED`)).toBeGreaterThan(0);
    for (const reason of ['REPLAY', 'MALFORMED', 'UNKNOWN_KID', 'WRONG_SENDER', 'EMPTY'])
      expect(
        [...totals.drops.keys()].some((k) => k.endsWith(`\u0000${reason}`)),
        reason,
      ).toBe(true);
  }, 900_000);
});
