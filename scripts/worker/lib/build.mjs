// Builds mediasoup-worker from the installed package's worker/ sources with
// Debian's libraries, without network access.
//
// mediasoup's meson.build pulls every dependency in as a meson subproject from
// a .wrap file (downloaded from GitHub/wrapdb). In a scratch copy of worker/
// we drop the .wrap files and put small shim subprojects of the same names in
// their place (recipe/subprojects/): each exposes a system library under the
// variable names mediasoup's meson.build reads. Then recipe/source-patches.mjs
// is applied, and meson + ninja build only the flatc codegen and the worker.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { sourcePatches } from '../recipe/source-patches.mjs';
import { copyFileAtomic, workerRunsHere } from './cache.mjs';

/** Ninja target of fbs/meson.build's flatbuffers-generator (output dir FBS). */
const FBS_TARGET = 'fbs/FBS';
const WORKER_TARGET = 'mediasoup-worker';
/** Top-level entries of worker/ that are outputs of earlier builds, not sources. */
const NOT_SOURCES = new Set(['out', 'prebuild']);
const PROGRESS_EVERY_MS = 30_000;

/**
 * workerSourceDir is node_modules/mediasoup/worker (only read); recipeDir is
 * scripts/worker/recipe; workspace is a scratch dir for the source copy and
 * build tree (removed after success); dest receives the binary atomically.
 * @param {{ steps: import('./steps.mjs').StepRunner, workerSourceDir: string,
 *   recipeDir: string, workspace: string, dest: string }} options
 */
export async function buildWorker({ steps, workerSourceDir, recipeDir, workspace, dest }) {
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
    fs.cpSync(path.join(recipeDir, 'subprojects'), subprojects, { recursive: true });
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

  // The generated FBS/*.h headers are not declared as inputs of the worker's
  // objects, so they must exist before ninja starts compiling those.
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

function listDirs(dir) {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
}
