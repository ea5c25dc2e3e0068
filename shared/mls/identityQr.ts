// What the verification QR code carries: one person's whole Ed25519 identity public key, so a
// scan compares all 256 bits, where reading the fingerprint aloud compares 100 (fingerprint.ts).
//
//   text = "BLINDCALL:ID:1:" || HEX(identity public key)      (64 upper-case hex digits)
//
// Every character is in the QR alphanumeric set (0-9, A-Z, ':'), so the 79 characters fit a
// version-4 symbol (33 x 33 modules) at error-correction level M. The text names no call, room or
// display name: a photo of someone's screen tells a stranger nothing but that public key.

import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { MlsLayerError } from './errors.js';
import { IDENTITY_KEY_LENGTH } from './fingerprint.js';

export const IDENTITY_QR_PREFIX = 'BLINDCALL:ID:1:';
const PATTERN = new RegExp(`^${IDENTITY_QR_PREFIX}([0-9A-F]{${IDENTITY_KEY_LENGTH * 2}})$`);

export function identityQrText(identityKey: Uint8Array): string {
  if (!(identityKey instanceof Uint8Array) || identityKey.length !== IDENTITY_KEY_LENGTH)
    throw new MlsLayerError('BAD_INPUT', 'identity key must be 32 bytes');
  return IDENTITY_QR_PREFIX + bytesToHex(identityKey).toUpperCase();
}

/** The identity key a scanned text carries; BAD_INPUT for anything that is not our code. */
export function parseIdentityQr(text: string): Uint8Array {
  const m = typeof text === 'string' ? PATTERN.exec(text) : null;
  if (!m) throw new MlsLayerError('BAD_INPUT', 'not a blindcall identity code');
  return hexToBytes(m[1]!.toLowerCase());
}
