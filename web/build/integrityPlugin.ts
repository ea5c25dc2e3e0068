/**
 * Build step that makes the client verifiable (docs/hosting.md "Verifying the client"):
 *
 * 1. Subresource Integrity: every script, module preload and stylesheet that index.html loads gets
 *    `integrity="sha384-…"`, so a swapped asset is refused by the browser. The frame worker is
 *    inlined into the entry script (web/e2ee/FrameCryptor.ts), so the entry's integrity covers it.
 * 2. The manifest `client.sha256` (web/integrity/clientManifest.ts) lists the SHA-256 of every
 *    file written, and the build prints the client hash, the SHA-256 of that manifest.
 *
 * It runs after the files are written (`writeBundle`) so it hashes exactly the bytes on disk.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Plugin } from 'vite';
import { clientHash, formatManifest, MANIFEST_FILE } from '../integrity/clientManifest.js';

function listFiles(root: string, dir = root): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(root, p));
    else out.push(path.relative(root, p).split(path.sep).join('/'));
  }
  return out;
}

/** Adds `integrity` to each `<script src>` and `<link href>` that points at a built file. */
export function addIntegrity(html: string, read: (assetPath: string) => Buffer | null): string {
  return html.replace(/<(script|link)\b([^>]*)>/g, (tag: string, name: string, attrs: string) => {
    if (/\bintegrity=/.test(attrs)) return tag;
    const url = /\b(?:src|href)="(\/[^"]+)"/.exec(attrs)?.[1];
    if (!url) return tag;
    const bytes = read(url.slice(1));
    if (!bytes) return tag;
    const sri = `sha384-${createHash('sha384').update(bytes).digest('base64')}`;
    const cors = /\bcrossorigin\b/.test(attrs) ? '' : ' crossorigin';
    return `<${name}${attrs} integrity="${sri}"${cors}>`;
  });
}

export function integrityPlugin(): Plugin {
  let outDir = '';
  return {
    name: 'blindcall-integrity',
    apply: 'build',
    enforce: 'post',
    writeBundle(options) {
      outDir = options.dir ?? '';
    },
    async closeBundle() {
      if (!outDir) return;
      const indexFile = path.join(outDir, 'index.html');
      const html = readFileSync(indexFile, 'utf8');
      const withSri = addIntegrity(html, (p) => {
        const file = path.resolve(outDir, p);
        return file.startsWith(outDir + path.sep) ? readFileSync(file) : null;
      });
      writeFileSync(indexFile, withSri);
      const files = listFiles(outDir)
        .filter((p) => p !== MANIFEST_FILE)
        .map((p) => ({
          path: p,
          sha256: createHash('sha256')
            .update(readFileSync(path.join(outDir, p)))
            .digest('hex'),
        }));
      const manifest = formatManifest(files);
      writeFileSync(path.join(outDir, MANIFEST_FILE), manifest);
      process.stdout.write(`blindcall client sha256 ${await clientHash(manifest)}\n`);
    },
  };
}
