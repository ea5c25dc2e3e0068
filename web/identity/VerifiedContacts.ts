/**
 * Identities this user has verified (compared the code with), kept in IndexedDB so a person
 * verified once is shown as verified in later calls — as long as they come back with the same
 * identity key. Entries are keyed by the SHA-256 of the *public* identity key; no secret is stored
 * here. Each entry also keeps the display name the person had when verified, on this device only,
 * so that someone who later joins under that name with another key is flagged (`changedIdentity`):
 * a new device, or someone posing as them.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { openDb, request, VERIFIED_STORE } from './db.js';

export function identityHash(identityKey: Uint8Array): string {
  return bytesToHex(sha256(identityKey));
}

/** Names compare the way people read them: case, surrounding space and Unicode form aside. */
function nameKey(name: string): string {
  return name.normalize('NFC').trim().toLocaleLowerCase();
}

interface StoredEntry {
  readonly verifiedAt: number;
  /** Absent in entries written before names were kept. */
  readonly name?: string;
}

export class VerifiedContacts {
  /** identity hash → the name it was verified under ('' when unknown). */
  private cache = new Map<string, string>();

  constructor(private readonly factory: IDBFactory | undefined = globalThis.indexedDB) {}

  /** Loads the stored set; without storage the set simply starts empty. */
  async load(): Promise<void> {
    try {
      const db = await openDb(this.factory);
      try {
        const store = db.transaction(VERIFIED_STORE).objectStore(VERIFIED_STORE);
        const [keys, values] = await Promise.all([
          request(store.getAllKeys()),
          request(store.getAll() as IDBRequest<unknown[]>),
        ]);
        this.cache = new Map();
        keys.forEach((k, i) => {
          if (typeof k !== 'string') return;
          const name = (values[i] as Partial<StoredEntry> | undefined)?.name;
          this.cache.set(k, typeof name === 'string' ? nameKey(name) : '');
        });
      } finally {
        db.close();
      }
    } catch {
      this.cache = new Map();
    }
  }

  has(identityKey: Uint8Array): boolean {
    return this.cache.has(identityHash(identityKey));
  }

  /**
   * True when `identityKey` is not verified but a contact verified under the same display name is:
   * that person came back with another key, or someone else uses their name.
   */
  changedIdentity(identityKey: Uint8Array, displayName: string): boolean {
    if (this.has(identityKey)) return false;
    const name = nameKey(displayName);
    if (name === '') return false;
    for (const verifiedName of this.cache.values()) if (verifiedName === name) return true;
    return false;
  }

  async set(identityKey: Uint8Array, verified: boolean, displayName = ''): Promise<void> {
    const fp = identityHash(identityKey);
    if (verified) this.cache.set(fp, nameKey(displayName));
    else this.cache.delete(fp);
    try {
      const db = await openDb(this.factory);
      try {
        const store = db.transaction(VERIFIED_STORE, 'readwrite').objectStore(VERIFIED_STORE);
        const entry: StoredEntry = { verifiedAt: Date.now(), name: displayName };
        if (verified) await request(store.put(entry, fp));
        else await request(store.delete(fp));
      } finally {
        db.close();
      }
    } catch {
      // Storage unavailable: the verification holds for this call only.
    }
  }
}
