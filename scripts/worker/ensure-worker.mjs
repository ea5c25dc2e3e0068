#!/usr/bin/env node
// Makes the mediasoup-worker binary of the installed mediasoup package
// available, on machines where mediasoup's postinstall cannot fetch anything
// (only the npm registry and Debian's apt archive are reachable).
//
// Order: MEDIASOUP_WORKER_BIN if it names a file -> cached binary ->
// mediasoup's prebuilt download -> build from node_modules/mediasoup/worker
// with Debian's libraries (lib/build.mjs). The result is installed at
// node_modules/mediasoup/worker/out/Release/mediasoup-worker, where mediasoup
// looks without any env var, then checked by creating a worker, a Router and
// a WebRtcTransport.
//
// One variant exists for comparison only (bench/forwarding.ts --compare-srtp): `debian-libsrtp2`
// links Debian's libsrtp2 package (built against NSS) as the recipe did before it built libsrtp
// with OpenSSL. It is cached under its own key and never installed into node_modules.
//
// Plain Node ESM with builtins only: this runs before dev dependencies exist.
//
//   node scripts/worker/ensure-worker.mjs [--variant debian-libsrtp2]
//   import { ensureWorker } from './scripts/worker/ensure-worker.mjs';

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { ensureAptPackages } from './lib/apt.mjs';
import { buildWorker } from './lib/build.mjs';
import {
  cacheRoot,
  copyFileAtomic,
  hashRecipe,
  isFile,
  sha256File,
  withLock,
} from './lib/cache.mjs';
import { fetchPrebuilt, prebuiltUrl } from './lib/prebuilt.mjs';
import { smokeCheck } from './lib/smoke-check.mjs';
import { ensureSrtpSource } from './lib/srtp-source.mjs';
import { StepRunner } from './lib/steps.mjs';

const SCRIPT_DIR = path.dirname(fileURLToPath(import.meta.url));
const PROJECT_ROOT = path.resolve(SCRIPT_DIR, '..', '..');
const BINARY_NAME = 'mediasoup-worker';

/**
 * @typedef {{ binPath: string, source: 'env' | 'cache' | 'prebuilt' | 'build' }} EnsureWorkerResult
 * @typedef {'default' | 'debian-libsrtp2'} WorkerVariant
 */

/** Debian packages only the comparison variant needs. */
const VARIANT_PACKAGES = { default: [], 'debian-libsrtp2': ['libsrtp2-dev'] };

/**
 * @param {{ log?: (line: string) => void, projectRoot?: string, variant?: WorkerVariant }} [options]
 * @returns {Promise<EnsureWorkerResult>}
 */
export async function ensureWorker({
  log = (line) => process.stderr.write(`${line}\n`),
  projectRoot = PROJECT_ROOT,
  variant = 'default',
} = {}) {
  if (!(variant in VARIANT_PACKAGES)) throw new Error(`unknown worker variant "${variant}"`);
  if (variant !== 'default') return ensureVariant({ log, projectRoot, variant });
  const envBin = process.env.MEDIASOUP_WORKER_BIN;
  if (envBin && isFile(envBin)) {
    log(`[mediasoup-worker] using MEDIASOUP_WORKER_BIN=${envBin}; nothing else to do`);
    return { binPath: envBin, source: 'env' };
  }
  if (envBin) {
    log(
      `[mediasoup-worker] warning: MEDIASOUP_WORKER_BIN=${envBin} is not a file, ignoring it here; ` +
        'unset it, or mediasoup will still try to run it',
    );
  }

  const root = cacheRoot();
  const mediasoupDir = path.join(projectRoot, 'node_modules', 'mediasoup');
  const steps = new StepRunner(log, path.join(root, 'logs'), 'ensure-worker');
  try {
    const pkg = await steps.step('read mediasoup package', () =>
      readMediasoupPackage(mediasoupDir),
    );
    const key = `${pkg.version}-${hashRecipe(SCRIPT_DIR)}`;
    const cachedBin = path.join(root, key, BINARY_NAME);
    steps.info(`cache key ${key}, cache ${cachedBin}`);

    /** @type {EnsureWorkerResult['source']} */
    let source = 'cache';
    await withLock(
      path.join(root, `${key}.lock`),
      (message) => steps.info(message),
      async () => {
        if (isFile(cachedBin)) return;
        source = await obtainBinary({
          steps,
          pkg,
          mediasoupDir,
          root,
          key,
          dest: cachedBin,
          variant,
        });
      },
    );
    if (source === 'cache') steps.info('found in cache');

    const installed = path.join(mediasoupDir, 'worker', 'out', 'Release', BINARY_NAME);
    await steps.step('install', () => {
      if (isFile(installed) && sha256File(installed) === sha256File(cachedBin)) {
        steps.info(`${installed} is already this binary`);
      } else {
        copyFileAtomic(cachedBin, installed);
        steps.info(`installed ${installed}`);
      }
    });
    const summary = await steps.step('smoke check', () => smokeCheck({ projectRoot }));
    steps.info(`smoke check: ${summary}`);
    steps.info(`ready (${source}): ${installed}`);
    return { binPath: installed, source };
  } finally {
    steps.close();
  }
}

