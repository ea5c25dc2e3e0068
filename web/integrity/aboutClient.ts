/**
 * What "About this client" shows: the client hash of the files this origin serves (the SHA-256 of
 * its `client.sha256` manifest, the number `npm run build:web` prints) and whether the script that
 * is running is the one that manifest lists.
 *
 * This is a convenience, not a proof: a modified client can display any hash it likes. The proof
 * is outside the page — `npm run verify-client -- <url>` against a build of the published commit,
 * or an independently hosted client (docs/hosting.md).
 */
import { clientHash, MANIFEST_FILE, parseManifest, sha256Hex } from './clientManifest.js';

export interface ClientIdentity {
  /** SHA-256 of the manifest, hex. */
  readonly hash: string;
  readonly files: number;
  /** The running entry script is listed with the same SHA-256 it has. */
  readonly scriptListed: boolean;
}

/** Null where there is no manifest (the dev server). */
export async function readClientIdentity(
  scriptUrl: string = import.meta.url,
): Promise<ClientIdentity | null> {
  const res = await fetch(new URL(`/${MANIFEST_FILE}`, location.origin), {
    cache: 'no-store',
    credentials: 'omit',
  });
  if (!res.ok) return null;
  const text = await res.text();
  const files = parseManifest(text);
  const scriptPath = new URL(scriptUrl).pathname.slice(1);
  const entry = files.find((f) => f.path === scriptPath);
  let scriptListed = false;
  if (entry) {
    const script = await fetch(scriptUrl, { credentials: 'omit' });
    scriptListed = entry.sha256 === (await sha256Hex(new Uint8Array(await script.arrayBuffer())));
  }
  return { hash: await clientHash(text), files: files.length, scriptListed };
}
