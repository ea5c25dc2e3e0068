/**
 * `blindcall-calltest <url>`: an automated call test with fake media against a deployment.
 * Parses the options, runs the engine (engine/CallTest.ts) with a progress line on stderr,
 * prints the report (a table, or JSON) and writes the JSON and JUnit files asked for.
 *
 * Exit status: 0 every check passed, 1 a check failed (the reasons are printed), 2 the run was
 * refused or could not start (bad options, too much load for someone else's host), 130 Ctrl-C.
 * Every browser the run started is closed in each case.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { CallTestRefused, DEFAULTS, runCallTest, type CallTestOptions } from './engine/CallTest.js';
import { parseTarget, redactLink, TargetError } from './link.js';
import { MAX_DELAY_MS, MAX_LOSS_PERCENT } from './network/ImpairedLink.js';
import { renderJunit, renderTable } from './report/render.js';

const USAGE = `usage: blindcall-calltest <url> [options]

  <url>                     a deployment's base URL (a new room is made) or an invite link

  --browsers N              Chromium participants (default ${DEFAULTS.browsers})
  --firefox N               Firefox ESR participants, where installed (default ${DEFAULTS.firefox})
  --synthetic N             synthetic participants: Node, real WebRTC (werift), the same
                            signalling and MLS keys, marked frames checked after decryption
                            (default ${DEFAULTS.synthetic})
  --synthetic-video-kbps K  each synthetic participant's video bitrate, 0 for none
                            (default ${DEFAULTS.syntheticVideoKbps})
  --synthetic-receive M     what each synthetic participant consumes: all, audio or none
                            (default ${DEFAULTS.syntheticReceive})
  --duration S              seconds measured once everyone is in the call (default ${DEFAULTS.durationS})
  --churn N                 joins and leaves per minute by an extra participant (default 0)
  --toggle-camera           the first participant turns its camera off and on again
  --screen-share            the first participant shares its screen
  --loss P                  drop P % of each browser participant's media packets, each way
                            (0–${MAX_LOSS_PERCENT}; synthetic participants are not impaired)
  --delay MS                delay each browser participant's media packets by MS, each way
                            (0–${MAX_DELAY_MS})
  --format table|json       what goes to stdout (default table)
  --json FILE               also write the JSON report to FILE
  --junit FILE              also write a JUnit XML report to FILE
  --max-load N              participants at once allowed against a host that is not loopback
                            (default ${DEFAULTS.maxLoad})
  --i-own-this-deployment   lift --max-load: the deployment is yours to load
  --undecryptable-ms MS     longest time a receiver may get frames it cannot decrypt
                            (default ${DEFAULTS.undecryptableBoundMs})
  -h, --help`;

function count(name: string, raw: string | undefined, def: number, min = 0): number {
  if (raw === undefined) return def;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min)
    throw new CallTestRefused(`--${name} needs a whole number ≥ ${min}`);
  return n;
}

export function parseOptions(argv: readonly string[]): {
  options: Omit<CallTestOptions, 'onProgress' | 'signal'>;
  format: 'table' | 'json';
  json: string | null;
  junit: string | null;
} | null {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      browsers: { type: 'string' },
      firefox: { type: 'string' },
      synthetic: { type: 'string' },
      'synthetic-video-kbps': { type: 'string' },
      'synthetic-receive': { type: 'string' },
      duration: { type: 'string' },
      churn: { type: 'string' },
      'toggle-camera': { type: 'boolean' },
      'screen-share': { type: 'boolean' },
      loss: { type: 'string' },
      delay: { type: 'string' },
      format: { type: 'string' },
      json: { type: 'string' },
      junit: { type: 'string' },
      'max-load': { type: 'string' },
      'i-own-this-deployment': { type: 'boolean' },
      'undecryptable-ms': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return null;
  if (positionals.length !== 1) throw new CallTestRefused('give exactly one URL');
  const receive = values['synthetic-receive'] ?? DEFAULTS.syntheticReceive;
  if (receive !== 'all' && receive !== 'audio' && receive !== 'none')
    throw new CallTestRefused('--synthetic-receive is all, audio or none');
  const format = values.format ?? 'table';
  if (format !== 'table' && format !== 'json')
    throw new CallTestRefused('--format is table or json');
  return {
    options: {
      target: parseTarget(positionals[0]!),
      browsers: count('browsers', values.browsers, DEFAULTS.browsers),
      firefox: count('firefox', values.firefox, DEFAULTS.firefox),
      synthetic: count('synthetic', values.synthetic, DEFAULTS.synthetic),
      syntheticVideoKbps: count(
        'synthetic-video-kbps',
        values['synthetic-video-kbps'],
        DEFAULTS.syntheticVideoKbps,
      ),
      syntheticReceive: receive,
      durationS: count('duration', values.duration, DEFAULTS.durationS, 5),
      churnPerMinute: count('churn', values.churn, DEFAULTS.churnPerMinute),
      toggleCamera: values['toggle-camera'] ?? false,
      screenShare: values['screen-share'] ?? false,
      impairment: {
        lossPercent: count('loss', values.loss, 0),
        delayMs: count('delay', values.delay, 0),
      },
      maxLoad: count('max-load', values['max-load'], DEFAULTS.maxLoad, 1),
      iOwnThisDeployment: values['i-own-this-deployment'] ?? false,
      undecryptableBoundMs: count(
        'undecryptable-ms',
        values['undecryptable-ms'],
        DEFAULTS.undecryptableBoundMs,
      ),
      joinTimeoutMs: DEFAULTS.joinTimeoutMs,
    },
    format,
    json: values.json ?? null,
    junit: values.junit ?? null,
  };
}

export async function main(argv: readonly string[]): Promise<number> {
  let parsed: ReturnType<typeof parseOptions>;
  try {
    parsed = parseOptions(argv);
  } catch (err) {
    const known =
      err instanceof CallTestRefused || err instanceof TargetError || err instanceof TypeError;
    process.stderr.write(
      `blindcall-calltest: ${known ? (err as Error).message : String(err)}\n\n${USAGE}\n`,
    );
    return 2;
  }
  if (parsed === null) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const abort = new AbortController();
  let interrupted = false;
  const onSignal = (): void => {
    if (interrupted) return;
    interrupted = true;
    process.stderr.write('\nblindcall-calltest: interrupted; closing the browsers…\n');
    abort.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const tty = process.stderr.isTTY;
  let lastLine = 0;
  const onProgress = (line: string): void => {
    // On a terminal one line that updates in place; in a log, a line every 5 s at most.
    if (tty) process.stderr.write(`\r\u001b[2K${redactLink(line)}`);
    else if (!line.startsWith('[') || Date.now() - lastLine >= 5000) {
      lastLine = Date.now();
      process.stderr.write(`${redactLink(line)}\n`);
    }
  };
  try {
    const report = await runCallTest({ ...parsed.options, onProgress, signal: abort.signal });
    if (tty) process.stderr.write('\n');
    const json = `${JSON.stringify(report, null, 2)}\n`;
    if (parsed.json) writeFileSync(parsed.json, json);
    if (parsed.junit) writeFileSync(parsed.junit, renderJunit(report));
    process.stdout.write(parsed.format === 'json' ? json : `${renderTable(report)}\n`);
    if (report.result === 'fail')
      process.stderr.write(
        `blindcall-calltest: FAILED: ${report.reasons[0] ?? 'a check failed'}\n`,
      );
    return report.result === 'pass' ? 0 : 1;
  } catch (err) {
    if (tty) process.stderr.write('\n');
    if (interrupted) return 130;
    const refused = err instanceof CallTestRefused;
    process.stderr.write(
      `blindcall-calltest: ${refused ? 'refused' : 'could not run'}: ${redactLink(err instanceof Error ? err.message : String(err))}\n`,
    );
    return 2;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
