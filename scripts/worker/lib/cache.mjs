// Where built mediasoup-worker binaries are kept, and how they get there safely.
//
// A binary is cached under <root>/<mediasoup version>-<recipe hash>/. The
// recipe hash covers what decides the binary: every file under recipe/ (shims,
// patches, variants), lib/build.mjs (how it is compiled) and lib/srtp-source.mjs
// (which libsrtp source, pinned by hash). Changing any of them produces a new key
// instead of reusing a stale binary; changing how set-up finds, checks or
// installs a binary (the other files) does not force a ten-minute rebuild.

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const RECIPE_HASH_LENGTH = 12;
const LOCK_POLL_MS = 2000;
const LOCK_REPORT_MS = 30_000;
/** A lock directory without a readable owner pid older than this is abandoned. */
const LOCK_ORPHAN_MS = 60_000;
/** main.cpp exits with 41 when MEDIASOUP_VERSION is unset: the binary loaded and ran. */
const EXIT_MISSING_VERSION = 41;

export function cacheRoot(env = process.env) {
  if (env.MEDIASOUP_WORKER_CACHE_DIR) return path.resolve(env.MEDIASOUP_WORKER_CACHE_DIR);
  const xdg = env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(xdg, 'blindcall', 'mediasoup-worker');
}

/** The files under scripts/worker/ that decide what binary a build makes. */
const RECIPE_INPUTS = ['recipe', 'lib/build.mjs', 'lib/srtp-source.mjs'];

/**
 * Short sha256 over the relative paths and contents of the recipe inputs under
 * dir (scripts/worker/).
 */
export function hashRecipe(dir) {
  const hash = createHash('sha256');
  const files = RECIPE_INPUTS.flatMap((input) =>
    fs.statSync(path.join(dir, input)).isDirectory()
      ? listFiles(path.join(dir, input)).map((file) => `${input}/${file}`)
      : [input],
  );
  for (const relative of files) {
    hash.update(relative);
    hash.update('\0');
    hash.update(fs.readFileSync(path.join(dir, relative)));
    hash.update('\0');
  }
  return hash.digest('hex').slice(0, RECIPE_HASH_LENGTH);
}

/** Relative POSIX paths of the regular files under dir, sorted. */
function listFiles(dir, prefix = '') {
  /** @type {string[]} */
  const files = [];
  for (const entry of fs.readdirSync(path.join(dir, prefix), { withFileTypes: true })) {
    const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) files.push(...listFiles(dir, relative));
    else if (entry.isFile()) files.push(relative);
  }
  return files.sort();
}

export function isFile(file) {
  try {
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

export function sha256File(file) {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/**
 * Runs the worker without MEDIASOUP_VERSION, which it answers with exit code
 * 41 if it can start on this host (dynamic libraries resolve, CPU matches).
 * Returns undefined when it can, otherwise what went wrong.
 */
export function workerRunsHere(binary) {
  const probe = spawnSync(binary, [], { env: {}, stdio: 'ignore', timeout: 10_000 });
  if (probe.status === EXIT_MISSING_VERSION) return undefined;
  if (probe.error) return `cannot be run: ${probe.error.message}`;
  return `does not run on this host (${probe.signal ? `signal ${probe.signal}` : `exit code ${probe.status}`})`;
}

/**
 * Copies src to dest through a temporary file in dest's directory and a
 * rename, so readers never see a half-written binary.
 */
export function copyFileAtomic(src, dest, mode = 0o755) {
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  const tmp = `${dest}.tmp-${process.pid}`;
  try {
    fs.copyFileSync(src, tmp);
    fs.chmodSync(tmp, mode);
    fs.renameSync(tmp, dest);
  } catch (error) {
    fs.rmSync(tmp, { force: true });
    throw error;
  }
}

function processIsAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return /** @type {NodeJS.ErrnoException} */ (error).code === 'EPERM';
  }
}

/**
 * Runs fn while holding a lock directory, so two ensure-worker runs (say, two
 * engineers' test runs starting together) do not build the same key twice.
 * A lock whose owner died is taken over.
 * @template T
 * @param {string} lockDir
 * @param {(message: string) => void} info
 * @param {() => Promise<T>} fn
 * @returns {Promise<T>}
 */
export async function withLock(lockDir, info, fn) {
  const pidFile = path.join(lockDir, 'pid');
  let waitingSince = 0;
  let lastReport = 0;
  for (;;) {
    try {
      fs.mkdirSync(path.dirname(lockDir), { recursive: true });
      fs.mkdirSync(lockDir);
      fs.writeFileSync(pidFile, String(process.pid));
      break;
    } catch (error) {
      if (/** @type {NodeJS.ErrnoException} */ (error).code !== 'EEXIST') throw error;
    }
    const owner = Number.parseInt(readOrEmpty(pidFile), 10);
    const abandoned = Number.isInteger(owner)
      ? !processIsAlive(owner)
      : Date.now() - mtimeMs(lockDir) > LOCK_ORPHAN_MS;
    if (abandoned) {
      info(`removing abandoned lock ${lockDir}`);
      fs.rmSync(lockDir, { recursive: true, force: true });
      continue;
    }
    const now = Date.now();
    waitingSince ||= now;
    if (now - lastReport >= LOCK_REPORT_MS) {
      lastReport = now;
      info(
        `waiting for another ensure-worker run (pid ${Number.isInteger(owner) ? owner : '?'}, ` +
          `lock ${lockDir}), ${Math.round((now - waitingSince) / 1000)}s so far`,
      );
    }
    await sleep(LOCK_POLL_MS);
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lockDir, { recursive: true, force: true });
  }
}

function readOrEmpty(file) {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function mtimeMs(file) {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return Date.now();
  }
}
