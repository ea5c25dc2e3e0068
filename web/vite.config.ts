/**
 * Vite build of the browser client. `vite build --config web/vite.config.ts` writes dist/web,
 * which the SFU serves; `vite --config web/vite.config.ts` is the dev server, proxying the
 * signalling socket to the SFU (scripts/dev.mjs starts both).
 */
import { defineConfig } from 'vite';

const SFU_URL = process.env.SFU_URL ?? 'http://127.0.0.1:3000';

export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  // The app's routes (/r/<roomId>) must fall back to index.html in dev, as the SFU does.
  appType: 'spa',
  build: {
    outDir: '../dist/web',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
  },
  worker: {
    format: 'es',
  },
  server: {
    host: '127.0.0.1',
    port: 5173,
    strictPort: true,
    proxy: {
      '/socket.io': { target: SFU_URL, ws: true, changeOrigin: false },
    },
  },
  preview: { host: '127.0.0.1', port: 4173 },
});
