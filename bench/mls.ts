/**
 * MLS group-key costs (ts-mls through shared/mls, envelopes included) for one leave and one join in
 * rooms of 10, 50, 100, 200 and 500 members.
 *
 * `--build batch` (default) makes the room with one commit that adds every member (a Welcome
 * each), so the ratchet tree has mostly blank parent nodes: the worst case for commit size and
 * path encryption. `--build joins` makes it as a call does, one external commit per member, which
 * fills the tree's parent nodes (slower to set up: use it up to ~100 members). Only the
 * committer and `--sample` other members are simulated; every other leaf exists in the tree but
 * its client is not run, so the per-member processing cost is the median over the sample. Members
 * process a commit in parallel on their own devices, so "all on new epoch" is the committer's time
 * plus the slowest sampled member (relay latency not included).
 *
 * Targets at 100 members: processing <= 60 ms per member, committer <= 100 ms, relayed deliveries
 * <= n per change, and a 500-member room works. Calls join by external commit (the targets line
 * reads those rows); the "join (Welcome)" row measures the alternative for comparison.
 *
 *   npx tsx bench/mls.ts [--rooms 10,50,100,200,500] [--sample 6] [--provider noble|default]
 *                        [--suite x25519|xwing] [--build batch|joins]
 */
import { randomBytes } from '@noble/hashes/utils.js';
import {
  DEFAULT_SUITE,
  deriveEnvelopeKeys,
  GroupMember,
  WelcomeJoiner,
  XWING_SUITE,
  type MemberConfig,
  type SuiteChoice,
} from '../shared/mls/index.js';
import { InMemorySequencer } from '../sfu/mls/InMemorySequencer.js';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : def;
}

