/**
 * Entry point. It checks the Node version before it loads anything else: mediasoup 3.27 needs
 * Node 22 or newer, we run on 24 (LTS), and on an older Node the server would fail somewhere
 * inside a dependency with an error that does not say why. So this module has no static
 * imports, and the server (serve.ts) is only imported once the check passed.
 */
const MIN_NODE_MAJOR = 24;
/** Exit code for "wrong runtime", apart from 1 (crash) and 2 (configuration error). */
const EXIT_WRONG_RUNTIME = 3;

const major = Number(process.versions.node.split('.')[0]);
if (!(major >= MIN_NODE_MAJOR)) {
  process.stderr.write(
    `blindcall needs Node.js ${MIN_NODE_MAJOR} or newer; this is Node ${process.version} ` +
      `(${process.execPath}).\n` +
      `Start it with \`npm start\`, or with \`scripts/node dist/server/sfu/main.js\` from the ` +
      `project folder: both run the Node ${MIN_NODE_MAJOR} that npm installed from the registry ` +
      `(or an installed Node ${MIN_NODE_MAJOR}).\n`,
  );
  process.exit(EXIT_WRONG_RUNTIME);
}

await import('./serve.js');

export {};
