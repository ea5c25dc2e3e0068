// RFC 9605 §4.4.3 / §4.4.4 encrypt and decrypt for one frame, on a non-extractable AES-GCM CryptoKey.
// SFrameContext adds key management, layouts and replay protection around these two functions.

import { asBytes, concat, type Bytes } from './bytes.js';
import { writeHeader, MAX_HEADER_LENGTH } from './header.js';
import { xorNonce, type SuiteParams } from './suites.js';

export interface FrameKey {
  readonly key: CryptoKey;
  readonly salt: Uint8Array;
}

/** Imports sframe_key as a non-extractable AES-GCM key. */
export function importFrameKey(
  sframeKey: Uint8Array,
  usage: 'encrypt' | 'decrypt',
): Promise<CryptoKey> {
  return crypto.subtle.importKey('raw', asBytes(sframeKey), 'AES-GCM', false, [usage]);
}

/** `encrypt(CTR, KID, metadata, plaintext)`: returns header || AEAD ciphertext (tag included). */
export async function sframeEncrypt(
  suite: SuiteParams,
  fk: FrameKey,
  kid: bigint,
  ctr: bigint,
  metadata: Uint8Array,
  plaintext: Uint8Array,
): Promise<Bytes> {
  const scratch = new Uint8Array(MAX_HEADER_LENGTH);
  const header = scratch.subarray(0, writeHeader(kid, ctr, scratch, 0));
  const nonce = new Uint8Array(suite.nn);
  xorNonce(fk.salt, ctr, nonce);
  const ct = await crypto.subtle.encrypt(
    {
      name: 'AES-GCM',
      iv: nonce,
      additionalData: concat(header, metadata),
      tagLength: suite.nt * 8,
    },
    fk.key,
    asBytes(plaintext),
  );
  return concat(header, new Uint8Array(ct));
}

/**
 * AEAD.Decrypt for a parsed frame: `header` is the encoded header, `ciphertext` what follows it.
 * Returns null when authentication fails (the caller counts and reports it).
 */
export async function sframeDecrypt(
  suite: SuiteParams,
  fk: FrameKey,
  ctr: bigint,
  header: Uint8Array,
  metadata: Uint8Array,
  ciphertext: Uint8Array,
): Promise<Bytes | null> {
  const nonce = new Uint8Array(suite.nn);
  xorNonce(fk.salt, ctr, nonce);
  try {
    const pt = await crypto.subtle.decrypt(
      {
        name: 'AES-GCM',
        iv: nonce,
        additionalData: concat(header, metadata),
        tagLength: suite.nt * 8,
      },
      fk.key,
      asBytes(ciphertext),
    );
    return new Uint8Array(pt);
  } catch {
    return null;
  }
}
