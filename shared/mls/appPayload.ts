// Application messages (chat, display names) carry their sender's leaf, signed with that leaf's MLS
// signature key, because ts-mls 1.6.4 does not return the sender of a decrypted application
// message. MLS already proves a group member sent it; this signature proves which one, so a member
// cannot post chat in another's name. The label keeps it apart from MLS's own SignWithLabel
// ("MLS 1.0 " prefix, RFC 9420 §5.1.2).
//
//   +---------------+-------------+-----------+------+
//   | leaf u32 BE   | sig len u16 | signature | data |
//   +---------------+-------------+-----------+------+
//   signature = Sign(leaf signature key, LABEL || group id len u8 || group id || epoch u64 BE ||
//                    leaf u32 BE || data)

import { MlsLayerError } from './errors.js';

const LABEL = new TextEncoder().encode('blindcall/v1 application sender');
const LEAF_BYTES = 4;
const SIG_LEN_BYTES = 2;

export interface AppPayload {
  readonly leafIndex: number;
  readonly signature: Uint8Array;
  readonly data: Uint8Array;
}

/** The bytes the sender signs. */
export function appSignedContent(
  groupId: Uint8Array,
  epoch: bigint,
  leafIndex: number,
  data: Uint8Array,
): Uint8Array {
  if (groupId.length > 255) throw new MlsLayerError('BAD_INPUT', 'group id too long');
  const out = new Uint8Array(LABEL.length + 1 + groupId.length + 8 + LEAF_BYTES + data.length);
  const view = new DataView(out.buffer);
  let o = 0;
  out.set(LABEL, o);
  o += LABEL.length;
  out[o++] = groupId.length;
  out.set(groupId, o);
  o += groupId.length;
  view.setBigUint64(o, epoch);
  o += 8;
  view.setUint32(o, leafIndex);
  o += LEAF_BYTES;
  out.set(data, o);
  return out;
}

export function encodeAppPayload(p: AppPayload): Uint8Array {
  if (p.signature.length > 0xffff) throw new MlsLayerError('BAD_INPUT', 'signature too long');
  const out = new Uint8Array(LEAF_BYTES + SIG_LEN_BYTES + p.signature.length + p.data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, p.leafIndex);
  view.setUint16(LEAF_BYTES, p.signature.length);
  out.set(p.signature, LEAF_BYTES + SIG_LEN_BYTES);
  out.set(p.data, LEAF_BYTES + SIG_LEN_BYTES + p.signature.length);
  return out;
}

/** Throws MLS_REJECTED on a truncated payload. */
export function decodeAppPayload(bytes: Uint8Array): AppPayload {
  if (bytes.length < LEAF_BYTES + SIG_LEN_BYTES)
    throw new MlsLayerError('MLS_REJECTED', 'application payload truncated');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const leafIndex = view.getUint32(0);
  const sigLen = view.getUint16(LEAF_BYTES);
  const start = LEAF_BYTES + SIG_LEN_BYTES;
  if (bytes.length < start + sigLen)
    throw new MlsLayerError('MLS_REJECTED', 'application payload truncated');
  return {
    leafIndex,
    signature: bytes.slice(start, start + sigLen),
    data: bytes.slice(start + sigLen),
  };
}
