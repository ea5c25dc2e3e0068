// The RTP → frame reassembly and ciphertext helpers the blind-SFU browser tests rely on
// (test/e2e/media/support): if these were wrong, those tests could pass for the wrong reason.
import { describe, expect, it } from 'vitest';
import {
  opusFrames,
  parseRtp,
  parseVp8Descriptor,
  vp8Frames,
} from '../../e2e/media/support/rtpFrames.js';
import { shannonEntropy, sframeView, vp8Tag } from '../../e2e/media/support/ciphertext.js';
import { encodeHeader } from '../../../shared/sframe/index.js';

interface PacketSpec {
  seq: number;
  ts: number;
  marker?: boolean;
  pt?: number;
  payload: number[];
  csrcs?: number;
  extensionWords?: number;
  padding?: number;
}

function rtp(p: PacketSpec): Uint8Array {
  const csrcs = p.csrcs ?? 0;
  const ext = p.extensionWords;
  const pad = p.padding ?? 0;
  const header = 12 + 4 * csrcs + (ext !== undefined ? 4 + 4 * ext : 0);
  const out = new Uint8Array(header + p.payload.length + pad);
  const v = new DataView(out.buffer);
  out[0] = 0x80 | (pad ? 0x20 : 0) | (ext !== undefined ? 0x10 : 0) | csrcs;
  out[1] = (p.marker ? 0x80 : 0) | (p.pt ?? 96);
  v.setUint16(2, p.seq & 0xffff);
  v.setUint32(4, p.ts);
  v.setUint32(8, 0x11223344);
  let o = 12 + 4 * csrcs;
  if (ext !== undefined) {
    v.setUint16(o, 0xbede);
    v.setUint16(o + 2, ext);
    out.fill(0xee, o + 4, o + 4 + 4 * ext); // extension bytes must not leak into the payload
    o += 4 + 4 * ext;
  }
  out.set(p.payload, o);
  if (pad) out[out.length - 1] = pad;
  return out;
}

/** VP8 descriptor with X=1, I (15-bit PictureID), L and T: 6 bytes. */
function desc(start: boolean, pid = 0): number[] {
  return [0x80 | (start ? 0x10 : 0) | pid, 0xe0, 0x80 | 0x12, 0x34, 0x07, 0x40];
}

describe('RTP parsing', () => {
  it('skips CSRCs, the header extension and padding', () => {
    const p = parseRtp(
      rtp({
        seq: 7,
        ts: 9,
        marker: true,
        payload: [1, 2, 3],
        csrcs: 2,
        extensionWords: 2,
        padding: 4,
      }),
    )!;
    expect(p).toMatchObject({ sequenceNumber: 7, timestamp: 9, marker: true, payloadType: 96 });
    expect([...p.payload]).toEqual([1, 2, 3]);
  });

  it('rejects non-RTP input', () => {
    expect(parseRtp(new Uint8Array([0x40, 0, 0]))).toBeNull();
    expect(parseRtp(new Uint8Array(12).fill(0x00))).toBeNull();
  });

  it('reads the VP8 payload descriptor length for every optional field', () => {
    expect(parseVp8Descriptor(new Uint8Array([0x10, 0xaa]))).toEqual({
      start: true,
      partitionIndex: 0,
      length: 1,
    });
    expect(parseVp8Descriptor(new Uint8Array(desc(true)))!.length).toBe(6);
    // I with a 7-bit PictureID only.
    expect(parseVp8Descriptor(new Uint8Array([0x90, 0x80, 0x05, 0xaa]))!.length).toBe(3);
  });
});

describe('frame reassembly', () => {
  it('joins the packets of one timestamp in sequence order, across a sequence wrap', () => {
    const packets = [
      rtp({ seq: 0xfffe, ts: 1000, payload: [...desc(true), 1, 2] }),
      rtp({ seq: 0, ts: 1000, marker: true, payload: [...desc(false), 5, 6] }),
      rtp({ seq: 0xffff, ts: 1000, payload: [...desc(false), 3, 4], extensionWords: 1 }),
      rtp({ seq: 1, ts: 2000, marker: true, payload: [...desc(true), 9] }),
    ];
    const frames = vp8Frames(packets);
    expect(frames.map((f) => [...f.data])).toEqual([[1, 2, 3, 4, 5, 6], [9]]);
  });

  it('drops incomplete frames (missing packet, no marker, no start) and other payload types', () => {
    const frames = vp8Frames([
      rtp({ seq: 1, ts: 10, payload: [...desc(true), 1] }),
      rtp({ seq: 3, ts: 10, marker: true, payload: [...desc(false), 3] }), // seq 2 lost
      rtp({ seq: 4, ts: 20, payload: [...desc(true), 4] }), // no marker
      rtp({ seq: 5, ts: 30, marker: true, payload: [...desc(false), 5] }), // no start
      rtp({ seq: 6, ts: 40, marker: true, payload: [...desc(true), 6] }),
      rtp({ seq: 7, ts: 40, marker: true, pt: 97, payload: [0, 6, 7] }), // RTX
      rtp({ seq: 8, ts: 50, marker: true, payload: [...desc(true), 8] }),
    ]);
    expect(frames.map((f) => [...f.data])).toEqual([[6], [8]]);
  });

  it('treats each Opus packet as one frame, skipping empty ones', () => {
    const frames = opusFrames([
      rtp({ seq: 1, ts: 960, payload: [0x78, 1] }),
      rtp({ seq: 2, ts: 1920, payload: [] }),
      rtp({ seq: 3, ts: 2880, payload: [0x78, 2] }),
    ]);
    expect(frames.map((f) => [...f.data])).toEqual([
      [0x78, 1],
      [0x78, 2],
    ]);
  });
});

describe('ciphertext view', () => {
  it('finds the SFrame header after the VP8 clear prefix (10 bytes key frame, 3 delta)', () => {
    const key = [0x50, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0x68, 0x01];
    const header = [...encodeHeader(0x1234n, 0x56789n)];
    const frame = new Uint8Array([...key, ...header, ...new Array<number>(20).fill(7)]);
    const v = sframeView(frame, 'video');
    expect(v).toMatchObject({ kid: 0x1234, ctr: 0x56789, headerLength: header.length });
    expect(v.clear.length).toBe(10);
    expect(v.sealed.length).toBe(20);
    expect(vp8Tag(frame)).toMatchObject({
      keyFrame: true,
      startCode: true,
      width: 640,
      height: 360,
    });

    const delta = new Uint8Array([0x51, 0, 0, ...header, 1, 2]);
    expect(sframeView(delta, 'video').clear.length).toBe(3);
    expect(() => sframeView(new Uint8Array([0x51, 0, 0, 0x90, 0x00]), 'video')).toThrow();
  });

  it('computes Shannon entropy in bits per byte', () => {
    expect(shannonEntropy([new Uint8Array(1000).fill(3)]).bits).toBe(0);
    const all = new Uint8Array(256 * 4).map((_, i) => i % 256);
    expect(shannonEntropy([all.subarray(0, 512), all.subarray(512)]).bits).toBeCloseTo(8, 10);
  });
});
