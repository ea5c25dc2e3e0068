/**
 * The report for people (a terminal table) and for CI systems that read JUnit XML (one test
 * case per check, grouped by participant).
 */
import type { CallTestReport } from './Report.js';

function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r, j) => {
      const line = r.map((c, i) => c.padEnd(widths[i]!)).join('  ');
      return j === 0 ? `${line}\n${widths.map((w) => '-'.repeat(w)).join('  ')}` : line;
    })
    .join('\n');
}

const ms = (v: number | null): string => (v === null ? '-' : `${v}`);

/**
 * Picture, frames, tone and beeps of one pair. A pair with a synthetic end has no picture or
 * tone: its frames (audio/video where counted, recent) and marks (right/all) show instead.
 */
function pairCells(x: CallTestReport['participants'][number]['received'][number]): string[] {
  if (x.picture && x.sound)
    return [
      `${x.picture.ok ? 'ok' : 'FAIL'} ${x.picture.seen ?? 'none'}`,
      `${x.picture.distinctFrames}`,
      `${x.sound.ok ? 'ok' : 'FAIL'} ${x.sound.heardHz ?? '-'}/${x.sound.expectedHz}`,
      `${x.sound.beeps}`,
    ];
  const f = x.frames;
  if (!f) return ['-', '-', '-', '-'];
  const perSource = f.audio === null ? `${x.framesDecrypted}` : `${f.audio}/${f.video}`;
  const marks = f.marks ? `marks ${f.marks.marked - f.marks.bad}/${f.marks.marked}` : 'no marks';
  return [`${f.ok ? 'ok' : 'FAIL'} synthetic`, `${perSource} (${f.recent} recent)`, marks, '-'];
}

export function renderTable(r: CallTestReport): string {
  const people = table([
    [
      'participant',
      'kind',
      'peer',
      'join ms',
      '1st frame ms',
      'code',
      'E2EE',
      'in kbit/s a/v',
      'out kbit/s a/v',
      'loss',
      'jitter ms',
      'rtt ms',
      'reconn.',
      'decrypt failures',
    ],
    ...r.participants.map((p) => [
      p.name,
      p.kind,
      p.peerId ?? '-',
      ms(p.joinMs),
      ms(p.firstFrameMs),
      p.securityCode ?? '-',
      p.joined ? (p.transformsAttached ? `${p.transformMode ?? '?'} ok` : 'NOT ATTACHED') : '-',
      `${p.stats.inKbps.audio}/${p.stats.inKbps.video}`,
      `${p.stats.outKbps.audio}/${p.stats.outKbps.video}`,
      `${(p.stats.lossFraction * 100).toFixed(1)}%`,
      `${p.stats.jitterMs}`,
      ms(p.stats.rttMs),
      `${p.reconnects}`,
      p.decryptFailures.total === 0
        ? '0'
        : `${p.decryptFailures.total} (${Object.entries(p.decryptFailures.byReason)
            .map(([k, v]) => `${k} ${v}`)
            .join(', ')})`,
    ]),
  ]);
  const streams = table([
    [
      'receiver ← sender',
      'picture',
      'frames',
      'tone Hz',
      'beeps',
      'freezes >0.5s/>1s',
      'longest ms',
      'layers (heights)',
      'undecryptable ms',
    ],
    ...r.participants.flatMap((p) =>
      p.received.map((x) => [
        `${p.name} ← ${x.from}`,
        ...pairCells(x),
        `${x.freezes.over500ms}/${x.freezes.over1s}`,
        `${x.freezes.longestMs}`,
        `${x.layers.join(',') || '-'} (${x.heights.join(',') || '-'})`,
        `${x.undecryptableMs}`,
      ]),
    ),
  ]);
  const t = r.totals;
  const head =
    `blindcall-calltest ${r.result === 'pass' ? 'PASS' : 'FAIL'} · ${r.target.room}` +
    ` (${r.target.createdRoom ? 'room created by the run' : 'invite link'}) · measured ${Math.round(r.measuredMs / 1000)} s` +
    (r.options.lossPercent > 0 || r.options.delayMs > 0
      ? ` · browser media impaired: ${r.options.lossPercent}% loss, +${r.options.delayMs} ms, each way`
      : '');
  const summary =
    `joined ${t.joined}/${t.participants} · max join ${ms(t.maxJoinMs)} ms · max first frame ${ms(t.maxFirstFrameMs)} ms` +
    ` · streams ok ${t.streamsOk}/${t.streamsExpected} · freezes >0.5s ${t.freezesOver500ms}, >1s ${t.freezesOver1s}` +
    ` · decrypt failures ${t.decryptFailures} · reconnects ${t.reconnects} · security codes ${t.distinctSecurityCodes}` +
    (r.churn.joins + r.churn.failedJoins > 0
      ? ` · churn ${r.churn.joins} joins, ${r.churn.leaves} leaves, ${r.churn.failedJoins} failed`
      : '') +
    ` · tool ${r.tool.wallMs} ms wall, ${r.tool.cpuMs} ms CPU`;
  const links = r.participants.flatMap((p) => (p.impairedLink ? [p.impairedLink] : []));
  const relayed = links.reduce((n, l) => n + l.up.relayed + l.down.relayed, 0);
  const dropped = links.reduce((n, l) => n + l.up.dropped + l.down.dropped, 0);
  const impaired = links.length
    ? [
        `impaired links: ${links.length} · media packets relayed ${relayed}, dropped ${dropped}` +
          ` (${((dropped / Math.max(1, relayed + dropped)) * 100).toFixed(1)}%)`,
      ]
    : [];
  const unknown = r.unknownPeers.map(
    (u) =>
      `unknown peer ${u.peerId}: ${u.admitted ? 'admitted' : 'NOT admitted'} (seen by ${u.seenBy.join(', ')})`,
  );
  const reasons = r.reasons.length ? ['', 'failed checks:', ...r.reasons.map((x) => `  ${x}`)] : [];
  return [head, '', people, '', streams, '', summary, ...impaired, ...unknown, ...reasons].join(
    '\n',
  );
}

const xml = (s: string): string =>
  s
    .replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`)
    .replace(/\p{Cc}/gu, (c) => (c === '\n' || c === '\t' ? c : ''));

export function renderJunit(r: CallTestReport): string {
  const groups = new Map<string, typeof r.checks>();
  for (const c of r.checks) {
    const key = c.participant ?? 'call';
    groups.set(key, [...(groups.get(key) ?? []), c]);
  }
  const suites = [...groups].map(([name, checks]) => {
    const failures = checks.filter((c) => !c.ok).length;
    const cases = checks.map((c) => {
      const open = `    <testcase classname="blindcall-calltest.${xml(name)}" name="${xml(`${c.check}: ${c.message}`)}">`;
      return c.ok
        ? `${open}</testcase>`
        : `${open}\n      <failure type="${c.check}" message="${xml(c.message)}"/>\n    </testcase>`;
    });
    return `  <testsuite name="${xml(name)}" tests="${checks.length}" failures="${failures}">\n${cases.join('\n')}\n  </testsuite>`;
  });
  const failures = r.checks.filter((c) => !c.ok).length;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="blindcall-calltest" tests="${r.checks.length}" failures="${failures}" time="${(r.tool.wallMs / 1000).toFixed(1)}">\n${suites.join('\n')}\n</testsuites>\n`;
}
