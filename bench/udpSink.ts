// A UDP sink for the forwarding benchmarks: the SFU sends to it and nothing in Node reads it, so
// the measured CPU is the worker's, not a receiver's.
import { spawn, type ChildProcess } from 'node:child_process';

/** A UDP port that accepts and never reads: the kernel drops what overflows its buffer. */
export async function blackHole(): Promise<{ port: number; proc: ChildProcess }> {
  const proc = spawn('python3', [
    '-c',
    'import socket,time\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\ns.bind(("127.0.0.1",0))\nprint(s.getsockname()[1],flush=True)\ntime.sleep(3600)',
  ]);
  const port = await new Promise<number>((resolve, reject) => {
    proc.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
    proc.once('error', reject);
  });
  return { port, proc };
}
