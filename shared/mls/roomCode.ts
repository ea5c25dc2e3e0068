// The room code people compare: derived from the MLS epoch authenticator (RFC 9420 §8.7), a secret
// every member of one epoch shares and nobody outside it can compute. Two honest members show the
// same code exactly when they are in the same group and epoch; a server that splits the call into
// two groups (even with a member colluding in both) makes the codes differ unless it finds two
// epochs whose authenticators agree in 100 bits: a birthday search of ~2^50 commits, above the
// 2^40 per epoch the design asks for.
//
//   digest = HKDF-SHA256(ikm = epoch_authenticator, salt = "", info = "blindcall/v1 mls room code", 13)
//   code   = the first 100 bits as 20 Crockford base32 characters, "ABCDE-FGHIJ-KLMNO-PQRST"
//   glance = the first 5 characters (25 bits): a header indicator only, never a verification

import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { MlsLayerError } from './errors.js';

export const ROOM_CODE_BITS = 100;
export const CODE_DIGEST_BYTES = 13;
export const GLANCE_CHARS = 5;
const CHAR_BITS = 5;
const CODE_CHARS = ROOM_CODE_BITS / CHAR_BITS;
const DIGEST_BYTES = CODE_DIGEST_BYTES;
const INFO = new TextEncoder().encode('blindcall/v1 mls room code');
// Crockford's base32: no I, L, O, U, so a code read aloud has no look-alikes.
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

export interface RoomCode {
  /** 20 characters in four groups of five (100 bits). */
  readonly full: string;
  /** The first group (25 bits), for the header. */
  readonly glance: string;
}

export function roomCodeFromAuthenticator(epochAuthenticator: Uint8Array): RoomCode {
  if (!(epochAuthenticator instanceof Uint8Array) || epochAuthenticator.length < 16)
    throw new MlsLayerError('BAD_INPUT', 'epoch authenticator too short');
  return renderCode(hkdf(sha256, epochAuthenticator, new Uint8Array(0), INFO, DIGEST_BYTES));
}

/** The first 100 bits of a 13-byte digest as "ABCDE-FGHIJ-KLMNO-PQRST" (and its first group). */
export function renderCode(d: Uint8Array): RoomCode {
  if (d.length !== DIGEST_BYTES) throw new MlsLayerError('BAD_INPUT', 'code digest is 13 bytes');
  let bits = 0n;
  for (const b of d) bits = (bits << 8n) | BigInt(b);
  bits >>= BigInt(DIGEST_BYTES * 8 - ROOM_CODE_BITS);
  let chars = '';
  for (let i = CODE_CHARS - 1; i >= 0; i--)
    chars += ALPHABET[Number((bits >> BigInt(i * CHAR_BITS)) & 31n)]!;
  const groups = chars.match(/.{5}/g) ?? [];
  return { full: groups.join('-'), glance: chars.slice(0, GLANCE_CHARS) };
}
