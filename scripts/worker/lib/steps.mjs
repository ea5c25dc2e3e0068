// Named, timed steps and logged child processes for ensure-worker.
//
// Every failure surfaces as one WorkerSetupError naming the step that failed
// and, when commands ran, the log file holding their full output.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const TAIL_LINES = 25;

export class WorkerSetupError extends Error {
  /**
   * @param {string} step
   * @param {string} detail
   * @param {string | undefined} logPath
   */
  constructor(step, detail, logPath) {
    super(
      `mediasoup-worker build failed at step "${step}": ${detail.trim()}` +
        (logPath ? `${detail.includes('\n') ? '\n' : ' '}(log: ${logPath})` : ''),
    );
    this.name = 'WorkerSetupError';
    this.step = step;
    this.logPath = logPath;
  }
}

export class StepRunner {
  /**
   * @param {(line: string) => void} log
   * @param {string} logDir where the command log file goes (created on first use)
   * @param {string} logName file name prefix of the command log
   */
  constructor(log, logDir, logName) {
    this.log = log;
    this.startedAt = Date.now();
    this.logPath = path.join(
      logDir,
      `${logName}-${new Date().toISOString().replace(/[:.]/g, '-')}.log`,
    );
    /** @type {number | undefined} */
    this.logFd = undefined;
  }

  elapsed(since = this.startedAt) {
    return `${((Date.now() - since) / 1000).toFixed(1)}s`;
  }

  /** Logs a progress line with the time since ensure-worker started. */
  info(message) {
    this.log(`[mediasoup-worker +${this.elapsed()}] ${message}`);
  }

  /**
   * Runs fn as a named step: logs start and end with durations; turns any error
   * into a WorkerSetupError for this step.
   * @template T
   * @param {string} name
   * @param {() => Promise<T> | T} fn
   * @returns {Promise<T>}
   */
  async step(name, fn) {
    const stepStart = Date.now();
    this.info(`${name} ...`);
    try {
      const result = await fn();
      this.info(`${name} done in ${this.elapsed(stepStart)}`);
      return result;
    } catch (error) {
      if (error instanceof WorkerSetupError) throw error;
      const detail = error instanceof Error ? error.message : String(error);
      if (this.logFd === undefined) throw new WorkerSetupError(name, detail, undefined);
      this.appendLog(`\n*** step "${name}" failed: ${detail}\n`);
      throw new WorkerSetupError(name, detail, this.logPath);
    }
  }

  /** Appends text to the command log, creating it on first use. */
  appendLog(text) {
    if (this.logFd === undefined) {
      fs.mkdirSync(path.dirname(this.logPath), { recursive: true });
      this.logFd = fs.openSync(this.logPath, 'a');
    }
    fs.writeSync(this.logFd, text);
  }

  close() {
    if (this.logFd !== undefined) {
      fs.closeSync(this.logFd);
      this.logFd = undefined;
    }
  }

  /**
   * Runs a command, sending its output to the log file. Rejects with an
   * Error carrying the output's last lines if it exits non-zero.
   * @param {string} command
   * @param {string[]} args
   * @param {{ cwd?: string, env?: NodeJS.ProcessEnv, lowPriority?: boolean,
   *   onLine?: (line: string) => void }} [options]
   *   lowPriority: renice the child (and the compilers it forks) so a long build
   *   leaves the machine usable; onLine: called for every stdout line.
   */
  run(command, args, options = {}) {
    const display = [command, ...args].join(' ');
    this.appendLog(`\n$ ${display}${options.cwd ? `   (in ${options.cwd})` : ''}\n`);
    /** @type {string[]} */
    const tail = [];
    const remember = (line) => {
      tail.push(line);
      if (tail.length > TAIL_LINES) tail.shift();
    };
    return new Promise((resolve, reject) => {
      const child = spawn(command, args, {
        cwd: options.cwd,
        env: options.env ?? process.env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      if (options.lowPriority && child.pid !== undefined) {
        try {
          os.setPriority(child.pid, 10);
        } catch {
          // Not fatal: the build only runs at normal priority.
        }
      }
      const appendLog = (/** @type {string} */ chunk) => this.appendLog(chunk);
      readLines(child.stdout, appendLog, (line) => {
        remember(line);
        options.onLine?.(line);
      });
      readLines(child.stderr, appendLog, remember);
      child.on('error', (error) => {
        reject(new Error(`cannot run ${command}: ${error.message}`));
      });
      child.on('close', (code, signal) => {
        if (code === 0) {
          resolve(undefined);
          return;
        }
        const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
        const shown = tail.filter((line) => line.trim() !== '').join('\n    ');
        reject(new Error(`\`${display}\` ${how}; last output:\n    ${shown}`));
      });
    });
  }
}

/**
 * Feeds every chunk of a child's output to onChunk and every complete line to onLine.
 * @param {import('node:stream').Readable} stream
 * @param {(chunk: string) => void} onChunk
 * @param {(line: string) => void} onLine
 */
function readLines(stream, onChunk, onLine) {
  let pending = '';
  stream.setEncoding('utf8');
  stream.on('data', (/** @type {string} */ chunk) => {
    onChunk(chunk);
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) onLine(line);
  });
  stream.on('end', () => {
    if (pending) onLine(pending);
  });
}
