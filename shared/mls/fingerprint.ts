// Per-person identity fingerprints (Signal-style): each person's own long-term identity key, not
// one hash of two keys, so a man in the middle cannot choose its key after seeing the honest ones
// and match a pair. 100 bits each, rendered like the room code; the QR code carries the full key.
//
//   fingerprint = HKDF-SHA256(ikm = Ed25519 identity public key, salt = "",
//                             info = "blindcall/v1 identity fingerprint", 13), first 100 bits
//
// Matching a given person's fingerprint with another key is a second-preimage search of ~2^100.

import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { MlsLayerError } from './errors.js';
import { CODE_DIGEST_BYTES, renderCode, type RoomCode } from './roomCode.js';

const INFO = new TextEncoder().encode('blindcall/v1 identity fingerprint');
export const IDENTITY_KEY_LENGTH = 32;

export function identityFingerprint(identityKey: Uint8Array): RoomCode {
  if (!(identityKey instanceof Uint8Array) || identityKey.length !== IDENTITY_KEY_LENGTH)
    throw new MlsLayerError('BAD_INPUT', 'identity key must be 32 bytes');
  return renderCode(hkdf(sha256, identityKey, new Uint8Array(0), INFO, CODE_DIGEST_BYTES));
}
