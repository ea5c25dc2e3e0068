// RFC 9605 §4.4.3 / §4.4.4 encrypt and decrypt for one frame, and the two AEADs of §4.5: AES-GCM,
// and AES-CTR + HMAC-SHA256 with a truncated tag (§4.5.1). Keys are non-extractable CryptoKeys.
// SFrameContext adds key management, layouts and replay protection around these functions.

import { asBytes, concat, equalBytes, uintBE, type Bytes } from './bytes.js';
import { writeHeader, MAX_HEADER_LENGTH } from './header.js';
import { xorNonce, type SuiteParams } from './suites.js';

/** The imported sframe_key: AES-GCM, or AES-CTR plus its HMAC subkey (§4.5.1 derive_subkeys). */
export interface AeadKey {
  readonly key: CryptoKey;
  readonly authKey: CryptoKey | null;
}

export interface FrameKey extends AeadKey {
  readonly salt: Uint8Array;
}

const LENGTH_FIELD_BYTES = 8;
const CTR_BLOCK_COUNTER_BITS = 32;

/** Imports sframe_key for `usage` as non-extractable key(s) of the suite's AEAD. */
export async function importFrameKey(
  suite: SuiteParams,
  sframeKey: Uint8Array,
  usage: 'encrypt' | 'decrypt',
): Promise<AeadKey> {
  if (suite.aead === 'aes-gcm') {
    const key = await crypto.subtle.importKey('raw', asBytes(sframeKey), 'AES-GCM', false, [usage]);
    return { key, authKey: null };
  }
  // encryption subkey = first Nka bytes, authentication subkey = the remaining Nh bytes
  const key = await crypto.subtle.importKey(
    'raw',
    asBytes(sframeKey.subarray(0, suite.nka)),
    'AES-CTR',
    false,
    [usage],
  );
  const authKey = await crypto.subtle.importKey(
    'raw',
    asBytes(sframeKey.subarray(suite.nka)),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  return { key, authKey };
}

/** §4.5.1 compute_tag: HMAC over lengths, nonce, aad and ciphertext, truncated to Nt. */
async function ctrTag(
  suite: SuiteParams,
  authKey: CryptoKey,
  nonce: Uint8Array,
  aad: Uint8Array,
  ct: Uint8Array,
): Promise<Bytes> {
  const data = concat(
    uintBE(BigInt(aad.length), LENGTH_FIELD_BYTES),
    uintBE(BigInt(ct.length), LENGTH_FIELD_BYTES),
    uintBE(BigInt(suite.nt), LENGTH_FIELD_BYTES),
    nonce,
    aad,
    ct,
  );
  const mac = await crypto.subtle.sign('HMAC', authKey, data);
  return new Uint8Array(mac, 0, suite.nt);
}

function ctrParams(nonce: Uint8Array): AesCtrParams {
  // initial_counter = nonce || 0x00000000; the low 32 bits count blocks.
  return {
    name: 'AES-CTR',
    counter: concat(nonce, new Uint8Array(4)),
    length: CTR_BLOCK_COUNTER_BITS,
  };
}

/** AEAD.Encrypt(key, nonce, aad, pt): ciphertext with its tag appended. */
/** WebCrypto parameters of the GCM suites: the full nonce, the AAD and the suite's tag length. */
function gcmParams(suite: SuiteParams, nonce: Uint8Array, aad: Uint8Array): AesGcmParams {
  return {
    name: 'AES-GCM',
    iv: asBytes(nonce),
    additionalData: asBytes(aad),
    tagLength: suite.nt * 8,
  };
}

export async function aeadSeal(
  suite: SuiteParams,
  k: AeadKey,
  nonce: Uint8Array,
  aad: Uint8Array,
  pt: Uint8Array,
): Promise<Bytes> {
  if (k.authKey === null) {
    const ct = await crypto.subtle.encrypt(gcmParams(suite, nonce, aad), k.key, asBytes(pt));
    return new Uint8Array(ct);
  }
  const ct = new Uint8Array(await crypto.subtle.encrypt(ctrParams(nonce), k.key, asBytes(pt)));
  return concat(ct, await ctrTag(suite, k.authKey, nonce, aad, ct));
}

/** AEAD.Decrypt(key, nonce, aad, ct). Returns null when authentication fails. */
export async function aeadOpen(
  suite: SuiteParams,
  k: AeadKey,
  nonce: Uint8Array,
  aad: Uint8Array,
  ct: Uint8Array,
): Promise<Bytes | null> {
  if (ct.length < suite.nt) return null;
  if (k.authKey === null) {
    try {
      const pt = await crypto.subtle.decrypt(gcmParams(suite, nonce, aad), k.key, asBytes(ct));
      return new Uint8Array(pt);
    } catch {
      return null;
    }
  }
  const inner = ct.subarray(0, ct.length - suite.nt);
  const tag = ct.subarray(ct.length - suite.nt);
  if (!equalBytes(await ctrTag(suite, k.authKey, nonce, aad, inner), tag)) return null;
  return new Uint8Array(await crypto.subtle.decrypt(ctrParams(nonce), k.key, asBytes(inner)));
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
  return concat(header, await aeadSeal(suite, fk, nonce, concat(header, metadata), plaintext));
}

/**
 * AEAD.Decrypt for a parsed frame: `header` is the encoded header, `ciphertext` what follows it.
 * Returns null when authentication fails (the caller counts and reports it).
 */
export function sframeDecrypt(
  suite: SuiteParams,
  fk: FrameKey,
  ctr: bigint,
  header: Uint8Array,
  metadata: Uint8Array,
  ciphertext: Uint8Array,
): Promise<Bytes | null> {
  const nonce = new Uint8Array(suite.nn);
  xorNonce(fk.salt, ctr, nonce);
  return aeadOpen(suite, fk, nonce, concat(header, metadata), ciphertext);
}
