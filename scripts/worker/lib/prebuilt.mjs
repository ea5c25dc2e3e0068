// mediasoup's own prebuilt worker: the same release URL and archive name its
// npm-scripts.mjs (getWorkerPrebuildTarName / downloadPrebuiltWorker) uses.
// Those binaries carry their own OpenSSL, so the kTLS patch is not needed.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { copyFileAtomic, workerRunsHere } from './cache.mjs';

/** Time allowed until response headers arrive; unreachable hosts fail here. */
const CONNECT_TIMEOUT_MS = 15_000;
/** Time allowed for the archive body (a few MB). */
const BODY_TIMEOUT_MS = 120_000;

/**
 * @param {{ version: string, repositoryUrl: string }} pkg
 * @param {NodeJS.ProcessEnv} env
 */
export function prebuiltUrl(pkg, env = process.env) {
  const base =
    env.MEDIASOUP_WORKER_PREBUILT_DOWNLOAD_BASE_URL ||
    `${pkg.repositoryUrl.replace(/^git\+/, '').replace(/\.git$/, '')}/releases/download`;
  let name = `mediasoup-worker-${pkg.version}-${os.platform()}-${os.arch()}`;
  if (os.platform() === 'linux') name += `-kernel${Number(os.release().split('.')[0])}`;
  return `${base}/${pkg.version}/${name}.tgz`;
}

/**
 * Downloads and unpacks the prebuilt worker into dest (atomically).
 * Resolves to { ok: false, reason } rather than throwing when there is no
 * usable prebuilt (unreachable, 404, bad archive, does not run here), since
 * building from source is the normal fallback.
 * @param {{ url: string, workDir: string, dest: string, run: import('./steps.mjs').StepRunner['run'] }} options
 * @returns {Promise<{ ok: true } | { ok: false, reason: string }>}
 */
export async function fetchPrebuilt({ url, workDir, dest, run }) {
  const controller = new AbortController();
  let timer = setTimeout(() => controller.abort(), CONNECT_TIMEOUT_MS);
  let archive;
  try {
    const response = await fetch(url, { signal: controller.signal });
    if (!response.ok) {
      return { ok: false, reason: `HTTP ${response.status} ${response.statusText}` };
    }
    clearTimeout(timer);
    timer = setTimeout(() => controller.abort(), BODY_TIMEOUT_MS);
    archive = Buffer.from(await response.arrayBuffer());
  } catch (error) {
    const cause = /** @type {{ cause?: { code?: string } }} */ (error).cause?.code;
    const message = controller.signal.aborted
      ? 'timed out'
      : `${error instanceof Error ? error.message : String(error)}${cause ? ` (${cause})` : ''}`;
    return { ok: false, reason: message };
  } finally {
    clearTimeout(timer);
  }

  fs.rmSync(workDir, { recursive: true, force: true });
  fs.mkdirSync(workDir, { recursive: true });
  try {
    const archivePath = path.join(workDir, 'prebuilt.tgz');
    fs.writeFileSync(archivePath, archive);
    try {
      await run('tar', ['-xzf', archivePath, '-C', workDir]);
    } catch (error) {
      return {
        ok: false,
        reason: `cannot unpack it: ${error instanceof Error ? error.message : error}`,
      };
    }
    const binary = path.join(workDir, 'mediasoup-worker');
    if (!fs.existsSync(binary)) {
      return { ok: false, reason: 'archive has no mediasoup-worker file' };
    }
    fs.chmodSync(binary, 0o755);
    const problem = workerRunsHere(binary);
    if (problem) return { ok: false, reason: `downloaded binary ${problem}` };
    copyFileAtomic(binary, dest);
    return { ok: true };
  } finally {
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}
