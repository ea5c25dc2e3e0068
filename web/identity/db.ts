/**
 * The client's IndexedDB database: the device identity key and the identities the user verified.
 * Nothing in it is sent anywhere.
 */

export const DB_NAME = 'blindcall';
const DB_VERSION = 2;
export const IDENTITY_STORE = 'identity';
export const VERIFIED_STORE = 'verified';

export function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('IndexedDB request failed'));
  });
}

export function openDb(
  factory: IDBFactory | undefined = globalThis.indexedDB,
): Promise<IDBDatabase> {
  if (!factory) return Promise.reject(new Error('IndexedDB is not available'));
  const req = factory.open(DB_NAME, DB_VERSION);
  req.onupgradeneeded = () => {
    const db = req.result;
    if (!db.objectStoreNames.contains(IDENTITY_STORE)) db.createObjectStore(IDENTITY_STORE);
    if (!db.objectStoreNames.contains(VERIFIED_STORE)) db.createObjectStore(VERIFIED_STORE);
  };
  return request(req);
}
