// Member announcements: "peer P in room R is identity I with session key S, and knows the room
// secret". Carried in HELLO, INIT and RESP (wire.ts). An announcement alone never puts anyone in
// the roster: the handshake (handshake.ts) must then prove that S is held right now.
//
//   +--------------+--------------+---------------+-----------------+-----------+------------+
//   | peerId       | identity key | session key   | encrypted name  | signature | membership |
//   | u8 len + id  | Ed25519 32 B | X25519 32 B   | u16 len + bytes | 64 B      | MAC 32 B   |
//   +--------------+--------------+---------------+-----------------+-----------+------------+
//
//   signature = Ed25519(identity, "blindcall/v1 announce" || lp(roomId) || lp(peerId)
//                                  || identity key || session key || lp(encrypted name))
//   MAC       = HMAC-SHA256(membership key, "blindcall/v1 membership" || lp(roomId) || all bytes before the MAC)
//   name      = AES-128-GCM(names key, pad(UTF-8 name) to 129 B (padding.ts), nonce = SHA-256("blindcall/v1 name nonce" || session key)[0..12],
//                           aad = "blindcall/v1 name" || lp(roomId) || lp(peerId) || session key)
//
// Name nonce uniqueness: each session key is fresh per join and each session encrypts exactly one
// name (re-announcing re-sends the same bytes), so one (key, nonce) never covers two plaintexts.
// Later name changes travel in pairwise channels.

import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import {
  asBytes,
  concat,
  equalBytes,
  lp,
  Reader,
  utf8Decode,
  utf8Encode,
  WireError,
  Writer,
  type Bytes,
} from './bytes.js';
import { ed25519Sign, ed25519Verify, PUBLIC_KEY_LENGTH, SIGNATURE_LENGTH } from './curves.js';
import type { IdentityKey, SessionKeyPair } from './identity.js';
import { NAME_BUCKETS, pad, unpad } from './padding.js';
import { isValidId, type RoomKeys } from './roomSecret.js';

export const MAX_DISPLAY_NAME_BYTES = 128;
const MAC_LENGTH = 32;
const NAME_NONCE_LENGTH = 12;
const GCM_TAG_LENGTH = 16;
const SIGN_LABEL = utf8Encode('blindcall/v1 announce');
const MAC_LABEL = utf8Encode('blindcall/v1 membership');
const NAME_LABEL = utf8Encode('blindcall/v1 name');
const NAME_NONCE_LABEL = utf8Encode('blindcall/v1 name nonce');

export interface ParsedAnnouncement {
  readonly peerId: string;
  readonly identityKey: Bytes;
  readonly sessionKey: Bytes;
  readonly encName: Bytes;
  readonly signature: Bytes;
  readonly mac: Bytes;
  /** The exact encoded bytes (cache key, and re-sent verbatim). */
  readonly raw: Bytes;
  /** Bytes covered by the MAC. */
  readonly macInput: Bytes;
}

export interface VerifiedAnnouncement {
  readonly peerId: string;
  readonly identityKey: Bytes;
  readonly sessionKey: Bytes;
  readonly displayName: string;
  readonly raw: Bytes;
}

export type AnnouncementError = 'BAD_MEMBERSHIP_MAC' | 'BAD_SIGNATURE' | 'BAD_NAME';

function signInput(
  roomId: string,
  peerId: string,
  id: Uint8Array,
  sess: Uint8Array,
  encName: Uint8Array,
): Bytes {
  return concat(SIGN_LABEL, lp(utf8Encode(roomId)), lp(utf8Encode(peerId)), id, sess, lp(encName));
}

function nameParams(roomId: string, peerId: string, sess: Uint8Array): AesGcmParams {
  return {
    name: 'AES-GCM',
    iv: sha256(concat(NAME_NONCE_LABEL, sess)).slice(0, NAME_NONCE_LENGTH),
    additionalData: concat(NAME_LABEL, lp(utf8Encode(roomId)), lp(utf8Encode(peerId)), sess),
  };
}

