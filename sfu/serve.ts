/**
 * The SFU process, once main.ts has checked the runtime: load configuration, start the SFU, print
 * its URL and the versions it runs on, stop gracefully on SIGTERM/SIGINT.
 */
import { version as mediasoupVersion } from 'mediasoup';
import { ConfigError, loadConfig } from './config.js';
import { createLogger } from './logger.js';
import { Sfu } from './Sfu.js';

const log = createLogger('main');

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`Configuration error: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  log.info('starting', { node: process.version, mediasoup: mediasoupVersion });
  const sfu = await Sfu.start(config);
  process.stdout.write(
    `\nblindcall SFU is running: ${sfu.url} (Node ${process.version}, mediasoup ${mediasoupVersion})\n\n`,
  );
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info('signal received', { signal });
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    sfu.close().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error('shutdown failed', err);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

await main().catch((err: unknown) => {
  log.error('failed to start', err);
  process.exitCode = 1;
});
