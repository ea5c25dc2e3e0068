/**
 * The client manifest: the SHA-256 of every file of a built client, in `sha256sum` format, and the
 * client hash — the SHA-256 of that manifest — which names one exact client.
 *
 *   <64 hex digits><two spaces><path relative to the client root>\n     (sorted by path, bytewise)
 *
 * `cd dist/web && sha256sum -c client.sha256` checks a copy with standard tools, and
 * `sha256sum client.sha256` prints the client hash. The build writes it (web/vite.config.ts), the
 * app shows its hash ("About this client"), and `npm run verify-client` compares a deployed client
 * with a local build file by file. Pure TypeScript on WebCrypto: runs in the browser and in Node.
 */

export const MANIFEST_FILE = 'client.sha256';
/** Deployment files that are not part of the built client (the SFU to use); never hashed. */
export const DEPLOYMENT_FILES: readonly string[] = ['config.json'];

const HEX_SHA256 = /^[0-9a-f]{64}$/;
/** Relative, forward slashes, no empty, `.` or `..` segments, only [A-Za-z0-9._-] characters. */
function safePath(p: string): boolean {
  return p.split('/').every((seg) => /^[A-Za-z0-9._-]+$/.test(seg) && seg !== '.' && seg !== '..');
}

export interface ClientFile {
  readonly path: string;
  readonly sha256: string;
}

export type ManifestProblem = 'BAD_LINE' | 'BAD_PATH' | 'DUPLICATE_PATH' | 'UNSORTED' | 'EMPTY';

export class ManifestError extends Error {
  override readonly name = 'ManifestError';
  constructor(
    readonly code: ManifestProblem,
    message: string,
  ) {
    super(message);
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function formatManifest(files: readonly ClientFile[]): string {
  const sorted = [...files].sort((a, b) => compare(a.path, b.path));
  for (let i = 0; i < sorted.length; i++) {
    const f = sorted[i]!;
    if (!safePath(f.path)) throw new ManifestError('BAD_PATH', `bad path "${f.path}"`);
    if (!HEX_SHA256.test(f.sha256)) throw new ManifestError('BAD_LINE', `bad hash for ${f.path}`);
    if (i > 0 && sorted[i - 1]!.path === f.path) {
      throw new ManifestError('DUPLICATE_PATH', `${f.path} listed twice`);
    }
  }
  if (sorted.length === 0) throw new ManifestError('EMPTY', 'a client has at least one file');
  return sorted.map((f) => `${f.sha256}  ${f.path}\n`).join('');
}

/** Parses a manifest, accepting only the exact form `formatManifest` writes. */
export function parseManifest(text: string): ClientFile[] {
  if (!text.endsWith('\n')) throw new ManifestError('BAD_LINE', 'manifest must end with a newline');
  const files: ClientFile[] = [];
  for (const line of text.slice(0, -1).split('\n')) {
    const m = /^([0-9a-f]{64}) {2}(.+)$/.exec(line);
    if (!m) throw new ManifestError('BAD_LINE', `bad manifest line "${line.slice(0, 100)}"`);
    const path = m[2]!;
    if (!safePath(path)) throw new ManifestError('BAD_PATH', `bad path "${path}"`);
    const previous = files[files.length - 1];
    if (previous && previous.path === path) {
      throw new ManifestError('DUPLICATE_PATH', `${path} listed twice`);
    }
    if (previous && compare(previous.path, path) > 0) {
      throw new ManifestError('UNSORTED', `${path} is out of order`);
    }
    files.push({ path, sha256: m[1]! });
  }
  return files;
}

export async function sha256Hex(bytes: Uint8Array | string): Promise<string> {
  // A copy: WebCrypto wants an ArrayBuffer-backed view (not a SharedArrayBuffer one).
  const data = typeof bytes === 'string' ? new TextEncoder().encode(bytes) : new Uint8Array(bytes);
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', data));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** The client hash: SHA-256 of the manifest's bytes (= `sha256sum client.sha256`). */
export function clientHash(manifest: string): Promise<string> {
  return sha256Hex(manifest);
}

export interface FileComparison {
  readonly path: string;
  readonly status: 'match' | 'mismatch' | 'missing' | 'unexpected';
  readonly expected?: string;
  readonly actual?: string;
}

/**
 * Compares a reference build with what was found elsewhere, file by file: `missing` is in the
 * reference but absent there, `unexpected` is there but not in the reference.
 */
export function compareClients(
  reference: readonly ClientFile[],
  found: readonly ClientFile[],
): FileComparison[] {
  const theirs = new Map(found.map((f) => [f.path, f.sha256]));
  const ours = new Set(reference.map((f) => f.path));
  const out: FileComparison[] = reference.map((f) => {
    const actual = theirs.get(f.path);
    if (actual === undefined) return { path: f.path, status: 'missing', expected: f.sha256 };
    return {
      path: f.path,
      status: actual === f.sha256 ? 'match' : 'mismatch',
      expected: f.sha256,
      actual,
    };
  });
  for (const f of found) {
    if (!ours.has(f.path)) out.push({ path: f.path, status: 'unexpected', actual: f.sha256 });
  }
  return out.sort((a, b) => compare(a.path, b.path));
}
