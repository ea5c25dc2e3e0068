// The frame worker's pipe: encrypt on send, decrypt on receive, and drop-and-count everything
// else. Runs the real SFrame context (WebCrypto) on fake encoded frames.
import { describe, expect, it, vi } from 'vitest';
import { SFrameContext } from '../../../shared/sframe/index.js';
import type { FrameSource, TransformOptions } from '../../../web/e2ee/messages.js';
import { FramePipe } from '../../../web/e2ee/worker/FramePipe.js';

type Frame = { data: ArrayBuffer };
type EncodedFrame = RTCEncodedVideoFrame | RTCEncodedAudioFrame;

const KEY_A = new Uint8Array(32).fill(7);
const KEY_B = new Uint8Array(32).fill(9);

/** A VP8 delta frame (frame-tag bit 0 set) of `n` bytes with a recognisable pattern. */
function vp8Delta(n: number, seed = 1): Frame {
  const bytes = new Uint8Array(n);
  for (let i = 0; i < n; i++) bytes[i] = (i * 31 + seed) & 0xff;
  bytes[0] = 0x31; // bit 0 = 1: delta frame
  return { data: bytes.buffer };
}

function opts(
  role: 'send' | 'recv',
  peerId: string | null,
  media: 'audio' | 'video' = 'video',
  source: FrameSource = media === 'audio' ? 'microphone' : 'camera',
): TransformOptions {
  return { transformId: `${role}-${peerId ?? 'self'}`, role, media, peerId, source };
}

/** A pipe fed by hand: `push` frames, then `end()` resolves with what came out. */
function feed(pipe: FramePipe): {
  push: (f: Frame) => void;
  out: Frame[];
  end: () => Promise<Frame[]>;
} {
  const out: Frame[] = [];
  let ctl!: ReadableStreamDefaultController<EncodedFrame>;
  const readable = new ReadableStream<EncodedFrame>({ start: (c) => void (ctl = c) });
  const done = pipe.run(readable, new WritableStream({ write: (f) => void out.push(f) }));
  return {
    push: (f) => ctl.enqueue(f as unknown as EncodedFrame),
    out,
    end: async () => {
      ctl.close();
      await done;
      return out;
    },
  };
}

const tick = (ms = 0): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Runs frames through a pipe and returns what came out. */
async function run(pipe: FramePipe, frames: Frame[]): Promise<Frame[]> {
  const out: Frame[] = [];
  const readable = new ReadableStream<EncodedFrame>({
    start(controller) {
      for (const f of frames) controller.enqueue(f as unknown as EncodedFrame);
      controller.close();
    },
  });
  const writable = new WritableStream<EncodedFrame>({
    write: (f) => void out.push(f),
  });
  await pipe.run(readable, writable);
  return out;
}

const copy = (f: Frame): Frame => ({ data: f.data.slice(0) });
const bytes = (f: Frame): Uint8Array => new Uint8Array(f.data);

describe('FramePipe (send)', () => {
  it('drops and counts frames while there is no sender key — never passes them through', async () => {
    const ctx = new SFrameContext();
    const pipe = new FramePipe(ctx, opts('send', null), () => undefined);
    const out = await run(pipe, [vp8Delta(100), vp8Delta(120)]);
    expect(out).toHaveLength(0);
    expect(pipe.stats().dropped).toEqual({ NO_SENDER_KEY: 2 });
    expect(pipe.stats().frames).toBe(0);
  });

  it('encrypts: the payload changes, the VP8 tag stays in clear, and the KID is recorded', async () => {
    const ctx = new SFrameContext();
    await ctx.setSenderKey(17, KEY_A);
    const pipe = new FramePipe(ctx, opts('send', null), () => undefined);
    const input = vp8Delta(200);
    const original = bytes(copy(input));
    const [sealed] = await run(pipe, [input]);
    const out = bytes(sealed!);
    expect(out.length).toBeGreaterThan(original.length);
    expect([...out.subarray(0, 3)]).toEqual([...original.subarray(0, 3)]);
    expect(Buffer.from(out).includes(Buffer.from(original.subarray(3, 40)))).toBe(false);
    expect(pipe.stats()).toMatchObject({ frames: 1, kid: 17, dropped: {} });
  });

  it('dates the KID in use from its first frame, and again when the key changes', async () => {
    const ctx = new SFrameContext();
    await ctx.setSenderKey(17, KEY_A);
    const pipe = new FramePipe(ctx, opts('send', null), () => undefined);
    const f = feed(pipe);
    expect(pipe.stats().kidSince).toBeNull();
    f.push(vp8Delta(100));
    await tick(5);
    const first = pipe.stats();
    expect(first).toMatchObject({ kid: 17, frames: 1 });
    expect(first.kidSince).not.toBeNull();
    f.push(vp8Delta(100, 2));
    await tick(20);
    expect(pipe.stats()).toMatchObject({ kid: 17, frames: 2, kidSince: first.kidSince });
    await ctx.setSenderKey(18, KEY_B);
    f.push(vp8Delta(100, 3));
    await f.end();
    const after = pipe.stats();
    expect(after).toMatchObject({ kid: 18, frames: 3 });
    expect(after.kidSince!).toBeGreaterThan(first.kidSince!);
    expect(after.kidSince!).toBeLessThanOrEqual(after.lastFrameAt!);
  });

  it('drops empty frames', async () => {
    const ctx = new SFrameContext();
    await ctx.setSenderKey(1, KEY_A);
    const pipe = new FramePipe(ctx, opts('send', null), () => undefined);
    expect(await run(pipe, [{ data: new ArrayBuffer(0) }])).toHaveLength(0);
    expect(pipe.stats().dropped).toEqual({ EMPTY: 1 });
  });
});

