#!/usr/bin/env node
// `npm start`: the GitHub App server (probot 14, ESM API). Without credentials it says what is missing and exits 1
// instead of falling into probot's interactive setup mode.
import { existsSync } from 'node:fs';
import { register } from 'tsx/esm/api';

// probot reads .env too; reading it here first lets the check below see those values
if (existsSync('.env') && typeof process.loadEnvFile === 'function') process.loadEnvFile('.env');

const missing = [];
if (!process.env.APP_ID) missing.push('APP_ID');
if (!process.env.PRIVATE_KEY && !process.env.PRIVATE_KEY_PATH) missing.push('PRIVATE_KEY or PRIVATE_KEY_PATH');
if (!process.env.WEBHOOK_SECRET) missing.push('WEBHOOK_SECRET');
if (missing.length > 0) {
  console.error(`stablebot: cannot start the GitHub App, missing environment variables: ${missing.join(', ')}.`);
  console.error('Register the App from app.yml (GitHub App manifest), then set them (or put them in .env).');
  console.error('To try stablebot without GitHub, run `npm run demo`.');
  process.exit(1);
}

register();
const { run } = await import('probot');
const { default: app } = await import('../github/app.ts');
await run(app);
