#!/usr/bin/env node
// `npx blindcall-calltest`: runs calltest/main.ts through tsx (TypeScript, no build step).
import { register } from 'tsx/esm/api';

register();
await import('./main.ts');
