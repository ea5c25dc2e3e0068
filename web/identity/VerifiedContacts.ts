/**
 * Identities this user has verified (compared the pairwise code with), kept in IndexedDB so a
 * person verified once is shown as verified in later calls — as long as they come back with the
 * same identity key. Entries are keyed by the SHA-256 of the *public* identity key; no secret is
 * stored here.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { openDb, request, VERIFIED_STORE } from './db.js';

export function identityFingerprint(identityKey: Uint8Array): string {
  return bytesToHex(sha256(identityKey));
}

export class VerifiedContacts {
  private cache = new Set<string>();

  constructor(private readonly factory: IDBFactory | undefined = globalThis.indexedDB) {}

  /** Loads the stored set; without storage the set simply starts empty. */
  async load(): Promise<void> {
    try {
      const db = await openDb(this.factory);
      try {
        const keys = await request(
          db.transaction(VERIFIED_STORE).objectStore(VERIFIED_STORE).getAllKeys(),
        );
        this.cache = new Set(keys.filter((k): k is string => typeof k === 'string'));
      } finally {
        db.close();
      }
    } catch {
      this.cache = new Set();
    }
  }

  has(identityKey: Uint8Array): boolean {
    return this.cache.has(identityFingerprint(identityKey));
  }

  async set(identityKey: Uint8Array, verified: boolean): Promise<void> {
    const fp = identityFingerprint(identityKey);
    if (verified) this.cache.add(fp);
    else this.cache.delete(fp);
    try {
      const db = await openDb(this.factory);
      try {
        const store = db.transaction(VERIFIED_STORE, 'readwrite').objectStore(VERIFIED_STORE);
        if (verified) await request(store.put({ verifiedAt: Date.now() }, fp));
        else await request(store.delete(fp));
      } finally {
        db.close();
      }
    } catch {
      // Storage unavailable: the verification holds for this call only.
    }
  }
}
