// Proves the installed worker works through mediasoup's own API: start a
// worker, create a Router and a WebRtcTransport, close everything. Runs in a
// child process so a crashing worker cannot take ensure-worker down with it, and on the Node the
// project runs on (scripts/node: 24 or newer), which mediasoup 3.27 needs even where set-up itself
// runs on an older Node.

import { spawn } from 'node:child_process';
import path from 'node:path';

const TIMEOUT_MS = 60_000;

// MEDIASOUP_WORKER_BIN is removed from the child's env (see below), so mediasoup
// resolves worker/out/Release/mediasoup-worker: the binary just installed.
const SCRIPT = `
const mediasoup = await import('mediasoup');
const worker = await mediasoup.createWorker({ logLevel: 'warn' });
let died = false;
worker.on('died', (error) => { died = true; console.error('worker died:', error); });
try {
  const router = await worker.createRouter({
    mediaCodecs: [
      { kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2 },
      { kind: 'video', mimeType: 'video/VP8', clockRate: 90000 },
    ],
  });
  const transport = await router.createWebRtcTransport({
    listenInfos: [{ protocol: 'udp', ip: '127.0.0.1' }],
  });
  if (transport.iceCandidates.length === 0) throw new Error('WebRtcTransport has no ICE candidates');
  if (transport.dtlsParameters.fingerprints.length === 0) throw new Error('no DTLS fingerprints');
  const dump = await worker.dump();
  console.log(JSON.stringify({ pid: worker.pid, routers: dump.routerIds.length, transport: transport.id }));
  transport.close();
  router.close();
} finally {
  worker.close();
}
if (died) process.exit(1);
`;

/**
 * @param {{ projectRoot: string }} options
 * @returns {Promise<string>} the check's one-line summary
 */
export function smokeCheck({ projectRoot }) {
  const env = { ...process.env };
  delete env.MEDIASOUP_WORKER_BIN;
  return new Promise((resolve, reject) => {
    const node = path.join(projectRoot, 'scripts', 'node');
    const child = spawn(node, ['--input-type=module', '--eval', SCRIPT], {
      cwd: projectRoot,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: TIMEOUT_MS,
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk) => (output += chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) {
        resolve(output.trim().split('\n').pop() ?? '');
      } else {
        const how = signal
          ? `killed by ${signal} (timeout ${TIMEOUT_MS / 1000}s?)`
          : `exit code ${code}`;
        reject(
          new Error(
            `createWorker/createRouter/createWebRtcTransport check failed (${how}):\n    ${output.trim().replace(/\n/g, '\n    ')}`,
          ),
        );
      }
    });
  });
}
