/**
 * An X server without a screen (Debian's Xvfb) for a browser that must run headful: headless
 * Firefox has no screen, so its getDisplayMedia() fails with NotFoundError, while a headful Firefox
 * on Xvfb captures the virtual monitor. Xvfb picks a free display number itself (`-displayfd`),
 * listens on no TCP port, and is killed on close().
 */
import { spawn } from 'node:child_process';

export const XVFB_PATH = process.env.XVFB_PATH ?? '/usr/bin/Xvfb';

export interface VirtualDisplay {
  /** The DISPLAY value, e.g. ":99". */
  readonly display: string;
  close(): Promise<void>;
}

export async function startVirtualDisplay(
  size = { width: 1280, height: 800 },
  timeoutMs = 10_000,
): Promise<VirtualDisplay> {
  const child = spawn(
    XVFB_PATH,
    ['-displayfd', '3', '-screen', '0', `${size.width}x${size.height}x24`, '-nolisten', 'tcp'],
    { stdio: ['ignore', 'ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  const display = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`Xvfb did not start within ${timeoutMs} ms: ${stderr}`));
    }, timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`Xvfb could not start (${XVFB_PATH}): ${err.message}`));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Xvfb exited with ${code}: ${stderr}`));
    });
    (child.stdio[3] as NodeJS.ReadableStream).on('data', (d: Buffer) => {
      out += d.toString();
      const m = /^(\d+)\n/.exec(out);
      if (m) {
        clearTimeout(timer);
        child.removeAllListeners('exit');
        resolve(`:${m[1]}`);
      }
    });
  });
  return {
    display,
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
