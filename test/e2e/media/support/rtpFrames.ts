/**
 * Rebuilds encoded frames from the RTP packets the SFU forwarded (recorded by the test-only
 * ProducerTap), so a test can look at exactly the bytes the SFU handled.
 *
 * RTP fixed header (RFC 3550 §5.1), then CSRCs, then an optional header extension (§5.3.1):
 *
 *    0                   1                   2                   3
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |V=2|P|X|  CC   |M|     PT      |       sequence number         |
 *   |                           timestamp                           |
 *   |                             SSRC                              |
 *   |            CSRC list (CC × 4 bytes)                           |
 *   |  profile (16)  |  length in 32-bit words (16) | extension ... |  (if X)
 *   |  payload ...                          | padding | pad count   |  (if P)
 *
 * VP8 payload descriptor (RFC 7741 §4.2), in front of every VP8 packet's share of the frame:
 *
 *   |X|R|N|S|R| PID |        X: extension byte follows, S: start of a partition, PID: partition
 *   |I|L|T|K| RSV   |  (X)   I: PictureID (7 or 15 bits, M bit first), L: TL0PICIDX,
 *   |M| PictureID   |  (I)   T/K: one byte TID|Y|KEYIDX
 *   |  TL0PICIDX    |  (L)
 *   |TID|Y| KEYIDX  |  (T or K)
 *
 * A VP8 frame is the concatenation of the payloads (descriptor removed) of the packets with one
 * timestamp, from the packet with S=1 and PID=0 to the packet with the marker bit. For Opus the
 * whole RTP payload is the frame (RFC 7587).
 */

export interface RtpPacket {
  readonly payloadType: number;
  readonly marker: boolean;
  readonly sequenceNumber: number;
  readonly timestamp: number;
  readonly ssrc: number;
  readonly payload: Uint8Array;
}

export interface EncodedFrame {
  readonly ssrc: number;
  readonly timestamp: number;
  /** Sequence number of the frame's first packet (for ordering). */
  readonly firstSequence: number;
  readonly data: Uint8Array;
}

const RTP_HEADER_LENGTH = 12;
const RTP_VERSION = 2;

export function parseRtp(packet: Uint8Array): RtpPacket | null {
  if (packet.length < RTP_HEADER_LENGTH || packet[0]! >> 6 !== RTP_VERSION) return null;
  const view = new DataView(packet.buffer, packet.byteOffset, packet.byteLength);
  const padding = (packet[0]! & 0x20) !== 0;
  const extension = (packet[0]! & 0x10) !== 0;
  const csrcCount = packet[0]! & 0x0f;
  let offset = RTP_HEADER_LENGTH + 4 * csrcCount;
  if (extension) {
    if (offset + 4 > packet.length) return null;
    offset += 4 + 4 * view.getUint16(offset + 2);
  }
  let end = packet.length;
  if (padding) end -= packet[packet.length - 1]!;
  if (offset > end) return null;
  return {
    payloadType: packet[1]! & 0x7f,
    marker: (packet[1]! & 0x80) !== 0,
    sequenceNumber: view.getUint16(2),
    timestamp: view.getUint32(4),
    ssrc: view.getUint32(8),
    payload: packet.subarray(offset, end),
  };
}

export interface Vp8Descriptor {
  /** Start of a VP8 partition. */
  readonly start: boolean;
  readonly partitionIndex: number;
  /** Bytes the descriptor occupies. */
  readonly length: number;
}

export function parseVp8Descriptor(payload: Uint8Array): Vp8Descriptor | null {
  if (payload.length < 1) return null;
  const b0 = payload[0]!;
  let o = 1;
  if (b0 & 0x80) {
    if (payload.length < 2) return null;
    const x = payload[o++]!;
    if (x & 0x80) o += payload[o]! & 0x80 ? 2 : 1; // PictureID, M bit → 15 bits
    if (x & 0x40) o += 1; // TL0PICIDX
    if (x & 0x30) o += 1; // TID/Y/KEYIDX
  }
  if (o > payload.length) return null;
  return { start: (b0 & 0x10) !== 0, partitionIndex: b0 & 0x07, length: o };
}

