// Records carried inside a pairwise channel message (one message holds one or more records, so a
// key, an acknowledgement and a name can travel together):
//
//   | type u8 | length u16 | body (length bytes) | type u8 | length u16 | body | ...
//
//   CONFIRM      0x01  (empty)                           initiator's handshake finish
//   MEDIA_KEY    0x02  | generation u32 | KID u32 | u8 len | key (16 or 32 B) |
//   KEY_ACK      0x03  | generation u32 | KID u32 |
//   DISPLAY_NAME 0x04  | pad(UTF-8 name ≤ 128 B) to 129 B |
//   CHAT         0x05  | sent-at ms u64 | pad(UTF-8 text ≤ 4000 B) to 32/128/512/2048/4001 B |
//
// Names and chat are padded (padding.ts) so a channel message's length tells the server only the
// bucket, not the length of the name or message.

import { Reader, utf8Decode, utf8Encode, WireError, Writer, type Bytes } from './bytes.js';
import { MAX_DISPLAY_NAME_BYTES } from './announcement.js';
import { CHAT_BUCKETS, NAME_BUCKETS, pad, unpad } from './padding.js';

export const MAX_CHAT_BYTES = 4000;
export const MEDIA_KEY_LENGTHS: readonly number[] = [16, 32];

export type ChannelRecord =
  | { readonly kind: 'confirm' }
  | {
      readonly kind: 'mediaKey';
      readonly generation: number;
      readonly kid: number;
      readonly key: Bytes;
    }
  | { readonly kind: 'keyAck'; readonly generation: number; readonly kid: number }
  | { readonly kind: 'displayName'; readonly name: string }
  | { readonly kind: 'chat'; readonly sentAt: number; readonly text: string };

const RecordType = {
  confirm: 0x01,
  mediaKey: 0x02,
  keyAck: 0x03,
  displayName: 0x04,
  chat: 0x05,
} as const;

/** Writer capacity that fits every record but names and chat without growing. */
const SMALL_RECORD = 64;

function body(rec: ChannelRecord): Bytes {
  const w = new Writer(SMALL_RECORD);
  switch (rec.kind) {
    case 'confirm':
      break;
    case 'mediaKey':
      w.u32(rec.generation).u32(rec.kid).var8(rec.key);
      break;
    case 'keyAck':
      w.u32(rec.generation).u32(rec.kid);
      break;
    case 'displayName':
      w.bytes(pad(utf8Encode(rec.name), NAME_BUCKETS));
      break;
    case 'chat':
      w.u64(rec.sentAt).bytes(pad(utf8Encode(rec.text), CHAT_BUCKETS));
      break;
    default: {
      const _exhaustive: never = rec;
      throw new Error(`unknown record ${String(_exhaustive)}`);
    }
  }
  return w.finish();
}

export function encodeRecords(records: readonly ChannelRecord[]): Bytes {
  const w = new Writer(SMALL_RECORD * records.length);
  for (const rec of records) w.u8(RecordType[rec.kind]).var16(body(rec));
  return w.finish();
}

function decodeOne(type: number, b: Bytes): ChannelRecord {
  const r = new Reader(b);
  let rec: ChannelRecord;
  switch (type) {
    case RecordType.confirm:
      rec = { kind: 'confirm' };
      break;
    case RecordType.mediaKey: {
      const generation = r.u32();
      const kid = r.u32();
      const key = r.var8();
      if (!MEDIA_KEY_LENGTHS.includes(key.length)) throw new WireError('bad media key length');
      rec = { kind: 'mediaKey', generation, kid, key };
      break;
    }
    case RecordType.keyAck:
      rec = { kind: 'keyAck', generation: r.u32(), kid: r.u32() };
      break;
    case RecordType.displayName: {
      const name = unpad(b, NAME_BUCKETS);
      if (name.length > MAX_DISPLAY_NAME_BYTES) throw new WireError('name too long');
      return { kind: 'displayName', name: utf8Decode(name) };
    }
    case RecordType.chat: {
      const sentAt = r.u64();
      const text = unpad(r.bytes(r.remaining), CHAT_BUCKETS);
      if (text.length > MAX_CHAT_BYTES) throw new WireError('chat too long');
      return { kind: 'chat', sentAt, text: utf8Decode(text) };
    }
    default:
      throw new WireError(`unknown record type ${type}`);
  }
  r.end();
  return rec;
}

export function decodeRecords(b: Uint8Array): ChannelRecord[] {
  const r = new Reader(b);
  const out: ChannelRecord[] = [];
  while (r.remaining > 0) {
    const type = r.u8();
    out.push(decodeOne(type, r.var16()));
  }
  return out;
}
