// Pairwise handshake key schedule. The side whose session key sorts lower is the initiator.
//
//   I → R  INIT(ann_I, n_i)                 n_i: 16 fresh random bytes per handshake attempt
//   R → I  RESP(ann_R, n_i, n_r, confirm)   n_r: 16 fresh random bytes per handshake
//   I → R  CHANNEL(records)                 first channel message: proves I holds its session key
//
//   transcript = SHA-256("blindcall/v1 handshake" || lp(roomId) || lp(peerId_I) || lp(peerId_R)
//                        || identity_I || identity_R || session_I || session_R || n_i || n_r)
//   dh         = X25519(own session secret, peer session key)       (all-zero output refused)
//   prk        = HKDF-Extract(salt = channel salt from the room secret, ikm = dh)
//   okm        = HKDF-Expand(prk, "blindcall/v1 channel" || transcript, 32 + 32 + 32 + 8)
//              = key I→R | key R→I | confirm key | channel id   (channel keys: ChaCha20-Poly1305)
//   confirm    = HMAC-SHA256(confirm key, "blindcall/v1 responder" || transcript)
//
// Liveness: I accepts R only on a confirm over I's fresh n_i; R accepts I only on a channel message
// under keys that depend on R's fresh n_r. A replayed INIT, RESP or channel message from an earlier
// session or handshake therefore cannot complete a handshake (no ghost from old announcements).

import { expand, extract } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { concat, equalBytes, lp, utf8Encode, wipe, type Bytes } from './bytes.js';
import { x25519Shared } from './curves.js';
import type { VerifiedAnnouncement } from './announcement.js';
import { CHANNEL_ID_LENGTH } from './wire.js';

/** ChaCha20-Poly1305 key (RFC 8439), one per direction (channel.ts). */
export const CHANNEL_KEY_LENGTH = 32;
const CONFIRM_KEY_LENGTH = 32;

export type Role = 'initiator' | 'responder';

export interface ChannelSecrets {
  readonly sendKey: Bytes;
  readonly recvKey: Bytes;
  readonly confirmKey: Bytes;
  readonly channelId: Bytes;
  readonly transcript: Bytes;
}

/** Byte-wise comparison of session keys; the lower one initiates. */
export function compareKeys(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

export function roleFor(ownSession: Uint8Array, peerSession: Uint8Array): Role {
  return compareKeys(ownSession, peerSession) < 0 ? 'initiator' : 'responder';
}

export function transcriptHash(
  roomId: string,
  initiator: VerifiedAnnouncement,
  responder: VerifiedAnnouncement,
  nI: Uint8Array,
  nR: Uint8Array,
): Bytes {
  return sha256(
    concat(
      utf8Encode('blindcall/v1 handshake'),
      lp(utf8Encode(roomId)),
      lp(utf8Encode(initiator.peerId)),
      lp(utf8Encode(responder.peerId)),
      initiator.identityKey,
      responder.identityKey,
      initiator.sessionKey,
      responder.sessionKey,
      nI,
      nR,
    ),
  );
}

/** Throws LowOrderPointError if the peer's session key is a low-order point. */
export async function deriveChannelSecrets(
  channelSalt: Uint8Array,
  ownSessionSecret: Uint8Array,
  role: Role,
  transcript: Uint8Array,
  peerSessionKey: Uint8Array,
): Promise<ChannelSecrets> {
  const dh = await x25519Shared(ownSessionSecret, peerSessionKey);
  const prk = extract(sha256, dh, channelSalt);
  const okm = expand(
    sha256,
    prk,
    concat(utf8Encode('blindcall/v1 channel'), transcript),
    2 * CHANNEL_KEY_LENGTH + CONFIRM_KEY_LENGTH + CHANNEL_ID_LENGTH,
  );
  wipe(dh, prk);
  const i2r = okm.slice(0, CHANNEL_KEY_LENGTH);
  const r2i = okm.slice(CHANNEL_KEY_LENGTH, 2 * CHANNEL_KEY_LENGTH);
  const confirmKey = okm.slice(2 * CHANNEL_KEY_LENGTH, 2 * CHANNEL_KEY_LENGTH + CONFIRM_KEY_LENGTH);
  const channelId = okm.slice(2 * CHANNEL_KEY_LENGTH + CONFIRM_KEY_LENGTH);
  wipe(okm);
  return role === 'initiator'
    ? { sendKey: i2r, recvKey: r2i, confirmKey, channelId, transcript: new Uint8Array(transcript) }
    : { sendKey: r2i, recvKey: i2r, confirmKey, channelId, transcript: new Uint8Array(transcript) };
}

export function responderConfirm(s: ChannelSecrets): Bytes {
  return hmac(sha256, s.confirmKey, concat(utf8Encode('blindcall/v1 responder'), s.transcript));
}

export function checkResponderConfirm(s: ChannelSecrets, confirm: Uint8Array): boolean {
  return equalBytes(responderConfirm(s), confirm);
}
