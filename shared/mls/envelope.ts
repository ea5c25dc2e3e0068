// Envelopes: every MLS message (KeyPackage, Commit, Welcome, GroupInfo, application message) travels
// sealed under keys derived from the room secret (the link's fragment), so the server sees opaque
// bytes plus the clear header of envelopeHeader.ts. Identities, credentials and the ratchet tree
// never reach it.
//
//   seal key  = HKDF-SHA256(room secret, salt "blindcall/v1", info "mls envelope" || lp(roomId), 16)
//   sign seed = HKDF-SHA256(room secret, salt "blindcall/v1", info "mls envelope signing" || lp(roomId), 32)
//
// Binding the room id into both keys stops an envelope being replayed into another room.
//
// Nonce uniqueness: the seal key is shared by every link holder for the room's lifetime, so nonces
// cannot come from one counter. Each envelope takes 96 fresh random bits from the platform CSPRNG;
// two envelopes collide with probability below q^2 / 2^97, i.e. < 2^-33 even after 2^32 envelopes
// (NIST SP 800-38D §8.3's limit for random IVs). A room relays a handful of handshake messages per
// change, many orders of magnitude below that.

import { gcm } from '@noble/ciphers/aes.js';
import { ed25519 } from '@noble/curves/ed25519.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { randomBytes } from '@noble/hashes/utils.js';
import { MlsLayerError } from './errors.js';
import {
  encodeHeader,
  HEADER_LENGTH,
  MAX_ENVELOPE_LENGTH,
  NONCE_LENGTH,
  readHeader,
  SIGNATURE_LENGTH,
  verifyEnvelopeSignature,
  type EnvelopeHeader,
} from './envelopeHeader.js';

export const ROOM_SECRET_LENGTH = 32;
const SEAL_KEY_LENGTH = 16;
const SIGN_SEED_LENGTH = 32;
const SALT = new TextEncoder().encode('blindcall/v1');

export interface EnvelopeKeys {
  readonly roomId: string;
  readonly sealKey: Uint8Array;
  readonly signSeed: Uint8Array;
  /** Given to the server so it can check envelopes were made by a link holder. */
  readonly publicKey: Uint8Array;
}

function info(label: string, roomId: string): Uint8Array {
  const l = new TextEncoder().encode(label);
  const r = new TextEncoder().encode(roomId);
  if (r.length > 255) throw new MlsLayerError('BAD_INPUT', 'room id too long');
  const out = new Uint8Array(l.length + 1 + r.length);
  out.set(l);
  out[l.length] = r.length;
  out.set(r, l.length + 1);
  return out;
}

export function deriveEnvelopeKeys(roomSecret: Uint8Array, roomId: string): EnvelopeKeys {
  if (!(roomSecret instanceof Uint8Array) || roomSecret.length !== ROOM_SECRET_LENGTH)
    throw new MlsLayerError('BAD_INPUT', 'room secret must be 32 bytes');
  const sealKey = hkdf(sha256, roomSecret, SALT, info('mls envelope', roomId), SEAL_KEY_LENGTH);
  const signSeed = hkdf(
    sha256,
    roomSecret,
    SALT,
    info('mls envelope signing', roomId),
    SIGN_SEED_LENGTH,
  );
  return { roomId, sealKey, signSeed, publicKey: ed25519.getPublicKey(signSeed) };
}

export function sealEnvelope(
  keys: EnvelopeKeys,
  header: EnvelopeHeader,
  body: Uint8Array,
): Uint8Array {
  const h = encodeHeader(header);
  const nonce = randomBytes(NONCE_LENGTH);
  const ct = gcm(keys.sealKey, nonce, h).encrypt(body);
  const unsigned = new Uint8Array(HEADER_LENGTH + NONCE_LENGTH + ct.length);
  unsigned.set(h);
  unsigned.set(nonce, HEADER_LENGTH);
  unsigned.set(ct, HEADER_LENGTH + NONCE_LENGTH);
  const sig = ed25519.sign(unsigned, keys.signSeed);
  const out = new Uint8Array(unsigned.length + SIGNATURE_LENGTH);
  out.set(unsigned);
  out.set(sig, unsigned.length);
  if (out.length > MAX_ENVELOPE_LENGTH)
    throw new MlsLayerError('BAD_INPUT', 'message too large for an envelope');
  return out;
}

export interface OpenedEnvelope extends EnvelopeHeader {
  readonly body: Uint8Array;
}

/** Opens an envelope of this room. Throws ENVELOPE_MALFORMED or ENVELOPE_AUTH_FAILED. */
export function openEnvelope(keys: EnvelopeKeys, envelope: Uint8Array): OpenedEnvelope {
  const header = readHeader(envelope);
  if (!verifyEnvelopeSignature(envelope, keys.publicKey))
    throw new MlsLayerError('ENVELOPE_AUTH_FAILED', 'envelope signature does not verify');
  const nonce = envelope.subarray(HEADER_LENGTH, HEADER_LENGTH + NONCE_LENGTH);
  const ct = envelope.subarray(HEADER_LENGTH + NONCE_LENGTH, envelope.length - SIGNATURE_LENGTH);
  let body: Uint8Array;
  try {
    body = gcm(keys.sealKey, nonce, envelope.subarray(0, HEADER_LENGTH)).decrypt(ct);
  } catch {
    throw new MlsLayerError('ENVELOPE_AUTH_FAILED', 'envelope does not open under the room key');
  }
  return { ...header, body };
}