async function cpu<T>(f: () => Promise<T>): Promise<[T, number]> {
  const c0 = process.cpuUsage();
  const out = await f();
  const c = process.cpuUsage(c0);
  return [out, (c.user + c.system) / 1000];
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

interface Row {
  n: number;
  change: string;
  committerMs: number;
  processMs: number;
  processMaxMs: number;
  /** The newcomer's own CPU when it is not the committer (opening a Welcome). */
  newcomerMs?: number;
  bytes: number;
  messages: number;
  allOnEpochMs: number;
}

type Build = 'batch' | 'joins';

async function room(n: number, sample: number, suite: SuiteChoice, build: Build): Promise<Row[]> {
  const roomId = `bench-${n}`;
  const secret = randomBytes(32);
  const cfg = (i: number): MemberConfig => ({
    roomId,
    roomSecret: secret,
    identity: new TextEncoder().encode(`member-${i}`),
    suite,
  });
  const seq = new InMemorySequencer(4 * 1024 * 1024);
  const creator = await GroupMember.create(cfg(0), randomBytes(16));
  await seq.createGroup(roomId, {
    roomPublicKey: deriveEnvelopeKeys(secret, roomId).publicKey,
    groupInfo: await creator.groupInfo(),
  });
  const others: GroupMember[] = [];
  if (build === 'joins') {
    // Every member joins by external commit, as in a call: each sets its whole direct path.
    for (let i = 1; i < n; i++) {
      const gi = (await seq.groupInfo(roomId))!;
      const j = await GroupMember.joinExternal(cfg(i), gi.groupInfo);
      if (!(await seq.submitCommit(roomId, j.commit)).ok) throw new Error('join refused');
      j.member.confirm();
      for (const m of [creator, ...others]) await m.process(j.commit.commit);
      if (others.length < sample) others.push(j.member);
    }
  } else {
    const joiners: WelcomeJoiner[] = [];
    for (let i = 1; i < n; i++) joiners.push(await WelcomeJoiner.create(cfg(i)));
    const add = await creator.commit({ add: joiners.map((j) => j.keyPackage) });
    if (!(await seq.submitCommit(roomId, add)).ok) throw new Error('bulk add refused');
    creator.confirm();
    for (const j of joiners.slice(0, sample)) others.push(await j.join(add.welcome!));
  }

  async function processAll(commit: Uint8Array, members: GroupMember[]): Promise<number[]> {
    const times: number[] = [];
    for (const m of members) {
      const [out, ms] = await cpu(() => m.process(commit));
      if (out.kind !== 'advanced') throw new Error(`unexpected ${out.kind}`);
      times.push(ms);
    }
    return times;
  }

  // Leave: the last member (not simulated) goes; the creator commits its removal.
  const [leave, leaveMs] = await cpu(() => creator.commit({ remove: [n - 1] }));
  if (!(await seq.submitCommit(roomId, leave)).ok) throw new Error('leave refused');
  creator.confirm();
  const leaveProc = await processAll(leave.commit, others);
  const rows: Row[] = [
    {
      n,
      change: 'leave',
      committerMs: leaveMs,
      processMs: median(leaveProc),
      processMaxMs: Math.max(...leaveProc),
      // commit + GroupInfo to the server, commit to every remaining other member
      bytes: leave.commit.length * (n - 2) + leave.commit.length + leave.groupInfo.length,
      messages: 1 + (n - 2),
      allOnEpochMs: leaveMs + Math.max(...leaveProc),
    },
  ];

  // Join: a newcomer fetches the sealed GroupInfo and joins by external commit.
  const gi = (await seq.groupInfo(roomId))!;
  const [joined, joinMs] = await cpu(() => GroupMember.joinExternal(cfg(n), gi.groupInfo));
  if (!(await seq.submitCommit(roomId, joined.commit)).ok) throw new Error('join refused');
  const joinProc = await processAll(joined.commit.commit, [creator, ...others]);
  const members = n; // n - 1 after the leave, plus the newcomer
  rows.push({
    n,
    change: 'join',
    committerMs: joinMs,
    processMs: median(joinProc),
    processMaxMs: Math.max(...joinProc),
    bytes:
      gi.groupInfo.length +
      joined.commit.commit.length +
      joined.commit.groupInfo.length +
      joined.commit.commit.length * (members - 1),
    messages: 1 + 1 + (members - 1),
    allOnEpochMs: joinMs + Math.max(...joinProc),
  });

  // Join by Welcome, the other way RFC 9420 offers: the newcomer's sealed KeyPackage reaches the
  // members, the designated committer commits the Add, and the Welcome goes to the newcomer. The
  // committer is then a member, not the newcomer; the newcomer's cost is opening the Welcome.
  joined.member.confirm();
  const joiner = await WelcomeJoiner.create(cfg(n + 1));
  const [add, addMs] = await cpu(() => creator.commit({ add: [joiner.keyPackage] }));
  if (!(await seq.submitCommit(roomId, add)).ok) throw new Error('add refused');
  creator.confirm();
  const addProc = await processAll(add.commit, [joined.member, ...others]);
  const [, welcomeMs] = await cpu(() => joiner.join(add.welcome!));
  const size = n + 1; // members before the Add
  rows.push({
    n,
    change: 'join (Welcome)',
    committerMs: addMs,
    processMs: median(addProc),
    processMaxMs: Math.max(...addProc),
    newcomerMs: welcomeMs,
    // the KeyPackage to every member, commit + GroupInfo to the server, the commit to every other
    // member, the Welcome to the newcomer
    bytes:
      joiner.keyPackage.length * size +
      add.commit.length +
      add.groupInfo.length +
      add.commit.length * (size - 1) +
      add.welcome!.length,
    messages: size + 1 + (size - 1) + 1,
    allOnEpochMs: addMs + Math.max(Math.max(...addProc), welcomeMs),
  });
  return rows;
}

export async function main(): Promise<void> {
  const rooms = arg('rooms', '10,50,100,200,500').split(',').map(Number);
  const sample = Number(arg('sample', '6'));
  const provider = arg('provider', 'noble') === 'default' ? 'default' : 'noble';
  const suite = arg('suite', 'x25519') === 'xwing' ? XWING_SUITE : DEFAULT_SUITE;
  console.log(`suite ${suite}, provider ${provider}, ${sample} sampled members, CPU ms`);
  const build: Build = arg('build', 'batch') === 'joins' ? 'joins' : 'batch';
  console.log(
    `room built by ${build === 'joins' ? 'one external join per member' : 'one batch Add'}`,
  );
  await room(10, 4, { suite, provider }, build); // warm-up: JIT and the suite's first use, not reported
  const rows: Row[] = [];
  for (const n of rooms) {
    const r = await room(n, Math.min(sample, n - 2), { suite, provider }, build);
    rows.push(...r);
    console.table(
      r.map((x) => ({
        members: x.n,
        change: x.change,
        'committer ms': x.committerMs.toFixed(0),
        'process ms/member (median)': x.processMs.toFixed(1),
        'process ms (max)': x.processMaxMs.toFixed(1),
        'newcomer ms': x.newcomerMs?.toFixed(0) ?? '(committer)',
        'bytes relayed': x.bytes,
        'messages relayed': x.messages,
        'all on new epoch ms': x.allOnEpochMs.toFixed(0),
      })),
    );
  }
  const at100 = rows.filter((r) => r.n === 100 && r.change !== 'join (Welcome)');
  if (at100.length > 0) {
    const proc = Math.max(...at100.map((r) => r.processMs));
    const commit = Math.max(...at100.map((r) => r.committerMs));
    const msgs = Math.max(...at100.map((r) => r.messages));
    console.log(
      `targets at 100: processing ${proc.toFixed(1)} / 60 ms (${proc <= 60 ? 'holds' : 'MISSED'}), ` +
        `committer ${commit.toFixed(0)} / 100 ms (${commit <= 100 ? 'holds' : 'MISSED'}), ` +
        `deliveries ${msgs} / ${100 + 1} (n + 1 incl. the server; ${msgs <= 101 ? 'holds' : 'MISSED'})`,
    );
  }
  if (rows.some((r) => r.n === 500)) console.log('500 members: works (leave and join completed)');
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
