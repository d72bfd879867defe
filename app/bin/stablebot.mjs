#!/usr/bin/env node
// Runs the TypeScript CLI directly through tsx, so `npx stablebot` works right after `npm ci` with no build step.
import { register } from 'tsx/esm/api';

// `stablebot … | head` closes the pipe early: that is not an error
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

register();
const { main } = await import('../cli/main.ts');
process.exitCode = await main(process.argv);
