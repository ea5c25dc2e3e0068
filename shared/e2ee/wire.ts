// Relay envelopes of the key protocol. Everything the SFU relays for us is one of these; the SFU
// sees only opaque bytes. Byte diagrams (all integers big-endian):
//
//   every message   | 0xB1 (protocol v1) | type u8 | body ...
//
//   HELLO   0x01    | announcement |                                        (broadcast or directed)
//   INIT    0x02    | announcement | n_i 16 B |                             (initiator → responder)
//   RESP    0x03    | announcement | n_i 16 B | n_r 16 B | confirm 32 B |   (responder → initiator)
//   CHANNEL 0x04    | channel id 8 B | counter u64 | ChaCha20-Poly1305(records) incl. 16 B tag |
//
// Announcement layout: announcement.ts. Channel records: records.ts. Handshake: handshake.ts.

import { Reader, WireError, Writer, type Bytes } from './bytes.js';
import { readAnnouncement, type ParsedAnnouncement } from './announcement.js';

export const PROTOCOL_MAGIC = 0xb1;
export const NONCE_LENGTH = 16;
export const CONFIRM_LENGTH = 32;
export const CHANNEL_ID_LENGTH = 8;
export const CHANNEL_HEADER_LENGTH = 2 + CHANNEL_ID_LENGTH + 8;
/** The SFU relays at most 64 KiB per message. */
export const MAX_RELAY_PAYLOAD = 64 * 1024;

export const MessageType = { HELLO: 0x01, INIT: 0x02, RESP: 0x03, CHANNEL: 0x04 } as const;

export type RelayMessage =
  | { readonly kind: 'hello'; readonly ann: ParsedAnnouncement }
  | { readonly kind: 'init'; readonly ann: ParsedAnnouncement; readonly nI: Bytes }
  | {
      readonly kind: 'resp';
      readonly ann: ParsedAnnouncement;
      readonly nI: Bytes;
      readonly nR: Bytes;
      readonly confirm: Bytes;
    }
  | {
      readonly kind: 'channel';
      readonly channelId: Bytes;
      readonly counter: number;
      /** magic, type, channel id and counter: the AEAD's associated data. */
      readonly header: Bytes;
      readonly ciphertext: Bytes;
    };

export function encodeHello(announcement: Uint8Array): Bytes {
  return new Writer().u8(PROTOCOL_MAGIC).u8(MessageType.HELLO).bytes(announcement).finish();
}

export function encodeInit(announcement: Uint8Array, nI: Uint8Array): Bytes {
  return new Writer()
    .u8(PROTOCOL_MAGIC)
    .u8(MessageType.INIT)
    .bytes(announcement)
    .bytes(nI)
    .finish();
}

export function encodeResp(
  announcement: Uint8Array,
  nI: Uint8Array,
  nR: Uint8Array,
  confirm: Uint8Array,
): Bytes {
  return new Writer()
    .u8(PROTOCOL_MAGIC)
    .u8(MessageType.RESP)
    .bytes(announcement)
    .bytes(nI)
    .bytes(nR)
    .bytes(confirm)
    .finish();
}

export function encodeChannelHeader(channelId: Uint8Array, counter: number): Bytes {
  return new Writer(CHANNEL_HEADER_LENGTH)
    .u8(PROTOCOL_MAGIC)
    .u8(MessageType.CHANNEL)
    .bytes(channelId)
    .u64(counter)
    .finish();
}

/** Parses a relay payload. Throws WireError for anything malformed. */
export function decodeRelayMessage(payload: Uint8Array): RelayMessage {
  if (payload.length > MAX_RELAY_PAYLOAD) throw new WireError('message too large');
  const r = new Reader(payload);
  if (r.u8() !== PROTOCOL_MAGIC) throw new WireError('unknown protocol');
  const type = r.u8();
  let msg: RelayMessage;
  switch (type) {
    case MessageType.HELLO:
      msg = { kind: 'hello', ann: readAnnouncement(r, payload) };
      break;
    case MessageType.INIT:
      msg = { kind: 'init', ann: readAnnouncement(r, payload), nI: r.bytes(NONCE_LENGTH) };
      break;
    case MessageType.RESP:
      msg = {
        kind: 'resp',
        ann: readAnnouncement(r, payload),
        nI: r.bytes(NONCE_LENGTH),
        nR: r.bytes(NONCE_LENGTH),
        confirm: r.bytes(CONFIRM_LENGTH),
      };
      break;
    case MessageType.CHANNEL: {
      const channelId = r.bytes(CHANNEL_ID_LENGTH);
      const counter = r.u64();
      const header = payload.slice(0, r.offset);
      return { kind: 'channel', channelId, counter, header, ciphertext: r.bytes(r.remaining) };
    }
    default:
      throw new WireError(`unknown message type ${type}`);
  }
  r.end();
  return msg;
}