/**
 * A comparison variant: built (once, then cached) from the same sources, never installed.
 * @param {{ log: (line: string) => void, projectRoot: string, variant: WorkerVariant }} options
 * @returns {Promise<EnsureWorkerResult>}
 */
async function ensureVariant({ log, projectRoot, variant }) {
  const root = cacheRoot();
  const mediasoupDir = path.join(projectRoot, 'node_modules', 'mediasoup');
  const steps = new StepRunner(log, path.join(root, 'logs'), `ensure-worker-${variant}`);
  try {
    const pkg = await steps.step('read mediasoup package', () =>
      readMediasoupPackage(mediasoupDir),
    );
    const key = `${pkg.version}-${hashRecipe(SCRIPT_DIR)}-${variant}`;
    const cachedBin = path.join(root, key, BINARY_NAME);
    steps.info(`variant ${variant}: cache key ${key}`);
    /** @type {EnsureWorkerResult['source']} */
    let source = 'cache';
    await withLock(
      path.join(root, `${key}.lock`),
      (message) => steps.info(message),
      async () => {
        if (isFile(cachedBin)) return;
        source = 'build';
        await buildFromSource({ steps, mediasoupDir, root, key, dest: cachedBin, variant });
      },
    );
    steps.info(`ready (${source}): ${cachedBin}`);
    return { binPath: cachedBin, source };
  } finally {
    steps.close();
  }
}

/**
 * Prebuilt download first, else a source build; leaves the binary at dest.
 * @returns {Promise<'prebuilt' | 'build'>}
 */
async function obtainBinary({ steps, pkg, mediasoupDir, root, key, dest, variant }) {
  if (process.env.MEDIASOUP_SKIP_WORKER_PREBUILT_DOWNLOAD) {
    steps.info('MEDIASOUP_SKIP_WORKER_PREBUILT_DOWNLOAD is set: not trying the prebuilt download');
  } else {
    const url = prebuiltUrl(pkg);
    const result = await steps.step('prebuilt download', () => {
      steps.info(`trying ${url}`);
      return fetchPrebuilt({
        url,
        workDir: path.join(root, `prebuilt-${key}`),
        dest,
        run: steps.run.bind(steps),
      });
    });
    if (result.ok) return 'prebuilt';
    steps.info(`no prebuilt binary (${result.reason}); building from source, ~10 min on 2 cores`);
  }
  await buildFromSource({ steps, mediasoupDir, root, key, dest, variant });
  return 'build';
}

/** Build packages, the libsrtp source (default variant), then meson + ninja. */
async function buildFromSource({ steps, mediasoupDir, root, key, dest, variant }) {
  await steps.step('apt packages', () =>
    ensureAptPackages({
      info: (message) => steps.info(message),
      run: steps.run.bind(steps),
      extra: VARIANT_PACKAGES[variant],
    }),
  );
  const srtpTarball =
    variant === 'default'
      ? await steps.step('libsrtp source', () =>
          ensureSrtpSource({ cacheDir: path.join(root, key, 'sources'), steps }),
        )
      : undefined;
  await buildWorker({
    srtpTarball,
    steps,
    workerSourceDir: path.join(mediasoupDir, 'worker'),
    recipeDir: path.join(SCRIPT_DIR, 'recipe'),
    variantDir:
      variant === 'default' ? undefined : path.join(SCRIPT_DIR, 'recipe', 'variants', variant),
    workspace: path.join(root, `build-${key}`),
    dest,
  });
}

/** @returns {{ version: string, repositoryUrl: string }} */
function readMediasoupPackage(mediasoupDir) {
  const file = path.join(mediasoupDir, 'package.json');
  if (!isFile(file)) {
    throw new Error(`${file} not found; run npm install first`);
  }
  const pkg = JSON.parse(fs.readFileSync(file, 'utf8'));
  return { version: pkg.version, repositoryUrl: pkg.repository.url };
}

function isMainModule() {
  if (!process.argv[1]) return false;
  try {
    return import.meta.url === pathToFileURL(fs.realpathSync(process.argv[1])).href;
  } catch {
    return false;
  }
}

if (isMainModule()) {
  const started = Date.now();
  const variantAt = process.argv.indexOf('--variant');
  /** @type {WorkerVariant} */
  const variant =
    variantAt >= 0 ? /** @type {WorkerVariant} */ (process.argv[variantAt + 1]) : 'default';
  try {
    const result = await ensureWorker({ log: (line) => console.log(line), variant });
    console.log(
      `mediasoup-worker ready: ${result.binPath} (${result.source}, ${((Date.now() - started) / 1000).toFixed(1)}s)`,
    );
  } catch (error) {
    console.error(`\n${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  }
}
