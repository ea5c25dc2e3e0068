/**
 * CPU time of process trees from /proc (Linux): a Chromium browser with all its children
 * (zygote, renderers, GPU/utility processes), or the SFU's mediasoup worker.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

interface ProcInfo {
  readonly pid: number;
  readonly ppid: number;
  readonly comm: string;
  /** utime + stime, seconds. */
  readonly cpu: number;
}

function readProc(pid: number): ProcInfo | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm is in parentheses and may contain spaces; the fields after it are space-separated.
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    const f = stat.slice(close + 2).split(' ');
    // After comm: state(0) ppid(1) ... utime(11) stime(12)
    return {
      pid,
      ppid: Number(f[1]),
      comm,
      cpu: (Number(f[11]) + Number(f[12])) / TICKS_PER_SECOND,
    };
  } catch {
    return null; // exited meanwhile
  }
}

function allProcs(): ProcInfo[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map((d) => readProc(Number(d)))
    .filter((p): p is ProcInfo => p !== null);
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

/** Pids of `roots` and all their descendants. */
export function tree(roots: readonly number[]): number[] {
  const procs = allProcs();
  const out = new Set(roots);
  let grew = true;
  while (grew) {
    grew = false;
    for (const p of procs) {
      if (!out.has(p.pid) && out.has(p.ppid)) {
        out.add(p.pid);
        grew = true;
      }
    }
  }
  return [...out];
}

/** Main browser processes whose command line carries `marker` (a flag only we pass). */
export function browserRoots(marker: string): number[] {
  return allProcs()
    .filter((p) => {
      const cmd = cmdline(p.pid);
      return cmd.includes(marker) && !cmd.includes('--type=');
    })
    .map((p) => p.pid);
}

/** The mediasoup worker processes started by this Node process. */
export function mediasoupWorkers(): number[] {
  return tree([process.pid]).filter((pid) => readProc(pid)?.comm.startsWith('mediasoup-work'));
}

/** Total CPU seconds used so far by the trees under `roots` (live processes only). */
export function cpuSeconds(roots: readonly number[]): number {
  return tree(roots).reduce((n, pid) => n + (readProc(pid)?.cpu ?? 0), 0);
}
