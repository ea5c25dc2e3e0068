#!/usr/bin/env node
// Development: the SFU from source (tsx watch, port 3000) and Vite's dev server (port 5173),
// which proxies /socket.io to the SFU. Ctrl+C stops both; if either exits, the other is stopped.
// Plain Node builtins only.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const sfuPort = process.env.PORT ?? '3000';

const children = [
  run('sfu', 'npx', ['tsx', 'watch', 'sfu/main.ts'], { PORT: sfuPort }),
  run('web', 'npx', ['vite', '--config', 'web/vite.config.ts'], {
    SFU_URL: `http://127.0.0.1:${sfuPort}`,
  }),
];

let stopping = false;

function run(name, command, args, env) {
  const child = spawn(command, args, {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: 'inherit',
  });
  child.on('exit', (code, signal) => {
    if (!stopping) {
      process.stderr.write(`[dev] ${name} exited (${signal ?? code}); stopping the rest\n`);
      stop('SIGTERM', code ?? 1);
    }
  });
  return child;
}

function stop(signal, exitCode = 0) {
  if (stopping) return;
  stopping = true;
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  }
  const force = setTimeout(() => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    process.exit(exitCode);
  }, 5000);
  force.unref();
  Promise.all(
    children.map((c) => (c.exitCode !== null ? null : new Promise((r) => c.once('exit', r)))),
  ).then(() => process.exit(exitCode));
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => stop(signal));
}

process.stdout.write('[dev] web: http://127.0.0.1:5173  (SFU on port ' + sfuPort + ')\n');
