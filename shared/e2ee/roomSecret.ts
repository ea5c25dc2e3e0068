// The room secret: 256 random bits created with the room and carried only in the link's URL
// fragment (…/r/<roomId>#<base64url secret>), which browsers never send to servers. Everything the
// server must not be able to do (add members, read names, run a pairwise channel, predict the
// security code) needs a key derived from it.
//
//   membership = HKDF-SHA256(secret, salt = "blindcall/v1", info = "membership" || lp(roomId), 32)
//   names      = HKDF-SHA256(secret, salt = "blindcall/v1", info = "display names" || lp(roomId), 16)
//   channel    = HKDF-SHA256(secret, salt = "blindcall/v1", info = "channel salt" || lp(roomId), 32)
//   code       = HKDF-SHA256(secret, salt = "blindcall/v1", info = "security code" || lp(roomId), 32)

import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import {
  base64urlDecode,
  base64urlEncode,
  concat,
  lp,
  utf8Encode,
  WireError,
  type Bytes,
} from './bytes.js';

export const ROOM_SECRET_LENGTH = 32;
const ROOM_SECRET_B64_LENGTH = 43;
const SALT = utf8Encode('blindcall/v1');

/** Room ids and peer ids: 1–64 characters of [A-Za-z0-9_-] (the SFU's contract). */
export const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export function isValidId(id: string): boolean {
  return ID_PATTERN.test(id);
}

export function createRoomSecret(random: (n: number) => Uint8Array): Bytes {
  const s = random(ROOM_SECRET_LENGTH);
  if (s.length !== ROOM_SECRET_LENGTH)
    throw new RangeError('random source returned the wrong length');
  return new Uint8Array(s);
}

/** The URL fragment (without '#') for a room secret. */
export function formatRoomFragment(secret: Uint8Array): string {
  if (secret.length !== ROOM_SECRET_LENGTH) throw new RangeError('room secret must be 32 bytes');
  return base64urlEncode(secret);
}

/** Parses `#<secret>` or `<secret>`. Throws WireError on anything that is not exactly 32 bytes. */
export function parseRoomFragment(fragment: string): Bytes {
  const s = fragment.startsWith('#') ? fragment.slice(1) : fragment;
  if (s.length !== ROOM_SECRET_B64_LENGTH)
    throw new WireError('room secret must be 43 base64url characters');
  const b = base64urlDecode(s);
  if (b.length !== ROOM_SECRET_LENGTH) throw new WireError('room secret must be 32 bytes');
  return b;
}

export interface RoomKeys {
  readonly roomId: string;
  /** HMAC key proving knowledge of the room secret in member announcements. */
  readonly membership: Bytes;
  /** AES-GCM key (raw) for display names in announcements. */
  readonly names: Bytes;
  /** HKDF salt mixed into every pairwise channel key. */
  readonly channelSalt: Bytes;
  /** HKDF salt for the room security code. */
  readonly code: Bytes;
}

function derive(secret: Uint8Array, label: string, roomId: string, len: number): Bytes {
  return new Uint8Array(
    hkdf(sha256, secret, SALT, concat(utf8Encode(label), lp(utf8Encode(roomId))), len),
  );
}

export function deriveRoomKeys(secret: Uint8Array, roomId: string): RoomKeys {
  if (!(secret instanceof Uint8Array) || secret.length !== ROOM_SECRET_LENGTH)
    throw new RangeError('room secret must be 32 bytes');
  if (!isValidId(roomId)) throw new RangeError('invalid room id');
  return {
    roomId,
    membership: derive(secret, 'membership', roomId, 32),
    names: derive(secret, 'display names', roomId, 16),
    channelSalt: derive(secret, 'channel salt', roomId, 32),
    code: derive(secret, 'security code', roomId, 32),
  };
}