async function namesKey(room: RoomKeys, usage: 'encrypt' | 'decrypt'): Promise<CryptoKey> {
  return crypto.subtle.importKey('raw', room.names, 'AES-GCM', false, [usage]);
}

export function normalizeDisplayName(name: string): string {
  let n = name.normalize('NFC').trim();
  while (utf8Encode(n).length > MAX_DISPLAY_NAME_BYTES) n = n.slice(0, -1);
  return n;
}

export async function buildAnnouncement(
  room: RoomKeys,
  peerId: string,
  identity: IdentityKey,
  session: SessionKeyPair,
  displayName: string,
): Promise<Bytes> {
  const sess = session.publicKey;
  // Padded: every encrypted name has the same length, so the server cannot tell names apart by size.
  const name = pad(utf8Encode(normalizeDisplayName(displayName)), NAME_BUCKETS);
  const encName = new Uint8Array(
    await crypto.subtle.encrypt(
      nameParams(room.roomId, peerId, sess),
      await namesKey(room, 'encrypt'),
      name,
    ),
  );
  const signature = await ed25519Sign(
    identity.secretBytes(),
    signInput(room.roomId, peerId, identity.publicKey, sess, encName),
  );
  const w = new Writer()
    .var8(utf8Encode(peerId))
    .bytes(identity.publicKey)
    .bytes(sess)
    .var16(encName)
    .bytes(signature);
  const body = w.finish();
  const mac = hmac(sha256, room.membership, concat(MAC_LABEL, lp(utf8Encode(room.roomId)), body));
  return concat(body, mac);
}

/** Reads one announcement from `r`. Throws WireError on malformed input. */
export function readAnnouncement(r: Reader, whole: Uint8Array): ParsedAnnouncement {
  const start = r.offset;
  const peerId = utf8Decode(r.var8());
  if (!isValidId(peerId)) throw new WireError('invalid peer id');
  const identityKey = r.bytes(PUBLIC_KEY_LENGTH);
  const sessionKey = r.bytes(PUBLIC_KEY_LENGTH);
  const encName = r.var16();
  if (!NAME_BUCKETS.some((b) => encName.length === b + GCM_TAG_LENGTH)) {
    throw new WireError('encrypted name is not padded');
  }
  const signature = r.bytes(SIGNATURE_LENGTH);
  const macInput = whole.slice(start, r.offset);
  const mac = r.bytes(MAC_LENGTH);
  return {
    peerId,
    identityKey,
    sessionKey,
    encName,
    signature,
    mac,
    raw: whole.slice(start, r.offset),
    macInput,
  };
}

/** MAC first (cheap: drops everything from outside the room), then signature, then the name. */
export async function verifyAnnouncement(
  room: RoomKeys,
  a: ParsedAnnouncement,
): Promise<VerifiedAnnouncement | AnnouncementError> {
  const expected = hmac(
    sha256,
    room.membership,
    concat(MAC_LABEL, lp(utf8Encode(room.roomId)), a.macInput),
  );
  if (!equalBytes(expected, a.mac)) return 'BAD_MEMBERSHIP_MAC';
  const ok = await ed25519Verify(
    a.identityKey,
    signInput(room.roomId, a.peerId, a.identityKey, a.sessionKey, a.encName),
    a.signature,
  );
  if (!ok) return 'BAD_SIGNATURE';
  let displayName: string;
  try {
    const pt = await crypto.subtle.decrypt(
      nameParams(room.roomId, a.peerId, a.sessionKey),
      await namesKey(room, 'decrypt'),
      asBytes(a.encName),
    );
    displayName = normalizeDisplayName(utf8Decode(unpad(new Uint8Array(pt), NAME_BUCKETS)));
  } catch {
    return 'BAD_NAME';
  }
  return {
    peerId: a.peerId,
    identityKey: a.identityKey,
    sessionKey: a.sessionKey,
    displayName,
    raw: a.raw,
  };
}
