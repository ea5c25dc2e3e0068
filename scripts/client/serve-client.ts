/**
 * `npm run serve-client -- --sfu <SFU origin> [--port 8080] [--host 127.0.0.1] [dir]`: serves a
 * built client (default dist/web) on an origin of its own, pointed at an SFU whose
 * ALLOWED_ORIGINS lists this origin (docs/hosting.md).
 */
import { ClientServer } from '../../sfu/http/ClientServer.js';

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args.splice(i, 2)[1] : undefined;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2).filter((a) => a !== '--');
  const sfu = option(args, '--sfu');
  const port = Number(option(args, '--port') ?? '8080');
  const host = option(args, '--host') ?? '127.0.0.1';
  if (!sfu || !Number.isInteger(port) || args.length > 1) {
    console.error('usage: npm run serve-client -- --sfu https://sfu.example [--port 8080] [dir]');
    process.exit(2);
  }
  const server = await ClientServer.start({ root: args[0] ?? 'dist/web', sfuUrl: sfu, host, port });
  console.log(`client at ${server.url}, signalling to ${server.sfuUrl}`);
  process.once('SIGINT', () => void server.close().then(() => process.exit(0)));
  process.once('SIGTERM', () => void server.close().then(() => process.exit(0)));
}

void main();
