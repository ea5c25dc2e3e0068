// The clear part of an MLS envelope: what the server may read to order messages, and the room's
// envelope signature it may check. No key material here, so sfu/ can import it.
//
//   0       1       2               10            22                         n-64          n
//   +-------+-------+---------------+-------------+--------------------------+-------------+
//   | ver=1 | kind  | epoch u64 BE  | nonce 12 B  | AES-128-GCM ct || tag 16 | Ed25519 sig |
//   +-------+-------+---------------+-------------+--------------------------+-------------+
//   AAD of the AEAD = bytes 0..10; the signature covers bytes 0..n-64.
//
// `epoch` is the epoch an MLS message belongs to (for a commit: the epoch it is based on; for a
// GroupInfo: the epoch it describes; 0 for a KeyPackage). The envelope layer checks that it agrees
// with the epoch inside the MLS message, so a server cannot relabel a message.

import { ed25519 } from '@noble/curves/ed25519.js';
import { MlsLayerError } from './errors.js';

export const ENVELOPE_VERSION = 1;
export const HEADER_LENGTH = 10;
export const NONCE_LENGTH = 12;
export const TAG_LENGTH = 16;
export const SIGNATURE_LENGTH = 64;
export const MIN_ENVELOPE_LENGTH = HEADER_LENGTH + NONCE_LENGTH + TAG_LENGTH + SIGNATURE_LENGTH;
/** Largest envelope we make or accept (a GroupInfo with the ratchet tree of 500 members fits). */
export const MAX_ENVELOPE_LENGTH = 1 << 20;

export const EnvelopeKind = {
  keyPackage: 1,
  commit: 2,
  welcome: 3,
  groupInfo: 4,
  application: 5,
} as const;
export type EnvelopeKindName = keyof typeof EnvelopeKind;
const KIND_NAMES = new Map<number, EnvelopeKindName>(
  (Object.keys(EnvelopeKind) as EnvelopeKindName[]).map((k) => [EnvelopeKind[k], k]),
);

export interface EnvelopeHeader {
  readonly kind: EnvelopeKindName;
  readonly epoch: bigint;
}

export function encodeHeader(h: EnvelopeHeader): Uint8Array {
  const out = new Uint8Array(HEADER_LENGTH);
  out[0] = ENVELOPE_VERSION;
  out[1] = EnvelopeKind[h.kind];
  new DataView(out.buffer).setBigUint64(2, h.epoch);
  return out;
}

/** Reads the clear header. Throws ENVELOPE_MALFORMED; never looks at the sealed body. */
export function readHeader(envelope: Uint8Array): EnvelopeHeader {
  if (!(envelope instanceof Uint8Array)) throw new MlsLayerError('ENVELOPE_MALFORMED', 'not bytes');
  if (envelope.length < MIN_ENVELOPE_LENGTH || envelope.length > MAX_ENVELOPE_LENGTH)
    throw new MlsLayerError('ENVELOPE_MALFORMED', 'envelope length out of range');
  if (envelope[0] !== ENVELOPE_VERSION)
    throw new MlsLayerError('ENVELOPE_MALFORMED', 'unknown envelope version');
  const kind = KIND_NAMES.get(envelope[1]!);
  if (kind === undefined) throw new MlsLayerError('ENVELOPE_MALFORMED', 'unknown envelope kind');
  const epoch = new DataView(envelope.buffer, envelope.byteOffset, HEADER_LENGTH).getBigUint64(2);
  return { kind, epoch };
}

/**
 * True when `envelope` carries a valid signature of the room's envelope signing key (derived from
 * the room secret; the server is given only its public half). Lets the server refuse envelopes made
 * without the link, so a ghost cannot advance the sequencer's epoch with garbage.
 */
export function verifyEnvelopeSignature(envelope: Uint8Array, roomPublicKey: Uint8Array): boolean {
  if (envelope.length < MIN_ENVELOPE_LENGTH || roomPublicKey.length !== 32) return false;
  const body = envelope.subarray(0, envelope.length - SIGNATURE_LENGTH);
  const sig = envelope.subarray(envelope.length - SIGNATURE_LENGTH);
  try {
    return ed25519.verify(sig, body, roomPublicKey);
  } catch {
    return false; // a malformed key or signature is simply not valid
  }
}
