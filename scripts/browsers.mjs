// Browsers for the end-to-end tests: Debian's Chromium and Firefox ESR packages, never a
// downloaded browser build; and Debian's coturn (`turnserver`), which the TURN tests start on
// loopback (its system service is never enabled or started by us). As root the missing packages are installed with apt-get; otherwise
// the set-up stops and prints the one apt-get line to run. Builtins only (runs before
// node_modules may exist). Called from scripts/setup.mjs --browser.

import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';

/** Each browser: where its binary is (overridable), and the Debian packages that provide it. */
export const BROWSERS = [
  {
    name: 'chromium',
    path: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    packages: ['chromium', 'fonts-dejavu-core', 'fonts-noto-color-emoji'],
  },
  {
    name: 'firefox-esr',
    path: process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr',
    packages: ['firefox-esr'],
  },
  {
    // Not a browser: Debian's Redis 7, which the multi-node tests start on a free loopback port
    // (test/integration/harness/redis.ts). Its system service is not ours: stop it and keep it off.
    name: 'redis-server',
    path: process.env.REDIS_SERVER_PATH ?? '/usr/bin/redis-server',
    packages: ['redis-server'],
    afterInstall: () =>
      spawnSync('systemctl', ['disable', '--now', 'redis-server'], { stdio: 'ignore' }),
  },
  {
    // Not a browser: an X server without a screen, for the one Firefox test that shares a screen
    // (headless Firefox has no screen to capture: getDisplayMedia gives NotFoundError). The test
    // starts its own on a free display (calltest/browsers/virtualDisplay.ts).
    name: 'Xvfb',
    path: process.env.XVFB_PATH ?? '/usr/bin/Xvfb',
    packages: ['xvfb'],
    versionless: true, // Xvfb has no --version
  },
  {
    name: 'turnserver',
    path: process.env.TURNSERVER_PATH ?? '/usr/bin/turnserver',
    packages: ['coturn'],
    // Debian's package may enable and start a system-wide coturn on port 3478; the tests start
    // their own, so stop that one and keep it off (best effort: there may be no systemd).
    afterInstall: () => spawnSync('systemctl', ['disable', '--now', 'coturn'], { stdio: 'ignore' }),
  },
];

/** The version line a browser prints, or an explanation. */
function version(binary) {
  try {
    // Debian's chromium wrapper script prints shell noise on stderr; keep stdout only.
    return execFileSync(binary, ['--version'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch (err) {
    return `(no version: ${err instanceof Error ? err.message : String(err)})`;
  }
}

/**
 * Makes sure every browser binary exists. `log(line)` reports progress; `fail(step, detail)`
 * stops the set-up (it does not return).
 */
export function ensureBrowsers({ log, fail }) {
  const missing = BROWSERS.filter((b) => !fs.existsSync(b.path));
  if (missing.length > 0) {
    const packages = missing.flatMap((b) => b.packages);
    const line = `sudo apt-get install -y ${packages.join(' ')}`;
    if (process.getuid?.() !== 0) {
      fail('browsers', `${missing.map((b) => b.path).join(', ')} missing; run: ${line}`);
    }
    for (const argv of [
      ['update', '-q'],
      ['install', '-y', '-q', ...packages],
    ]) {
      log(`browsers: apt-get ${argv.join(' ')}`);
      const res = spawnSync('apt-get', argv, {
        stdio: 'inherit',
        env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      });
      if (res.status !== 0) fail('browsers', `apt-get exited with ${res.status ?? res.signal}`);
    }
    for (const b of missing) {
      if (!fs.existsSync(b.path)) fail('browsers', `${b.path} is still missing after apt-get`);
      b.afterInstall?.();
    }
  }
  for (const b of BROWSERS) log(`${b.name}: ${b.versionless ? b.path : version(b.path)}`);
}
