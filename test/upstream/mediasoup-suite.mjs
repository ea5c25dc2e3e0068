#!/usr/bin/env node
// Runs mediasoup's own test suite against the worker binary this project built.
//
// The npm package ships mediasoup's compiled jest tests (node/lib/test/test-*.js) but not their
// fixtures folder, and jest never looks inside node_modules. So this copies the package's
// package.json and node/lib/ to a temporary folder, generates the DTLS certificate and key the
// Worker tests load (node/lib/test/data/, any self-signed pair), and runs jest there with
// MEDIASOUP_WORKER_BIN pointing at our binary. The test-only tools (jest, pick-port, werift-sctp)
// are this project's devDependencies, found through NODE_PATH.
//
//   scripts/node test/upstream/mediasoup-suite.mjs      (npm run test:mediasoup)

import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const MEDIASOUP = path.join(ROOT, 'node_modules', 'mediasoup');
const WORKER_BIN =
  process.env.MEDIASOUP_WORKER_BIN ??
  path.join(MEDIASOUP, 'worker', 'out', 'Release', 'mediasoup-worker');

const { version } = JSON.parse(fs.readFileSync(path.join(MEDIASOUP, 'package.json'), 'utf8'));
const work = fs.mkdtempSync(path.join(os.tmpdir(), `mediasoup-${version}-suite-`));
let status = 1;
try {
  const pkg = path.join(work, 'mediasoup');
  fs.mkdirSync(path.join(pkg, 'node'), { recursive: true });
  fs.copyFileSync(path.join(MEDIASOUP, 'package.json'), path.join(pkg, 'package.json'));
  fs.cpSync(path.join(MEDIASOUP, 'node', 'lib'), path.join(pkg, 'node', 'lib'), {
    recursive: true,
  });
  const data = path.join(pkg, 'node', 'lib', 'test', 'data');
  fs.mkdirSync(data, { recursive: true });
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=mediasoup-suite',
      '-keyout',
      path.join(data, 'dtls-key.pem'),
      '-out',
      path.join(data, 'dtls-cert.pem'),
    ],
    { stdio: 'ignore' },
  );
  const tests = fs
    .readdirSync(path.join(pkg, 'node', 'lib', 'test'))
    .filter((f) => /^test-.*\.js$/.test(f));
  process.stdout.write(
    `mediasoup ${version} test suite: ${tests.length} files, worker ${fs.realpathSync(WORKER_BIN)}\n`,
  );
  const run = spawnSync(
    process.execPath,
    [
      path.join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js'),
      '--rootDir',
      pkg,
      '--testMatch',
      '**/node/lib/test/test-*.js',
      '--runInBand',
      '--ci',
    ],
    {
      cwd: pkg,
      stdio: 'inherit',
      env: {
        ...process.env,
        MEDIASOUP_WORKER_BIN: WORKER_BIN,
        NODE_PATH: path.join(ROOT, 'node_modules'),
      },
    },
  );
  status = run.status ?? 1;
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
process.exit(status);
