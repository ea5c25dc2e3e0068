// Long-term device identity (Ed25519) and per-join session keys (X25519).
//
// The identity secret is 32 bytes (RFC 8032 seed). The browser keeps it across calls (the web client
// stores the bytes from `IdentityKey.toBytes()` in IndexedDB and passes them back to the KeyAgent),
// so the pairwise security code between two devices stays comparable from call to call.

import { ed25519PublicKey, x25519PublicKey, SECRET_KEY_LENGTH } from './curves.js';
import type { Bytes } from './bytes.js';

export class IdentityKey {
  private constructor(
    private readonly secret: Bytes,
    readonly publicKey: Bytes,
  ) {}

  static generate(
    random: (n: number) => Uint8Array = (n) => crypto.getRandomValues(new Uint8Array(n)),
  ): IdentityKey {
    return IdentityKey.fromBytes(random(SECRET_KEY_LENGTH));
  }

  /** Loads a stored identity. Throws RangeError unless given exactly 32 bytes. */
  static fromBytes(bytes: Uint8Array): IdentityKey {
    if (!(bytes instanceof Uint8Array) || bytes.length !== SECRET_KEY_LENGTH)
      throw new RangeError('identity key must be 32 bytes');
    const secret = new Uint8Array(bytes);
    return new IdentityKey(secret, ed25519PublicKey(secret));
  }

  /** The secret bytes, for storage only. Never log or send them. */
  toBytes(): Bytes {
    return new Uint8Array(this.secret);
  }

  /** @internal the agent signs with it. */
  secretBytes(): Bytes {
    return this.secret;
  }
}

export interface SessionKeyPair {
  readonly secret: Bytes;
  readonly publicKey: Bytes;
}

/** A fresh X25519 key pair for one join. */
export function createSessionKey(random: (n: number) => Uint8Array): SessionKeyPair {
  const r = random(SECRET_KEY_LENGTH);
  if (r.length !== SECRET_KEY_LENGTH)
    throw new RangeError('random source returned the wrong length');
  const secret = new Uint8Array(r);
  return { secret, publicKey: x25519PublicKey(secret) };
}
