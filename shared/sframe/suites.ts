// SFrame cipher suites and key schedule, RFC 9605 §4.4.2 and §4.5
// (https://www.rfc-editor.org/rfc/rfc9605.html#section-4.4.2).
//
//   sframe_secret     = HKDF-Extract("", base_key)
//   sframe_key_label  = "SFrame 1.0 Secret key "  || KID (8 bytes BE) || cipher_suite (2 bytes BE)
//   sframe_salt_label = "SFrame 1.0 Secret salt " || KID (8 bytes BE) || cipher_suite (2 bytes BE)
//   sframe_key        = HKDF-Expand(sframe_secret, sframe_key_label, AEAD.Nk)
//   sframe_salt       = HKDF-Expand(sframe_secret, sframe_salt_label, AEAD.Nn)
//
// All five RFC 9605 suites are implemented; the call uses AES_128_GCM_SHA256_128 (full 16-byte
// tag). The AES-CTR+HMAC suites with short tags exist for interoperability and the RFC vectors.

import { extract, expand } from '@noble/hashes/hkdf.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { concat, uintBE, type Bytes } from './bytes.js';

export const CipherSuite = {
  AES_128_CTR_HMAC_SHA256_80: 0x0001,
  AES_128_CTR_HMAC_SHA256_64: 0x0002,
  AES_128_CTR_HMAC_SHA256_32: 0x0003,
  AES_128_GCM_SHA256_128: 0x0004,
  AES_256_GCM_SHA512_128: 0x0005,
} as const;
export type CipherSuiteId = (typeof CipherSuite)[keyof typeof CipherSuite];

export interface SuiteParams {
  readonly id: CipherSuiteId;
  readonly aead: 'aes-gcm' | 'aes-ctr-hmac';
  readonly hash: typeof sha256 | typeof sha512;
  /** Hash output length in bytes. */
  readonly nh: number;
  /** AES key length inside a compound AES-CTR+HMAC key (0 for AES-GCM). */
  readonly nka: number;
  /** AEAD key length in bytes. */
  readonly nk: number;
  /** AEAD nonce length in bytes. */
  readonly nn: number;
  /** AEAD tag length in bytes. */
  readonly nt: number;
}

// RFC 9605 Table 1.
const ctr = (id: CipherSuiteId, nt: number): SuiteParams => ({
  id,
  aead: 'aes-ctr-hmac',
  hash: sha256,
  nh: 32,
  nka: 16,
  nk: 48,
  nn: 12,
  nt,
});
const SUITES: Readonly<Record<CipherSuiteId, SuiteParams>> = {
  [CipherSuite.AES_128_CTR_HMAC_SHA256_80]: ctr(0x0001, 10),
  [CipherSuite.AES_128_CTR_HMAC_SHA256_64]: ctr(0x0002, 8),
  [CipherSuite.AES_128_CTR_HMAC_SHA256_32]: ctr(0x0003, 4),
  [CipherSuite.AES_128_GCM_SHA256_128]: {
    id: 0x0004,
    aead: 'aes-gcm',
    hash: sha256,
    nh: 32,
    nka: 0,
    nk: 16,
    nn: 12,
    nt: 16,
  },
  [CipherSuite.AES_256_GCM_SHA512_128]: {
    id: 0x0005,
    aead: 'aes-gcm',
    hash: sha512,
    nh: 64,
    nka: 0,
    nk: 32,
    nn: 12,
    nt: 16,
  },
};

export function suiteParams(id: CipherSuiteId): SuiteParams {
  const s = SUITES[id];
  if (s === undefined) throw new RangeError(`unsupported SFrame cipher suite ${String(id)}`);
  return s;
}

const KEY_LABEL = new TextEncoder().encode('SFrame 1.0 Secret key ');
const SALT_LABEL = new TextEncoder().encode('SFrame 1.0 Secret salt ');
const KID_LABEL_BYTES = 8;
const SUITE_LABEL_BYTES = 2;

export interface KeySalt {
  readonly key: Bytes;
  readonly salt: Bytes;
}

/** `derive_key_salt(KID, base_key)` of RFC 9605 §4.4.2. The caller wipes the result when done. */
export function deriveKeySalt(suite: SuiteParams, kid: bigint, baseKey: Uint8Array): KeySalt {
  const secret = extract(suite.hash, baseKey, new Uint8Array(0));
  const tail = concat(uintBE(kid, KID_LABEL_BYTES), uintBE(BigInt(suite.id), SUITE_LABEL_BYTES));
  const key = expand(suite.hash, secret, concat(KEY_LABEL, tail), suite.nk);
  const salt = expand(suite.hash, secret, concat(SALT_LABEL, tail), suite.nn);
  secret.fill(0);
  return { key: new Uint8Array(key), salt: new Uint8Array(salt) };
}

/**
 * nonce = sframe_salt XOR CTR, CTR encoded big-endian in AEAD.Nn bytes (§4.4.3). Writes into `out`.
 * Why unique: sframe_key and sframe_salt are a function of (base_key, KID); for a fixed pair the
 * nonce is an injective function of CTR, and the sender never encrypts twice with one CTR (see
 * SFrameContext: one strictly increasing counter per sender key, reserved before any await).
 */
export function xorNonce(salt: Uint8Array, ctr: bigint, out: Uint8Array): void {
  out.set(salt);
  let x = ctr;
  for (let i = out.length - 1; i >= 0 && x !== 0n; i--) {
    out[i] = out[i]! ^ Number(x & 0xffn);
    x >>= 8n;
  }
}
