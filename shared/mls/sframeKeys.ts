// SFrame keys from MLS, RFC 9605 §5.2 (https://www.rfc-editor.org/rfc/rfc9605.html#section-5.2).
//
//   base_key = MLS-Exporter("SFrame 1.0 Base Key", "", AEAD.Nk)        (one per MLS epoch)
//   KID      = context << (S + E) | leaf_index << E | (epoch mod 2^E)
//   sframe_key, sframe_salt = derive_key_salt(KID, base_key)           (RFC 9605 §4.4.2)
//
// The last line is shared/sframe's key schedule (`deriveKeySalt`, run inside SFrameContext when a
// key is installed with `setSenderKey(kid, base_key)` / `addReceiverKey(kid, base_key)`), so every
// sender's key and salt differ because its KID is in the HKDF labels.
//
//   KID bits:  | context (C) | leaf index (S = 12) | epoch low bits (E = 4) |
//
// With context 0 and fewer than 4096 leaves the KID is below 2^16, so the SFrame header stays at
// most 1 + 2 + 3 bytes while CTR < 2^24. E = 4 means KIDs repeat every 16 epochs; a receiver holds
// at most two epochs (current and the previous one in its grace period, EpochKeys.ts), so two
// installed epochs never share a KID.
//
// Nonce uniqueness per sender across all its tracks: the nonce is sframe_salt XOR CTR. A sender
// encrypts every track (camera, microphone, screen) through one SFrameContext with one sender key
// per epoch, so all its tracks draw CTR from one strictly increasing counter, reserved before any
// await (SFrameContext). The (key, salt) pair is a function of (base_key, KID): base_key is fresh
// per epoch (the MLS key schedule), and within an epoch the KID contains the sender's leaf index,
// unique in the group (RFC 9420 §7.8), so no two senders, and no two epochs, share a key. A sender
// installs each epoch's key once (SFrameContext refuses the same (KID, key) twice: KEY_REUSE), and
// an erased epoch is never installed again (EpochKeys), so its counter cannot restart. Context IDs
// other than 0 are reserved for a sender that would run a second SFrameContext (e.g. a second
// worker): it must use a different context so its (key, salt) differ.

import { mlsExporter, type ClientState, type CiphersuiteImpl } from 'ts-mls';
import { MlsLayerError } from './errors.js';

export const SFRAME_EXPORTER_LABEL = 'SFrame 1.0 Base Key';
export const KID_EPOCH_BITS = 4;
export const KID_INDEX_BITS = 12;
export const KID_CONTEXT_BITS = 20;
export const MAX_LEAF_INDEX = (1 << KID_INDEX_BITS) - 1;
const EPOCH_MASK = (1n << BigInt(KID_EPOCH_BITS)) - 1n;

export interface KidFields {
  readonly context: number;
  readonly leafIndex: number;
  /** The low E bits of the epoch. */
  readonly epochBits: number;
}

export function makeMlsKid(leafIndex: number, epoch: bigint, context = 0): number {
  if (!Number.isInteger(leafIndex) || leafIndex < 0 || leafIndex > MAX_LEAF_INDEX)
    throw new MlsLayerError('KID_RANGE', 'leaf index outside the KID layout');
  if (!Number.isInteger(context) || context < 0 || context >= 2 ** KID_CONTEXT_BITS)
    throw new MlsLayerError('KID_RANGE', 'context outside the KID layout');
  if (epoch < 0n) throw new MlsLayerError('KID_RANGE', 'negative epoch');
  return (
    context * 2 ** (KID_INDEX_BITS + KID_EPOCH_BITS) +
    leafIndex * 2 ** KID_EPOCH_BITS +
    Number(epoch & EPOCH_MASK)
  );
}

export function parseMlsKid(kid: number): KidFields {
  if (!Number.isSafeInteger(kid) || kid < 0) throw new MlsLayerError('KID_RANGE', 'bad KID');
  const epochBits = kid % 2 ** KID_EPOCH_BITS;
  const rest = Math.floor(kid / 2 ** KID_EPOCH_BITS);
  return {
    epochBits,
    leafIndex: rest % 2 ** KID_INDEX_BITS,
    context: Math.floor(rest / 2 ** KID_INDEX_BITS),
  };
}

/** base_key of the member's current epoch; `nk` is the SFrame AEAD's key length (16 for AES-128). */
export function exportSFrameBaseKey(
  state: ClientState,
  impl: CiphersuiteImpl,
  nk: number,
): Promise<Uint8Array> {
  return mlsExporter(
    state.keySchedule.exporterSecret,
    SFRAME_EXPORTER_LABEL,
    new Uint8Array(0),
    nk,
    impl,
  );
}
