/**
 * Plain RTP/RTCP for the integration tests that inject packets into a PlainTransport and read
 * what the SFU forwards (RFC 3550 header, RFC 5761 demultiplexing, RFC 4585 feedback).
 */

export interface RtpFields {
  /** Payload type with the marker bit in 0x80 (default 111, Opus). */
  readonly pt?: number;
  /** Default: 960 ticks (20 ms of Opus) per sequence number. */
  readonly timestamp?: number;
}

/** A 12-byte RTP header (V=2, no padding, extension or CSRC) and the payload. */
export function rtpPacket(
  seq: number,
  ssrc: number,
  payload: Uint8Array,
  fields: RtpFields = {},
): Buffer {
  const header = Buffer.alloc(12);
  header[0] = 0x80;
  header[1] = fields.pt ?? 111;
  header.writeUInt16BE(seq & 0xffff, 2);
  header.writeUInt32BE((fields.timestamp ?? seq * 960) >>> 0, 4);
  header.writeUInt32BE(ssrc, 8);
  return Buffer.concat([header, payload]);
}

/** RFC 5761 section 4: with the marker bit masked off, RTCP packet types fall in 64..95. */
export function isRtcp(packet: Buffer): boolean {
  const type = packet[1]! & 0x7f;
  return type >= 64 && type <= 95;
}

/** RFC 4585 section 6.3.1: a PLI is payload-specific feedback (PT 206) with FMT 1. */
export function isPli(packet: Buffer): boolean {
  for (let off = 0; off + 4 <= packet.length;) {
    if (packet[off + 1] === 206 && (packet[off]! & 0x1f) === 1) return true;
    off += (packet.readUInt16BE(off + 2) + 1) * 4;
  }
  return false;
}

/** The RTP payload: skips CSRCs, the header extension the SFU may add, and padding. */
export function rtpPayload(packet: Buffer): Buffer {
  const csrcCount = packet[0]! & 0x0f;
  let offset = 12 + csrcCount * 4;
  if (packet[0]! & 0x10) offset += 4 + packet.readUInt16BE(offset + 2) * 4;
  const padding = packet[0]! & 0x20 ? packet[packet.length - 1]! : 0;
  return packet.subarray(offset, packet.length - padding);
}
