// Builds mediasoup-worker from the installed package's worker/ sources with
// Debian's libraries, without network access.
//
// mediasoup's meson.build pulls every dependency in as a meson subproject from
// a .wrap file (downloaded from GitHub/wrapdb). In a scratch copy of worker/
// we drop the .wrap files and put small shim subprojects of the same names in
// their place (recipe/subprojects/): each exposes a system library under the
// variable names mediasoup's meson.build reads. The one library we build from
// source, libsrtp (with OpenSSL, static), is unpacked into subprojects/libsrtp2/
// from the verified tarball lib/srtp-source.mjs provides. Then
// recipe/source-patches.mjs is applied, and meson + ninja build only the flatc
// codegen and the worker.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { sourcePatches } from '../recipe/source-patches.mjs';
import { copyFileAtomic, workerRunsHere } from './cache.mjs';
import { LIBSRTP } from './srtp-source.mjs';

/**
 * One output of fbs/FBS/meson.build's flatbuffers-generator (it writes one header per schema in a
 * single command). Run as its own step so that a flatc problem is named as such.
 */
const FBS_TARGET = 'fbs/FBS/worker.h';
const WORKER_TARGET = 'mediasoup-worker';
/** Top-level entries of worker/ that are outputs of earlier builds, not sources. */
const NOT_SOURCES = new Set(['out', 'prebuild']);
const PROGRESS_EVERY_MS = 30_000;

/**
 * workerSourceDir is node_modules/mediasoup/worker (only read); recipeDir is
 * scripts/worker/recipe; workspace is a scratch dir for the source copy and
 * build tree (removed after success); dest receives the binary atomically;
 * srtpTarball is the verified libsrtp source (lib/srtp-source.mjs); a comparison variant has
 * none and brings its own shims in variantDir/subprojects, copied over the default ones.
 * @param {{ steps: import('./steps.mjs').StepRunner, workerSourceDir: string,
 *   recipeDir: string, workspace: string, dest: string, srtpTarball?: string,
 *   variantDir?: string }} options
 */
export async function buildWorker({
  steps,
  workerSourceDir,
  recipeDir,
  workspace,
  dest,
  srtpTarball,
  variantDir,
}) {
  const srcDir = path.join(workspace, 'worker');
  const buildDir = path.join(workspace, 'build');
  const jobs = String(os.availableParallelism());

  await steps.step('copy sources', () => {
    fs.rmSync(srcDir, { recursive: true, force: true });
    // Keep mtimes so that a retry after a failed compile reuses the build tree.
    fs.cpSync(workerSourceDir, srcDir, {
      recursive: true,
      preserveTimestamps: true,
      filter: (source) => !NOT_SOURCES.has(path.relative(workerSourceDir, source)),
    });
  });

  await steps.step('apply recipe', () => {
    const subprojects = path.join(srcDir, 'subprojects');
    for (const name of fs.readdirSync(subprojects)) {
      // Without its .wrap, meson uses subprojects/<name>/ as is and can never download.
      if (name.endsWith('.wrap')) fs.rmSync(path.join(subprojects, name));
    }
    // Timestamps kept, so that a retry after a failed compile recompiles nothing that the
    // recipe did not change.
    const copy = { recursive: true, preserveTimestamps: true };
    fs.cpSync(path.join(recipeDir, 'subprojects'), subprojects, copy);
    if (variantDir) {
      fs.cpSync(path.join(variantDir, 'subprojects'), subprojects, copy);
    } else if (srtpTarball) {
      unpackTarball(srtpTarball, path.join(subprojects, 'libsrtp2'), LIBSRTP.topDir);
    } else {
      throw new Error('no libsrtp source given');
    }
    for (const patch of sourcePatches) applyPatch(srcDir, patch);
    steps.info(
      `applied ${sourcePatches.length} source patch(es), shims: ${listDirs(path.join(recipeDir, 'subprojects')).join(', ')}`,
    );
  });

  await steps.step('meson setup', async () => {
    // A tree from an earlier failed attempt is reused only if its setup finished.
    const configured = fs.existsSync(path.join(buildDir, 'build.ninja'));
    if (!configured) fs.rmSync(buildDir, { recursive: true, force: true });
    await steps.run(
      'meson',
      [
        'setup',
        ...(configured ? ['--reconfigure'] : []),
        '--buildtype=release',
        '-Db_ndebug=true',
        '--wrap-mode=nodownload',
        buildDir,
      ],
      { cwd: srcDir, lowPriority: true },
    );
  });

  await steps.step('flatbuffers codegen', () =>
    steps.run('ninja', ['-C', buildDir, '-j', jobs, FBS_TARGET], { lowPriority: true }),
  );

  await steps.step(`compile ${WORKER_TARGET} (ninja -j ${jobs})`, async () => {
    let progress = '';
    const timer = setInterval(() => {
      if (progress) steps.info(`compile progress ${progress}`);
    }, PROGRESS_EVERY_MS);
    try {
      await steps.run('ninja', ['-C', buildDir, '-j', jobs, WORKER_TARGET], {
        lowPriority: true,
        onLine: (line) => {
          const match = /^\[(\d+)\/(\d+)\]/.exec(line);
          if (match) {
            const percent = Math.floor((100 * Number(match[1])) / Number(match[2]));
            progress = `[${match[1]}/${match[2]}] ${percent}%`;
          }
        },
      });
    } finally {
      clearInterval(timer);
    }
  });

  await steps.step('store in cache', () => {
    const built = path.join(buildDir, WORKER_TARGET);
    const problem = workerRunsHere(built);
    if (problem) throw new Error(`built binary ${problem}`);
    copyFileAtomic(built, dest);
    // The build tree is only useful to resume a failed build; it is large.
    fs.rmSync(workspace, { recursive: true, force: true });
  });
}

/**
 * @param {string} srcDir
 * @param {(typeof sourcePatches)[number]} patch
 */
function applyPatch(srcDir, { file, find, replace }) {
  const target = path.join(srcDir, file);
  const text = fs.readFileSync(target, 'utf8');
  const count = text.split(find).length - 1;
  if (count !== 1) {
    throw new Error(
      `source patch for ${file} expects its pattern exactly once but found it ${count} times; ` +
        `mediasoup's sources changed, update scripts/worker/recipe/source-patches.mjs.\n` +
        `  pattern: ${find}`,
    );
  }
  fs.writeFileSync(
    target,
    text.replace(find, () => replace),
  );
}

/** Unpacks a .tar.gz whose entries all live under topDir into dest (replacing dest). */
function unpackTarball(tarball, dest, topDir) {
  fs.rmSync(dest, { recursive: true, force: true });
  fs.mkdirSync(dest, { recursive: true });
  const untar = spawnSync(
    'tar',
    ['-xzf', tarball, '-C', dest, '--strip-components=1', '--no-same-owner', topDir],
    { encoding: 'utf8' },
  );
  if (untar.status !== 0) {
    throw new Error(`cannot unpack ${tarball}: ${untar.stderr || untar.error?.message}`);
  }
}

function listDirs(dir) {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
}
