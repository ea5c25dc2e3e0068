#!/usr/bin/env node
// Development: the SFU from source (tsx watch, port 3000) and Vite's dev server (port 5173),
// which proxies /socket.io to the SFU. Ctrl+C stops both; if either exits, the other is stopped.
// Each child runs in its own process group so stopping it also stops what it spawned (tsx watch
// restarts the server in a grandchild). Both run on the Node that runs this script (`npm run dev`
// starts it through scripts/node, so Node 24). Plain Node builtins only.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const sfuPort = process.env.PORT ?? '3000';
const bin = (name) => fileURLToPath(new URL(`../node_modules/.bin/${name}`, import.meta.url));

let stopping = false;
const children = [
  run('sfu', bin('tsx'), ['watch', 'sfu/main.ts'], { PORT: sfuPort }),
  run('web', bin('vite'), ['--config', 'web/vite.config.ts'], {
    SFU_URL: `http://127.0.0.1:${sfuPort}`,
  }),
];

function run(name, command, args, env) {
  const child = spawn(process.execPath, [command, ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: 'inherit',
    detached: true,
  });
  child.on('exit', (code, signal) => {
    if (!stopping) {
      process.stderr.write(`[dev] ${name} exited (${signal ?? code}); stopping the rest\n`);
      stop('SIGTERM', code ?? 1);
    }
  });
  return child;
}

function alive(child) {
  return child.exitCode === null && child.signalCode === null;
}

function signalGroup(child, signal) {
  try {
    process.kill(-child.pid, signal);
  } catch {
    // The group is already gone.
  }
}

function stop(signal, exitCode = 0) {
  if (stopping) return;
  stopping = true;
  for (const child of children) signalGroup(child, signal);
  const force = setTimeout(() => {
    for (const child of children) signalGroup(child, 'SIGKILL');
    process.exit(exitCode);
  }, 5000);
  force.unref();
  const exits = children
    .filter(alive)
    .map((c) => new Promise((resolve) => c.once('exit', resolve)));
  Promise.all(exits).then(() => process.exit(exitCode));
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => stop(signal));
}

process.stdout.write(`[dev] web: http://127.0.0.1:5173  (SFU on port ${sfuPort})\n`);
