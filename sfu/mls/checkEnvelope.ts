// The checks every Sequencer makes on an envelope before it may order it: bytes, size, the clear
// header's kind and epoch, and the signature of the room's envelope key. Never parses MLS.

import { readHeader, verifyEnvelopeSignature } from '../../shared/mls/envelopeHeader.js';
import type { EnvelopeKindName } from '../../shared/mls/envelopeHeader.js';
import type { SequencerErrorCode } from './Sequencer.js';

/** Default size limit for one envelope (a GroupInfo with a 500-member ratchet tree is ~200 KB). */
export const DEFAULT_MAX_ENVELOPE_BYTES = 512 * 1024;

export interface EnvelopeProblem {
  readonly code: SequencerErrorCode;
  readonly message: string;
}

/** Null when `envelope` is a signed `kind` envelope for `epoch` within `maxBytes`. */
export function checkEnvelope(
  envelope: unknown,
  publicKey: Uint8Array,
  kind: EnvelopeKindName,
  epoch: bigint,
  maxBytes: number,
): EnvelopeProblem | null {
  if (!(envelope instanceof Uint8Array)) return { code: 'BAD_ENVELOPE', message: 'not bytes' };
  if (envelope.length > maxBytes)
    return { code: 'TOO_LARGE', message: `${kind} envelope over ${maxBytes} bytes` };
  let header;
  try {
    header = readHeader(envelope);
  } catch {
    return { code: 'BAD_ENVELOPE', message: `${kind} envelope is malformed` };
  }
  if (header.kind !== kind || header.epoch !== epoch)
    return { code: 'BAD_ENVELOPE', message: `expected a ${kind} envelope for epoch ${epoch}` };
  if (!verifyEnvelopeSignature(envelope, publicKey))
    return { code: 'BAD_ENVELOPE', message: `${kind} envelope is not signed with the room key` };
  return null;
}

/** `verify()` of every Sequencer: a relayed envelope of any kind signed with the room's key. */
export function signedByRoom(envelope: unknown, publicKey: Uint8Array, maxBytes: number): boolean {
  return (
    envelope instanceof Uint8Array &&
    envelope.length <= maxBytes &&
    verifyEnvelopeSignature(envelope, publicKey)
  );
}
