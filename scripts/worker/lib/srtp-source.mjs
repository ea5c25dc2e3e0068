// The libsrtp source that the libsrtp3 shim builds with OpenSSL (recipe/subprojects/libsrtp3/).
//
// It comes from Debian's source package `libsrtp2`, through apt (the archive is one of the two
// places this machine reaches), and is checked twice before it is used:
// - apt itself checks the downloaded files against the Sources index of a signed Release file;
// - we check each file against the .dsc's Checksums-Sha256, and the upstream tarball against the
//   SHA-256 pinned below, so a changed tarball can never slip into a build unnoticed.
// The verified tarball is kept in the worker cache beside the binary it builds (same key), so a
// rebuild needs no apt at all.
//
// Fetching needs a `deb-src` entry; we add one for the machine's own suites, run apt, and remove
// it again whatever happens.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { debianCodename } from './apt.mjs';
import { isFile, sha256File as sha256 } from './cache.mjs';

/** The upstream release we build, and the SHA-256 of its tarball as Debian ships it. */
export const LIBSRTP = Object.freeze({
  sourcePackage: 'libsrtp2',
  upstreamVersion: '2.5.0',
  tarball: 'libsrtp2_2.5.0.orig.tar.gz',
  sha256: '8a43ef8e9ae2b665292591af62aa1a4ae41e468b6d98d8258f91478735da4e09',
  /** Top-level folder inside the tarball. */
  topDir: 'libsrtp-2.5.0',
});

const DEB_SRC_FILE = '/etc/apt/sources.list.d/blindcall-libsrtp-src.sources';

/**
 * Returns the path of the verified upstream tarball, fetching it into cacheDir if needed.
 * @param {{ cacheDir: string, steps: import('./steps.mjs').StepRunner }} options
 */
export async function ensureSrtpSource({ cacheDir, steps }) {
  const cached = path.join(cacheDir, LIBSRTP.tarball);
  if (isFile(cached) && sha256(cached) === LIBSRTP.sha256) {
    steps.info(`libsrtp source: ${LIBSRTP.tarball} from the cache (sha256 verified)`);
    return cached;
  }
  if (process.getuid?.() !== 0) {
    throw new Error(
      `the libsrtp source (${LIBSRTP.tarball}) is not cached and fetching it needs root; run as root, ` +
        `or put the verified file there yourself:\n` +
        `  echo 'deb-src http://deb.debian.org/debian ${debianCodename() ?? 'bookworm'} main' > /etc/apt/sources.list.d/src.list\n` +
        `  apt-get update && (cd ${cacheDir} && apt-get source --download-only ${LIBSRTP.sourcePackage})\n` +
        `  sha256sum ${cached}   # must be ${LIBSRTP.sha256}`,
    );
  }
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'blindcall-libsrtp-'));
  try {
    const codename = debianCodename();
    if (!codename) throw new Error('cannot tell the Debian suite from /etc/os-release');
    fs.writeFileSync(DEB_SRC_FILE, debSrcEntry(codename));
    steps.info(`added ${DEB_SRC_FILE} (deb-src for ${codename}); apt-get update`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    await steps.run('apt-get', ['update', '-q'], { env });
    await steps.run('apt-get', ['source', '--download-only', '-q', `${LIBSRTP.sourcePackage}`], {
      cwd: work,
      env,
    });
  } finally {
    fs.rmSync(DEB_SRC_FILE, { force: true });
  }
  try {
    const tarball = verifyDownload(work);
    fs.mkdirSync(cacheDir, { recursive: true });
    fs.copyFileSync(tarball, `${cached}.tmp`);
    fs.renameSync(`${cached}.tmp`, cached);
    steps.info(
      `libsrtp source: ${LIBSRTP.tarball} verified (sha256 ${LIBSRTP.sha256.slice(0, 16)}…)`,
    );
    return cached;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** Checks every file the .dsc lists, then the pinned tarball hash; returns the tarball path. */
function verifyDownload(dir) {
  const dscs = fs.readdirSync(dir).filter((name) => name.endsWith('.dsc'));
  if (dscs.length !== 1)
    throw new Error(`expected one .dsc from apt-get source, found ${dscs.length}`);
  const listed = parseDscSha256(fs.readFileSync(path.join(dir, dscs[0]), 'utf8'));
  if (listed.size === 0) throw new Error(`${dscs[0]} lists no Checksums-Sha256`);
  for (const [name, { hash, size }] of listed) {
    const file = path.join(dir, name);
    if (!isFile(file)) throw new Error(`${name}, listed in ${dscs[0]}, was not downloaded`);
    if (fs.statSync(file).size !== size || sha256(file) !== hash) {
      throw new Error(`${name} does not match the checksum in ${dscs[0]}`);
    }
  }
  const tarball = path.join(dir, LIBSRTP.tarball);
  if (!listed.has(LIBSRTP.tarball)) {
    throw new Error(
      `Debian's ${LIBSRTP.sourcePackage} is no longer upstream ${LIBSRTP.upstreamVersion} ` +
        `(${dscs[0]} lists ${[...listed.keys()].join(', ')}); update LIBSRTP in ` +
        'scripts/worker/lib/srtp-source.mjs after checking the new release',
    );
  }
  const actual = sha256(tarball);
  if (actual !== LIBSRTP.sha256) {
    throw new Error(`${LIBSRTP.tarball} has sha256 ${actual}, expected ${LIBSRTP.sha256}`);
  }
  return tarball;
}

/**
 * The Checksums-Sha256 field of a Debian source control file: lines of "hash size name".
 * @returns {Map<string, { hash: string, size: number }>}
 */
export function parseDscSha256(text) {
  const files = new Map();
  const block = /^Checksums-Sha256:[^\n]*\n((?:[ \t]+[^\n]*\n?)*)/m.exec(text);
  for (const line of (block?.[1] ?? '').split('\n')) {
    const match = /^\s+([0-9a-f]{64})\s+(\d+)\s+(\S+)\s*$/.exec(line);
    if (match) files.set(match[3], { hash: match[1], size: Number(match[2]) });
  }
  return files;
}

function debSrcEntry(codename) {
  const entry = (uri, suites) =>
    `Types: deb-src\nURIs: ${uri}\nSuites: ${suites}\nComponents: main\n` +
    'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n';
  return (
    entry('http://deb.debian.org/debian', `${codename} ${codename}-updates`) +
    '\n' +
    entry('http://deb.debian.org/debian-security', `${codename}-security`)
  );
}
