// Debian packages needed to build mediasoup-worker against system libraries.
//
// Installs what is missing when running as root; otherwise stops with the
// exact command to run. mediasoup's meson.build needs meson >= 1.1.0, which
// bookworm only has in bookworm-backports.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';

const BUILD_PACKAGES = [
  'g++',
  'pkg-config',
  'ninja-build',
  // flatc and the headers its generated code compiles against, same release.
  'flatbuffers-compiler',
  'libflatbuffers-dev',
  'libuv1-dev',
  'libssl-dev',
  // Only deps/libwebrtc (the bandwidth estimator) uses abseil.
  'libabsl-dev',
  // libsrtp is not here: the recipe builds it from Debian's source package with OpenSSL
  // (lib/srtp-source.mjs), because Debian's binary package uses NSS. mediasoup 3.27 has its own
  // SCTP stack and no io_uring, so usrsctp and liburing are gone too.
];
const MESON_PACKAGE = 'meson';
const MESON_MIN_VERSION = '1.1.0';
const BACKPORTS_SUITE = 'bookworm-backports';
const BACKPORTS_SOURCES_FILE = '/etc/apt/sources.list.d/backports.sources';
const BACKPORTS_SOURCES = `Types: deb
URIs: http://deb.debian.org/debian
Suites: ${BACKPORTS_SUITE}
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
`;
const APT_SOURCE_PATHS = ['/etc/apt/sources.list', '/etc/apt/sources.list.d'];

/**
 * extra: packages a comparison variant of the worker needs on top of BUILD_PACKAGES.
 * @param {{ info: (message: string) => void,
 *   run: import('./steps.mjs').StepRunner['run'], extra?: string[] }} options
 */
export async function ensureAptPackages({ info, run, extra = [] }) {
  const packages = [...BUILD_PACKAGES, ...extra];
  if (!hasCommand('dpkg-query')) {
    info(
      'no dpkg here: not checking packages; the build needs meson >= 1.1.0, ninja, g++, ' +
        'pkg-config, flatc and dev files for flatbuffers, libuv, OpenSSL 3 and abseil',
    );
    return;
  }
  const missing = packages.filter((name) => !isInstalled(name));
  const needMeson = !mesonIsRecentEnough();
  if (missing.length === 0 && !needMeson) {
    info('all build packages are installed');
    return;
  }

  const useBackports = needMeson && debianCodename() === 'bookworm';
  const addBackports = useBackports && !backportsConfigured();
  const wanted = [...missing, ...(needMeson ? [`${MESON_PACKAGE} (>= ${MESON_MIN_VERSION})`] : [])];
  info(`missing build packages: ${wanted.join(', ')}`);

  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const installPlain = ['apt-get', 'install', '-y', '--no-install-recommends', ...missing];
  const installMeson = [
    'apt-get',
    'install',
    '-y',
    '--no-install-recommends',
    ...(useBackports ? ['-t', BACKPORTS_SUITE] : []),
    MESON_PACKAGE,
  ];

  if (process.getuid?.() !== 0) {
    const commands = [
      ...(addBackports
        ? [`printf "${BACKPORTS_SOURCES.replace(/\n/g, '\\n')}" > ${BACKPORTS_SOURCES_FILE}`]
        : []),
      'apt-get update',
      ...(missing.length > 0 ? [installPlain.join(' ')] : []),
      ...(needMeson ? [installMeson.join(' ')] : []),
    ];
    throw new Error(
      `missing Debian packages and not running as root; run this, then run ensure-worker again:\n` +
        `  sudo sh -c '${commands.join(' && ')}'`,
    );
  }

  if (addBackports) {
    info(`adding ${BACKPORTS_SOURCES_FILE} for meson >= ${MESON_MIN_VERSION}`);
    fs.writeFileSync(BACKPORTS_SOURCES_FILE, BACKPORTS_SOURCES);
  }
  info('apt-get update');
  await run('apt-get', ['update'], { env });
  if (missing.length > 0) {
    info(`apt-get install ${missing.join(' ')}`);
    await run(installPlain[0], installPlain.slice(1), { env });
  }
  if (needMeson) {
    info(`apt-get install${useBackports ? ` -t ${BACKPORTS_SUITE}` : ''} meson`);
    await run(installMeson[0], installMeson.slice(1), { env });
    if (!mesonIsRecentEnough()) {
      throw new Error(`installed meson is still older than ${MESON_MIN_VERSION}`);
    }
  }
  const stillMissing = packages.filter((name) => !isInstalled(name));
  if (stillMissing.length > 0) {
    throw new Error(`packages still missing after apt-get install: ${stillMissing.join(', ')}`);
  }
}

function hasCommand(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

function isInstalled(pkg) {
  const query = spawnSync('dpkg-query', ['-W', '-f=${db:Status-Abbrev}', pkg], {
    encoding: 'utf8',
  });
  return query.status === 0 && query.stdout.startsWith('ii');
}

/** Accepts any meson on PATH (apt or pip) that is new enough. */
function mesonIsRecentEnough() {
  const probe = spawnSync('meson', ['--version'], { encoding: 'utf8' });
  if (probe.status !== 0) return false;
  return compareVersions(probe.stdout.trim(), MESON_MIN_VERSION) >= 0;
}

/** Compares dotted numeric versions ("1.7.0" vs "1.1.0"). */
function compareVersions(a, b) {
  const pa = a.split('.').map((part) => Number.parseInt(part, 10) || 0);
  const pb = b.split('.').map((part) => Number.parseInt(part, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const diff = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}

export function debianCodename() {
  try {
    const osRelease = fs.readFileSync('/etc/os-release', 'utf8');
    return /^VERSION_CODENAME=("?)([^"\n]*)\1$/m.exec(osRelease)?.[2];
  } catch {
    return undefined;
  }
}

/** True if any apt source (one-line or deb822 format) already names bookworm-backports. */
function backportsConfigured() {
  for (const sourcePath of APT_SOURCE_PATHS) {
    let files;
    try {
      files = fs.statSync(sourcePath).isDirectory()
        ? fs.readdirSync(sourcePath).map((name) => `${sourcePath}/${name}`)
        : [sourcePath];
    } catch {
      continue;
    }
    for (const file of files) {
      if (!/\.(list|sources)$/.test(file) && file !== '/etc/apt/sources.list') continue;
      try {
        const lines = fs.readFileSync(file, 'utf8').split('\n');
        if (
          lines.some((line) => !line.trimStart().startsWith('#') && line.includes(BACKPORTS_SUITE))
        ) {
          return true;
        }
      } catch {
        // Unreadable source file: treat as not configuring backports.
      }
    }
  }
  return false;
}
