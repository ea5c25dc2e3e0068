/**
 * Vite build of the browser client. `vite build --config web/vite.config.ts` writes dist/web,
 * which the SFU or any static server serves (docs/hosting.md); `vite --config web/vite.config.ts`
 * is the dev server, proxying the signalling socket to the SFU (scripts/dev.mjs starts both).
 *
 * The build is reproducible: the same commit gives the same bytes in any directory on any machine
 * (no source maps, whose paths depend on the checkout; content-hashed names), and
 * web/build/integrityPlugin.ts adds Subresource Integrity and prints the client hash.
 */
import { defineConfig, type Plugin } from 'vite';
import { integrityPlugin } from './build/integrityPlugin.js';

const SFU_URL = process.env.SFU_URL ?? 'http://127.0.0.1:3000';

/**
 * Content-Security-Policy in index.html, for static hosts that cannot set headers: only our own
 * scripts and worker (the inlined frame worker runs from a blob: URL only our script can make).
 * An injected script could read the room secret and keys, so this is worth having. The servers
 * send a stricter policy as a header (sfu/http/clientHeaders.ts: connect-src names the SFU,
 * frame-ancestors); the meta policy cannot know the SFU, so it allows any https/wss signalling.
 * (Not applied to the dev server, whose HMR client needs more.) Inline styles are allowed for
 * index.html's few base rules; Lit's constructed stylesheets are not subject to style-src.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "worker-src 'self' blob:",
  "connect-src 'self' https: wss: ws://127.0.0.1:* ws://localhost:* http://127.0.0.1:* http://localhost:*",
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
  plugins: [contentSecurityPolicy, integrityPlugin()],
  build: {
    outDir: '../dist/web',
    emptyOutDir: true,
    target: 'es2022',
    // Source maps name paths of the checkout; leaving them out keeps the build reproducible.
    sourcemap: false,
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
