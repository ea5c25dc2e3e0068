// Ed25519 and X25519 for the key protocol. WebCrypto where the platform has them (Node 20, Chrome
// 133+/137+, Firefox 129+, Safari 17+: ~10x faster), otherwise @noble/curves. Both give identical
// results: Ed25519 signatures and X25519 are deterministic; verification is strict (RFC 8032) on both.
//
// X25519 outputs are checked against the all-zero value, which is what every low-order public key
// (RFC 7748 §6.1) produces: such a peer would make the shared secret predictable.

import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { asBytes, concat, fromHex, type Bytes } from './bytes.js';

export const PUBLIC_KEY_LENGTH = 32;
export const SECRET_KEY_LENGTH = 32;
export const SIGNATURE_LENGTH = 64;

export class LowOrderPointError extends Error {
  override readonly name = 'LowOrderPointError';
}

export type CurveBackend = 'webcrypto' | 'noble';

// PKCS#8 wrappers for a raw 32-byte private key (RFC 8410 §7).
const PKCS8_X25519 = fromHex('302e020100300506032b656e04220420');
const PKCS8_ED25519 = fromHex('302e020100300506032b657004220420');

let forced: CurveBackend | null = null;
let detected: Promise<CurveBackend> | null = null;
const importedSecrets = new WeakMap<Uint8Array, CryptoKey>();

/** Tests use this to exercise the fallback; production code never calls it. */
export function forceCurveBackend(b: CurveBackend | null): void {
  forced = b;
}

async function detect(): Promise<CurveBackend> {
  try {
    const k = await crypto.subtle.importKey(
      'pkcs8',
      concat(PKCS8_ED25519, new Uint8Array(32)),
      { name: 'Ed25519' },
      false,
      ['sign'],
    );
    await crypto.subtle.sign({ name: 'Ed25519' }, k, new Uint8Array(1));
    const x = await crypto.subtle.importKey(
      'pkcs8',
      concat(PKCS8_X25519, new Uint8Array(32).fill(1)),
      { name: 'X25519' },
      false,
      ['deriveBits'],
    );
    const p = await crypto.subtle.importKey(
      'raw',
      x25519.getPublicKey(new Uint8Array(32).fill(2)),
      { name: 'X25519' },
      false,
      [],
    );
    await crypto.subtle.deriveBits({ name: 'X25519', public: p }, x, 256);
    return 'webcrypto';
  } catch {
    return 'noble';
  }
}

export async function curveBackend(): Promise<CurveBackend> {
  if (forced !== null) return forced;
  detected ??= detect();
  return detected;
}

async function importSecret(secret: Uint8Array, alg: 'Ed25519' | 'X25519'): Promise<CryptoKey> {
  const cached = importedSecrets.get(secret);
  if (cached !== undefined && cached.algorithm.name === alg) return cached;
  const k = await crypto.subtle.importKey(
    'pkcs8',
    concat(alg === 'Ed25519' ? PKCS8_ED25519 : PKCS8_X25519, secret),
    { name: alg },
    false,
    alg === 'Ed25519' ? ['sign'] : ['deriveBits'],
  );
  importedSecrets.set(secret, k);
  return k;
}

export function ed25519PublicKey(secret: Uint8Array): Bytes {
  return new Uint8Array(ed25519.getPublicKey(secret));
}

export function x25519PublicKey(secret: Uint8Array): Bytes {
  return new Uint8Array(x25519.getPublicKey(secret));
}

export async function ed25519Sign(secret: Uint8Array, msg: Uint8Array): Promise<Bytes> {
  if ((await curveBackend()) === 'noble') return new Uint8Array(ed25519.sign(msg, secret));
  return new Uint8Array(
    await crypto.subtle.sign(
      { name: 'Ed25519' },
      await importSecret(secret, 'Ed25519'),
      asBytes(msg),
    ),
  );
}

export async function ed25519Verify(
  publicKey: Uint8Array,
  msg: Uint8Array,
  sig: Uint8Array,
): Promise<boolean> {
  if (publicKey.length !== PUBLIC_KEY_LENGTH || sig.length !== SIGNATURE_LENGTH) return false;
  if ((await curveBackend()) === 'noble') {
    try {
      return ed25519.verify(sig, msg, publicKey, { zip215: false });
    } catch {
      return false;
    }
  }
  try {
    const k = await crypto.subtle.importKey('raw', asBytes(publicKey), { name: 'Ed25519' }, false, [
      'verify',
    ]);
    return await crypto.subtle.verify({ name: 'Ed25519' }, k, asBytes(sig), asBytes(msg));
  } catch {
    return false;
  }
}

/** X25519(secret, publicKey). Throws LowOrderPointError for low-order or invalid public keys. */
export async function x25519Shared(secret: Uint8Array, publicKey: Uint8Array): Promise<Bytes> {
  if (publicKey.length !== PUBLIC_KEY_LENGTH) throw new LowOrderPointError('bad public key length');
  let out: Bytes;
  try {
    if ((await curveBackend()) === 'noble') {
      out = new Uint8Array(x25519.getSharedSecret(secret, publicKey));
    } else {
      const pub = await crypto.subtle.importKey(
        'raw',
        asBytes(publicKey),
        { name: 'X25519' },
        false,
        [],
      );
      out = new Uint8Array(
        await crypto.subtle.deriveBits(
          { name: 'X25519', public: pub },
          await importSecret(secret, 'X25519'),
          256,
        ),
      );
    }
  } catch {
    throw new LowOrderPointError('X25519 rejected the public key');
  }
  let acc = 0;
  for (const b of out) acc |= b;
  if (acc === 0) throw new LowOrderPointError('X25519 output is all zero');
  return out;
}
