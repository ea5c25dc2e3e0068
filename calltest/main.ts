/** Entry point of the `blindcall-calltest` command (package.json "bin", `npm run calltest`). */
import { main } from './cli.js';

process.exitCode = await main(process.argv.slice(2));