describe('FramePipe (receive)', () => {
  async function sealedFrames(
    key: Uint8Array,
    kid: number,
    n: number,
    media: 'audio' | 'video' = 'video',
    source?: FrameSource,
  ): Promise<{ plain: Frame[]; sealed: Frame[] }> {
    const ctx = new SFrameContext();
    await ctx.setSenderKey(kid, key);
    const plain = Array.from({ length: n }, (_, i) => vp8Delta(80 + i, i));
    const sealed = await run(
      new FramePipe(ctx, opts('send', null, media, source), () => undefined),
      plain.map(copy),
    );
    return { plain, sealed };
  }

  it('decrypts frames of the expected sender back to the original bytes', async () => {
    const { plain, sealed } = await sealedFrames(KEY_A, 33, 3);
    const rx = new SFrameContext();
    await rx.addReceiverKey(33, KEY_A, 'alice');
    const pipe = new FramePipe(rx, opts('recv', 'alice'), () => undefined);
    const out = await run(pipe, sealed);
    expect(out.map((f) => [...bytes(f)])).toEqual(plain.map((f) => [...bytes(f)]));
    expect(pipe.stats()).toMatchObject({ frames: 3, kid: 33, dropped: {}, peerId: 'alice' });
  });

  it('drops frames it has no key for (UNKNOWN_KID) and frames with a wrong key (AUTH_FAILED)', async () => {
    const { sealed } = await sealedFrames(KEY_A, 33, 2);
    const noKey = new FramePipe(new SFrameContext(), opts('recv', 'alice'), () => undefined, 0);
    expect(await run(noKey, sealed.map(copy))).toHaveLength(0);
    expect(noKey.stats().dropped).toEqual({ UNKNOWN_KID: 2 });

    const wrong = new SFrameContext();
    await wrong.addReceiverKey(33, KEY_B, 'alice');
    const wrongKey = new FramePipe(wrong, opts('recv', 'alice'), () => undefined);
    expect(await run(wrongKey, sealed.map(copy))).toHaveLength(0);
    expect(wrongKey.stats().dropped).toEqual({ AUTH_FAILED: 2 });
  });

  it('drops tampered frames, including a flipped bit in the clear VP8 prefix', async () => {
    const { sealed } = await sealedFrames(KEY_A, 5, 2);
    const rx = new SFrameContext();
    await rx.addReceiverKey(5, KEY_A, 'alice');
    const tampered = sealed.map(copy);
    bytes(tampered[0]!)[1]! ^= 0x01; // clear prefix (authenticated as metadata)
    const last = bytes(tampered[1]!);
    last[last.length - 1]! ^= 0x80; // tag
    const pipe = new FramePipe(rx, opts('recv', 'alice'), () => undefined);
    expect(await run(pipe, tampered)).toHaveLength(0);
    expect(pipe.stats().dropped).toEqual({ AUTH_FAILED: 2 });
  });

  it('refuses a frame sealed with another participant’s key (the SFU cannot swap senders)', async () => {
    const { sealed } = await sealedFrames(KEY_B, 48, 1);
    const rx = new SFrameContext();
    await rx.addReceiverKey(48, KEY_B, 'bob');
    const pipe = new FramePipe(rx, opts('recv', 'alice'), () => undefined);
    expect(await run(pipe, sealed)).toHaveLength(0);
    expect(pipe.stats().dropped).toEqual({ WRONG_SENDER: 1 });
  });

  it('refuses a camera frame the SFU presents as the screen, and the reverse (it cannot swap sources)', async () => {
    const camera = await sealedFrames(KEY_A, 7, 2, 'video', 'camera');
    const screen = await sealedFrames(KEY_A, 7, 2, 'video', 'screen');
    const rx = new SFrameContext();
    await rx.addReceiverKey(7, KEY_A, 'alice');
    const asScreen = new FramePipe(rx, opts('recv', 'alice', 'video', 'screen'), () => undefined);
    expect(await run(asScreen, camera.sealed.map(copy))).toHaveLength(0);
    expect(asScreen.stats().dropped).toEqual({ WRONG_LABEL: 2 });
    const asCamera = new FramePipe(rx, opts('recv', 'alice', 'video', 'camera'), () => undefined);
    expect(await run(asCamera, screen.sealed.map(copy))).toHaveLength(0);
    expect(asCamera.stats().dropped).toEqual({ WRONG_LABEL: 2 });
    // the refusals did not mark the frames as seen: under their own label they still open
    const right = new FramePipe(rx, opts('recv', 'alice', 'video', 'camera'), () => undefined);
    const out = await run(right, camera.sealed.map(copy));
    expect(out.map((f) => [...bytes(f)])).toEqual(camera.plain.map((f) => [...bytes(f)]));
    // a microphone receiver has no other label to try: a video frame there is refused like any
    // garbage (its SFrame header sits after the VP8 tag, where an Opus receiver does not look)
    const micRx = new FramePipe(rx, opts('recv', 'alice', 'audio'), () => undefined, 0);
    expect(await run(micRx, screen.sealed.map(copy))).toHaveLength(0);
    expect(micRx.stats().dropped.WRONG_LABEL).toBeUndefined();
  });

  it('drops replayed frames', async () => {
    const { sealed } = await sealedFrames(KEY_A, 2, 1);
    const rx = new SFrameContext();
    await rx.addReceiverKey(2, KEY_A, 'alice');
    const pipe = new FramePipe(rx, opts('recv', 'alice'), () => undefined);
    const out = await run(pipe, [copy(sealed[0]!), copy(sealed[0]!)]);
    expect(out).toHaveLength(1);
    expect(pipe.stats().dropped).toEqual({ REPLAY: 1 });
  });

  it('announces recovery (for a key-frame request) when video decrypts again after drops', async () => {
    const { sealed } = await sealedFrames(KEY_A, 3, 2);
    const rx = new SFrameContext();
    const recovered: string[] = [];
    const pipe = new FramePipe(rx, opts('recv', 'alice'), (id) => recovered.push(id), 0);
    await run(pipe, [copy(sealed[0]!)]); // no key yet: dropped
    await rx.addReceiverKey(3, KEY_A, 'alice');
    await run(pipe, [copy(sealed[1]!)]);
    expect(recovered).toEqual(['recv-alice']);
    expect(pipe.stats()).toMatchObject({ frames: 1, dropped: { UNKNOWN_KID: 1 } });
  });

  it('after stop(), frames are dropped as CLOSED', async () => {
    const { sealed } = await sealedFrames(KEY_A, 4, 1);
    const rx = new SFrameContext();
    await rx.addReceiverKey(4, KEY_A, 'alice');
    const pipe = new FramePipe(rx, opts('recv', 'alice'), () => undefined);
    pipe.stop();
    expect(await run(pipe, sealed)).toHaveLength(0);
  });

  it('holds frames that overtook their key, and delivers them in order once it arrives', async () => {
    const { plain, sealed } = await sealedFrames(KEY_A, 21, 3);
    const rx = new SFrameContext();
    const recovered: string[] = [];
    const pipe = new FramePipe(rx, opts('recv', 'alice'), (id) => recovered.push(id), 60_000);
    const f = feed(pipe);
    f.push(copy(sealed[0]!));
    f.push(copy(sealed[1]!));
    await tick(20);
    expect(f.out).toHaveLength(0); // waiting, not dropped
    await rx.addReceiverKey(21, KEY_A, 'alice');
    pipe.keysChanged();
    f.push(copy(sealed[2]!));
    const out = await f.end();
    expect(out.map((x) => [...bytes(x)])).toEqual(plain.map((x) => [...bytes(x)]));
    expect(pipe.stats()).toMatchObject({ frames: 3, kid: 21, dropped: {} });
    expect(recovered).toEqual([]); // nothing was lost: no key frame needed
  });

  it('drops a frame whose key does not come within the wait, counted as UNKNOWN_KID', async () => {
    const { sealed } = await sealedFrames(KEY_A, 22, 1);
    const pipe = new FramePipe(new SFrameContext(), opts('recv', 'alice'), () => undefined, 30);
    const f = feed(pipe);
    f.push(copy(sealed[0]!));
    await tick(120);
    expect(pipe.stats().dropped).toEqual({ UNKNOWN_KID: 1 });
    expect(await f.end()).toHaveLength(0);
  });

  it('lets frames under known keys pass while a frame under an unknown KID waits', async () => {
    const stray = await sealedFrames(KEY_B, 99, 1); // a KID nobody gave us (e.g. injected)
    const { plain, sealed } = await sealedFrames(KEY_A, 23, 2);
    const rx = new SFrameContext();
    await rx.addReceiverKey(23, KEY_A, 'alice');
    const pipe = new FramePipe(rx, opts('recv', 'alice'), () => undefined, 60_000);
    const f = feed(pipe);
    f.push(copy(stray.sealed[0]!));
    for (const s of sealed) f.push(copy(s));
    // Wait for the two frames to come out, not for a fixed time: on a loaded machine 20 ms was
    // not always enough for two WebCrypto decryptions. The stray frame's 60 s wait is far beyond.
    await vi.waitFor(() => expect(f.out).toHaveLength(plain.length), { timeout: 10_000 });
    expect(f.out.map((x) => [...bytes(x)])).toEqual(plain.map((x) => [...bytes(x)]));
    await f.end();
    expect(pipe.stats().dropped).toEqual({ UNKNOWN_KID: 1 }); // still waiting when the stream ended
  });
});
