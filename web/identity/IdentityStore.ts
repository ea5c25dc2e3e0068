/**
 * This device's long-term identity key (Ed25519 secret key bytes), kept in IndexedDB between
 * calls (it is the MLS leaf signature key), so the fingerprint other people compared stays the
 * same next time.
 * "Forget this device's identity" deletes it; the next call makes a fresh one.
 *
 * The key is stored as a Uint8Array (structured clone), never as a string, and never logged.
 */
import { ed25519 } from '@noble/curves/ed25519.js';

import { IDENTITY_STORE as STORE, openDb, request } from './db.js';

const KEY = 'ed25519-secret';
export const IDENTITY_KEY_BYTES = 32;

export class IdentityStore {
  constructor(private readonly factory: IDBFactory | undefined = globalThis.indexedDB) {}

  /** The stored identity, or a new one that is stored first. Falls back to an ephemeral key. */
  async loadOrCreate(): Promise<{ secretKey: Uint8Array; persisted: boolean; created: boolean }> {
    try {
      const db = await this.open();
      try {
        const existing: unknown = await request(db.transaction(STORE).objectStore(STORE).get(KEY));
        if (existing instanceof Uint8Array && existing.length === IDENTITY_KEY_BYTES) {
          return { secretKey: existing, persisted: true, created: false };
        }
        const secretKey = ed25519.utils.randomSecretKey();
        const tx = db.transaction(STORE, 'readwrite');
        await request(tx.objectStore(STORE).put(secretKey, KEY));
        return { secretKey, persisted: true, created: true };
      } finally {
        db.close();
      }
    } catch {
      // Private browsing or storage disabled: the call still works, codes change next time.
      return { secretKey: ed25519.utils.randomSecretKey(), persisted: false, created: true };
    }
  }

  async forget(): Promise<void> {
    const db = await this.open();
    try {
      await request(db.transaction(STORE, 'readwrite').objectStore(STORE).delete(KEY));
    } finally {
      db.close();
    }
  }

  private open(): Promise<IDBDatabase> {
    return openDb(this.factory);
  }
}
