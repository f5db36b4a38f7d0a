// npm run dev: the server from TypeScript sources, restarted on change, plus Vite's dev server
// (with hot reload) proxying API calls to it.
import { spawn } from 'node:child_process';
import { root } from './lib.mjs';

const children = [
  spawn('npx', ['tsx', 'watch', '--clear-screen=false', 'apps/server/src/main.ts'], {
    stdio: 'inherit',
    cwd: root,
    env: { ...process.env, PORT: process.env.PORT ?? '3000', DEV_WEB_ORIGIN: process.env.DEV_WEB_ORIGIN ?? 'http://localhost:5173' },
  }),
  spawn('npm', ['run', 'dev', '-w', '@yardmaster/web'], { stdio: 'inherit', cwd: root }),
];
const stop = (signal) => children.forEach((c) => c.kill(signal));
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));
await Promise.all(children.map((c) => new Promise((resolve) => c.on('exit', resolve))));
