/**
 * Vite build of the browser client. `vite build --config web/vite.config.ts` writes dist/web,
 * which the SFU serves; `vite --config web/vite.config.ts` is the dev server, proxying the
 * signalling socket to the SFU (scripts/dev.mjs starts both).
 */
import { defineConfig, type Plugin } from 'vite';

const SFU_URL = process.env.SFU_URL ?? 'http://127.0.0.1:3000';

/**
 * Content-Security-Policy of the built client: only our own scripts, worker and same-origin
 * signalling. An injected script could read the room secret and keys, so this is worth having.
 * (Not applied to the dev server, whose HMR client needs more.) Inline styles are allowed for
 * index.html's few base rules; Lit's constructed stylesheets are not subject to style-src.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "worker-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "media-src 'self' blob: mediastream:",
  "style-src 'self' 'unsafe-inline'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

const contentSecurityPolicy: Plugin = {
  name: 'blindcall-csp',
  apply: 'build',
  transformIndexHtml: () => [
    {
      tag: 'meta',
      attrs: { 'http-equiv': 'Content-Security-Policy', content: CONTENT_SECURITY_POLICY },
      injectTo: 'head-prepend',
    },
  ],
};

export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  // The app's routes (/r/<roomId>) must fall back to index.html in dev, as the SFU does.
  appType: 'spa',
  plugins: [contentSecurityPolicy],
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
