/**
 * `npm run bench`: runs every benchmark and prints its table. Pass names to run some:
 *   npm run bench -- forwarding mls
 * Benchmarks print measured numbers and targets as ratios; they assert nothing.
 */
const all: Record<string, () => Promise<unknown>> = {
  forwarding: async () => (await import('./forwarding.js')).main(),
  pipes: async () => (await import('./pipes.js')).main(),
  calls: async () => (await import('./calls.js')).main(),
  mls: async () => (await import('./mls.js')).main(),
  browsers: async () => (await import('./browsers.js')).main(),
};

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('--'));
for (const name of wanted.length ? wanted : Object.keys(all)) {
  const run = all[name];
  if (!run) {
    console.error(`unknown benchmark "${name}"; known: ${Object.keys(all).join(', ')}`);
    process.exit(2);
  }
  console.log(`\n=== ${name} ===`);
  await run();
}
