// What a member's MLS basic credential says about it (RFC 9420 §5.3): the server's peer id of its
// connection (so the server's `peerLeft` hint names a leaf) and its display name. The credential
// is in the leaf the member signs, so only that member chose these claims; the server never sees
// them (every MLS message is sealed). The identity key is the leaf's signature key, not a claim.
//
//   +-------+-------------+---------+---------------+--------------+-------------------------+
//   | ver=2 | peer id len | peer id | name len u16  | name (UTF-8) | zeros to 256 name bytes |
//   +-------+-------------+---------+---------------+--------------+-------------------------+
//
// The name field is always 256 bytes (zero-filled), so the length of a commit or KeyPackage that
// carries the credential does not tell the server how long anyone's name is.

import { MlsLayerError } from './errors.js';

const VERSION = 2;
export const PEER_ID_MAX = 64;
/** Display names are at most this many UTF-8 bytes. */
export const NAME_MAX_BYTES = 256;
const PEER_ID_PATTERN = /^[A-Za-z0-9_-]+$/;

export interface CredentialClaims {
  readonly peerId: string;
  readonly displayName: string;
}

export function encodeCredential(c: CredentialClaims): Uint8Array {
  const id = new TextEncoder().encode(c.peerId);
  const name = new TextEncoder().encode(c.displayName);
  if (id.length === 0 || id.length > PEER_ID_MAX || !PEER_ID_PATTERN.test(c.peerId))
    throw new MlsLayerError('BAD_INPUT', 'bad peer id');
  if (name.length > NAME_MAX_BYTES) throw new MlsLayerError('BAD_INPUT', 'display name too long');
  const out = new Uint8Array(4 + id.length + NAME_MAX_BYTES);
  out[0] = VERSION;
  out[1] = id.length;
  out.set(id, 2);
  new DataView(out.buffer).setUint16(2 + id.length, name.length);
  out.set(name, 4 + id.length);
  return out;
}

/** Null for anything malformed (another member's credential is untrusted input). */
export function decodeCredential(bytes: Uint8Array): CredentialClaims | null {
  if (bytes.length < 4 || bytes[0] !== VERSION) return null;
  const idLen = bytes[1]!;
  if (idLen === 0 || idLen > PEER_ID_MAX || bytes.length < 4 + idLen) return null;
  const nameLen = new DataView(bytes.buffer, bytes.byteOffset).getUint16(2 + idLen);
  if (nameLen > NAME_MAX_BYTES || bytes.length !== 4 + idLen + NAME_MAX_BYTES) return null;
  if (bytes.subarray(4 + idLen + nameLen).some((b) => b !== 0)) return null;
  try {
    const dec = new TextDecoder('utf-8', { fatal: true });
    const peerId = dec.decode(bytes.subarray(2, 2 + idLen));
    const displayName = dec.decode(bytes.subarray(4 + idLen, 4 + idLen + nameLen));
    return PEER_ID_PATTERN.test(peerId) ? { peerId, displayName } : null;
  } catch {
    return null;
  }
}
