import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
const alias = { '@yardmaster/contracts': fileURLToPath(new URL('./packages/contracts/src/index.ts', import.meta.url)) };
export default defineConfig({ resolve: { alias }, test: { include: ['apps/web/e2e/driver-app.e2e.ts'], globalSetup: ['/tmp/drv-debug-setup.ts'], testTimeout: 180_000 } });
