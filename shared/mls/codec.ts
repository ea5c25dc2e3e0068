// MLS messages <-> envelopes: the TLS encoding is ts-mls's; this file only checks that the clear
// envelope header (kind, epoch) agrees with the MLS message inside, so a relay cannot relabel one.

import {
  decodeMlsMessage,
  encodeMlsMessage,
  type MLSMessage,
  type MlsMessageContent,
} from 'ts-mls';
import { MlsLayerError } from './errors.js';
import { openEnvelope, sealEnvelope, type EnvelopeKeys } from './envelope.js';
import type { EnvelopeKindName } from './envelopeHeader.js';

/** Epoch an MLS message belongs to (a KeyPackage has none: 0). */
export function messageEpoch(m: MlsMessageContent): bigint {
  switch (m.wireformat) {
    case 'mls_private_message':
      return m.privateMessage.epoch;
    case 'mls_public_message':
      return m.publicMessage.content.epoch;
    case 'mls_group_info':
      return m.groupInfo.groupContext.epoch;
    case 'mls_welcome':
    case 'mls_key_package':
      return 0n;
    default: {
      const _: never = m;
      return _;
    }
  }
}

export function sealMessage(
  keys: EnvelopeKeys,
  kind: EnvelopeKindName,
  epoch: bigint,
  message: MlsMessageContent,
): Uint8Array {
  const full: MLSMessage = { version: 'mls10', ...message };
  return sealEnvelope(keys, { kind, epoch }, encodeMlsMessage(full));
}

const WIREFORMATS: Record<EnvelopeKindName, readonly MlsMessageContent['wireformat'][]> = {
  keyPackage: ['mls_key_package'],
  commit: ['mls_private_message', 'mls_public_message'],
  welcome: ['mls_welcome'],
  groupInfo: ['mls_group_info'],
  application: ['mls_private_message'],
};

export interface OpenedMessage {
  readonly kind: EnvelopeKindName;
  readonly epoch: bigint;
  readonly message: MLSMessage;
}

/** Opens and decodes; throws ENVELOPE_* when the envelope or its agreement with the body fails. */
export function openMessage(keys: EnvelopeKeys, envelope: Uint8Array): OpenedMessage {
  const { kind, epoch, body } = openEnvelope(keys, envelope);
  let decoded: [MLSMessage, number] | undefined;
  try {
    decoded = decodeMlsMessage(body, 0);
  } catch {
    decoded = undefined;
  }
  if (decoded === undefined || decoded[1] !== body.length)
    throw new MlsLayerError('ENVELOPE_MALFORMED', 'envelope body is not one MLS message');
  const message = decoded[0];
  if (!WIREFORMATS[kind].includes(message.wireformat))
    throw new MlsLayerError('ENVELOPE_MALFORMED', 'envelope kind does not match its message');
  if (kind !== 'welcome' && kind !== 'keyPackage' && messageEpoch(message) !== epoch)
    throw new MlsLayerError('ENVELOPE_MALFORMED', 'envelope epoch does not match its message');
  return { kind, epoch, message };
}