/** The packets of the stream's media payload type (drops RTX and probes, which use others). */
function mediaPackets(raw: readonly Uint8Array[]): RtpPacket[] {
  const parsed = raw.map(parseRtp).filter((p): p is RtpPacket => p !== null);
  const count = new Map<number, number>();
  for (const p of parsed) count.set(p.payloadType, (count.get(p.payloadType) ?? 0) + 1);
  const main = [...count.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
  return parsed.filter((p) => p.payloadType === main && p.payload.length > 0);
}

/** Opus: one frame per packet. */
export function opusFrames(raw: readonly Uint8Array[]): EncodedFrame[] {
  return mediaPackets(raw).map((p) => ({
    ssrc: p.ssrc,
    timestamp: p.timestamp,
    firstSequence: p.sequenceNumber,
    data: p.payload,
  }));
}

/** VP8: complete frames only (first packet starts partition 0, contiguous, marker on the last). */
export function vp8Frames(raw: readonly Uint8Array[]): EncodedFrame[] {
  const groups = new Map<string, RtpPacket[]>();
  const order: string[] = [];
  for (const p of mediaPackets(raw)) {
    const key = `${p.ssrc}:${p.timestamp}`;
    let list = groups.get(key);
    if (!list) {
      list = [];
      groups.set(key, list);
      order.push(key);
    }
    list.push(p);
  }
  const frames: EncodedFrame[] = [];
  for (const key of order) {
    const list = groups.get(key)!;
    // Unwrap sequence numbers relative to the first packet seen, then sort.
    const base = list[0]!.sequenceNumber;
    const rel = (s: number): number => ((s - base + 0x8000 + 0x10000) % 0x10000) - 0x8000;
    const sorted = [...new Map(list.map((p) => [rel(p.sequenceNumber), p])).entries()].sort(
      (a, b) => a[0] - b[0],
    );
    const first = sorted[0]!;
    const last = sorted[sorted.length - 1]!;
    if (last[0] - first[0] !== sorted.length - 1 || !last[1].marker) continue;
    const parts: Uint8Array[] = [];
    let ok = true;
    for (const [i, [, p]] of sorted.entries()) {
      const d = parseVp8Descriptor(p.payload);
      if (!d || (i === 0 && !(d.start && d.partitionIndex === 0))) {
        ok = false;
        break;
      }
      parts.push(p.payload.subarray(d.length));
    }
    if (!ok) continue;
    const data = new Uint8Array(parts.reduce((n, x) => n + x.length, 0));
    let o = 0;
    for (const x of parts) {
      data.set(x, o);
      o += x.length;
    }
    frames.push({
      ssrc: first[1].ssrc,
      timestamp: first[1].timestamp,
      firstSequence: first[1].sequenceNumber,
      data,
    });
  }
  return frames;
}

/** What a tapped producer carried, as frames. */
export interface TappedStream {
  readonly producerId: string;
  readonly peerId: string;
  readonly source: string;
  readonly media: 'audio' | 'video';
  readonly frames: EncodedFrame[];
  /** Raw RTP packets (for byte searches over everything relayed). */
  readonly packets: readonly Uint8Array[];
}

export function tappedStream(p: {
  producerId: string;
  peerId: string;
  source: string;
  kind: string;
  mimeType: string;
  packets: readonly Uint8Array[];
}): TappedStream {
  const packets = [...p.packets];
  const video = p.kind === 'video';
  if (video && p.mimeType.toLowerCase() !== 'video/vp8') {
    throw new Error(`unexpected video codec ${p.mimeType}`);
  }
  return {
    producerId: p.producerId,
    peerId: p.peerId,
    source: p.source,
    media: video ? 'video' : 'audio',
    frames: video ? vp8Frames(packets) : opusFrames(packets),
    packets,
  };
}
