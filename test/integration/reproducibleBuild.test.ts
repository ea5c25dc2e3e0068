/**
 * `npm run build:web` is reproducible: two clean builds of the same sources, in checkouts at
 * different paths (and different depths), give byte-identical files, the same manifest and the
 * same printed client hash — and that hash is the SHA-256 of the manifest the build wrote.
 */
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { buildClient } from '../../scripts/client/buildClient.js';
import { compareClients, MANIFEST_FILE } from '../../web/integrity/clientManifest.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const scratch = mkdtempSync(path.join(os.tmpdir(), 'blindcall-repro-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A fresh checkout of what the web build reads, with the dependencies linked in. */
function checkout(at: string): string {
  mkdirSync(at, { recursive: true });
  for (const p of ['web', 'shared', 'package.json', 'tsconfig.base.json']) {
    cpSync(path.join(ROOT, p), path.join(at, p), { recursive: true });
  }
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(at, 'node_modules'), 'dir');
  return at;
}

describe('reproducible web build', () => {
  it('two clean builds in different directories are byte-identical', async () => {
    const a = checkout(path.join(scratch, 'one'));
    const b = checkout(path.join(scratch, 'two', 'deeper', 'blindcall-copy'));
    const first = await buildClient(a, path.join(a, 'dist', 'web'));
    const second = await buildClient(b, path.join(scratch, 'elsewhere', 'out'));
    console.log(`client sha256 build 1: ${first.printedHash}`);
    console.log(`client sha256 build 2: ${second.printedHash}`);

    expect(first.files.length).toBeGreaterThanOrEqual(2);
    expect(compareClients(first.files, second.files).filter((r) => r.status !== 'match')).toEqual(
      [],
    );
    for (const f of first.files) {
      expect(
        readFileSync(path.join(second.dir, f.path)).equals(
          readFileSync(path.join(first.dir, f.path)),
        ),
        f.path,
      ).toBe(true);
    }
    expect(second.printedHash).toBe(first.printedHash);
    const manifest = readFileSync(path.join(first.dir, MANIFEST_FILE));
    expect(first.printedHash).toBe(createHash('sha256').update(manifest).digest('hex'));
    // Nothing of either checkout's path leaked into the output.
    for (const f of first.files) {
      const text = readFileSync(path.join(first.dir, f.path), 'utf8');
      expect(text.includes(scratch), f.path).toBe(false);
      expect(text.includes(ROOT), f.path).toBe(false);
    }
  });
});
