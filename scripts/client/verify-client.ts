/**
 * `npm run verify-client -- <url> [--build <dir>]`: is the client deployed at <url> exactly a
 * build of this checkout? Builds the checkout (or reads a build you made with `npm run build:web`
 * when --build is given), fetches each of its files from <url>, and compares SHA-256s file by file,
 * plus what <url> lists in its own client.sha256 that the build does not have.
 *
 * Prints one line per file and a verdict; exits 0 on MATCH, 1 on MISMATCH, 2 when it could not
 * check. It sees what <url> serves to it: a server that targets one person can serve others the
 * honest client — host the client apart from the SFU (docs/hosting.md) to take that power away.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  compareClients,
  MANIFEST_FILE,
  parseManifest,
  type ClientFile,
} from '../../web/integrity/clientManifest.js';
import { buildClient, readBuiltClient } from './buildClient.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

async function fetchBytes(url: string): Promise<Uint8Array | null> {
  const res = await fetch(url, { redirect: 'error', credentials: 'omit', cache: 'no-store' });
  if (res.status === 404) return null;
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function commit(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { cwd: ROOT })
      .toString()
      .trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'web', 'shared'], {
      cwd: ROOT,
    }).toString();
    return dirty ? `${head} + uncommitted changes in web/ or shared/` : head;
  } catch {
    return 'unknown commit';
  }
}

async function main(argv: string[]): Promise<number> {
  const args = argv.filter((a) => a !== '--');
  const buildAt = args.indexOf('--build');
  const buildDir = buildAt >= 0 ? args.splice(buildAt, 2)[1] : undefined;
  const target = args[0];
  if (!target || args.length !== 1 || (buildAt >= 0 && !buildDir)) {
    console.error('usage: npm run verify-client -- <url of the deployed client> [--build <dir>]');
    return 2;
  }
  const base = new URL(target);
  if (base.pathname !== '/' || base.search || base.hash) {
    console.error(`${target}: give the client's origin, e.g. https://call.example`);
    return 2;
  }

  let tmp: string | null = null;
  let local;
  if (buildDir) {
    local = await readBuiltClient(path.resolve(buildDir));
    console.log(`local build ${local.dir} (${commit()})`);
  } else {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'blindcall-verify-'));
    console.log(`building the client of ${commit()} …`);
    local = await buildClient(ROOT, path.join(tmp, 'web'));
  }
  try {
    console.log(`local client sha256  ${local.hash}`);
    const found: ClientFile[] = [];
    for (const f of local.files) {
      const bytes = await fetchBytes(new URL(f.path, base).href);
      if (bytes) found.push({ path: f.path, sha256: sha256(bytes) });
    }
    // What a person opening a link gets is `/`, not `/index.html`: it must be the same page.
    const page = await fetchBytes(base.href);
    const index = local.files.find((f) => f.path === 'index.html');
    const pageOk = page !== null && index !== undefined && sha256(page) === index.sha256;

    const remoteManifest = await fetchBytes(new URL(MANIFEST_FILE, base).href);
    let remoteHash = '(none served)';
    if (remoteManifest) {
      remoteHash = sha256(remoteManifest);
      const listed = parseManifest(new TextDecoder().decode(remoteManifest));
      for (const f of listed) {
        if (!found.some((g) => g.path === f.path)) found.push(f); // extras show as unexpected
      }
    }
    const rows = compareClients(local.files, found);
    for (const r of rows) {
      const detail = r.status === 'mismatch' ? `  expected ${r.expected}  got ${r.actual}` : '';
      console.log(`${r.status.padEnd(10)} ${r.path}${detail}`);
    }
    console.log(`${(pageOk ? 'match' : 'mismatch').padEnd(10)} / (the page every link opens)`);
    console.log(`remote client sha256 ${remoteHash}`);
    const config = await fetchBytes(new URL('config.json', base).href).catch(() => null);
    console.log(
      config
        ? `config.json (deployment, not compared): ${new TextDecoder().decode(config).slice(0, 300)}`
        : 'config.json: none (the client signals to its own origin)',
    );

    const bad = rows.filter((r) => r.status !== 'match');
    const ok = bad.length === 0 && pageOk && remoteHash === local.hash;
    console.log(
      ok
        ? `MATCH: ${base.origin} serves exactly this build (${local.files.length} files, client sha256 ${local.hash})`
        : `MISMATCH: ${base.origin} does not serve this build (${bad.length} file(s) differ${pageOk ? '' : ', / differs'}${remoteHash === local.hash ? '' : ', its manifest differs'})`,
    );
    return ok ? 0 : 1;
  } finally {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(
      `verify-client: could not check: ${err instanceof Error ? err.message : String(err)}`,
    );
    process.exit(2);
  },
);
