// npm start: build what is out of date, then run the server (embedded database and identity
// provider unless DATABASE_URL / OIDC_ISSUER say otherwise). Signals are passed to the server so
// it shuts down gracefully.
import { spawn } from 'node:child_process';
import { buildIfNeeded, root } from './lib.mjs';

await buildIfNeeded();
const server = spawn(process.execPath, ['--enable-source-maps', 'apps/server/dist/main.js'], { stdio: 'inherit', cwd: root });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.kill(signal));
server.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
