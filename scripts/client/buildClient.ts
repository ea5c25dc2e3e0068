/**
 * Builds the web client from a checkout into a directory, and reads a built client back as its
 * manifest. Used by `npm run verify-client` and the reproducible-build test.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import {
  clientHash,
  formatManifest,
  MANIFEST_FILE,
  parseManifest,
  type ClientFile,
} from '../../web/integrity/clientManifest.js';

export interface BuiltClient {
  readonly dir: string;
  /** What the build printed. */
  readonly printedHash: string;
  readonly files: ClientFile[];
  /** SHA-256 of the manifest the build wrote. */
  readonly hash: string;
}

/** `vite build` of `checkout` (a directory with web/, shared/, node_modules) into `outDir`. */
export async function buildClient(checkout: string, outDir: string): Promise<BuiltClient> {
  const vite = path.join(checkout, 'node_modules', 'vite', 'bin', 'vite.js');
  const out = execFileSync(
    process.execPath,
    [vite, 'build', '--config', 'web/vite.config.ts', '--outDir', outDir, '--emptyOutDir'],
    {
      cwd: checkout,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      // Vite picks Lit's production build from NODE_ENV (vitest sets it to "test").
      env: { ...process.env, NODE_ENV: 'production' },
    },
  );
  const printedHash = /^blindcall client sha256 ([0-9a-f]{64})$/m.exec(out)?.[1];
  if (!printedHash) throw new Error(`the build printed no client hash:\n${out.slice(-2000)}`);
  const built = await readBuiltClient(outDir);
  return { ...built, printedHash };
}

function listFiles(root: string, dir = root): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const p = path.join(dir, entry.name);
    return entry.isDirectory()
      ? listFiles(root, p)
      : [path.relative(root, p).split(path.sep).join('/')];
  });
}

/**
 * Hashes every file of a built client and checks it against the manifest the build wrote (a
 * manifest that does not describe its directory is an error, not a result).
 */
export async function readBuiltClient(dir: string): Promise<Omit<BuiltClient, 'printedHash'>> {
  const manifest = readFileSync(path.join(dir, MANIFEST_FILE), 'utf8');
  const files = listFiles(dir)
    .filter((p) => p !== MANIFEST_FILE)
    .map((p) => ({
      path: p,
      sha256: createHash('sha256')
        .update(readFileSync(path.join(dir, p)))
        .digest('hex'),
    }));
  if (formatManifest(files) !== manifest) {
    throw new Error(`${dir}: ${MANIFEST_FILE} does not describe the files next to it`);
  }
  return { dir, files: parseManifest(manifest), hash: await clientHash(manifest) };
}
