import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('.', import.meta.url));

/**
 * The customer portal's single-page app. The portal server serves `dist/portal-web` (index.html for every
 * client-side route, hashed files under /assets/) behind a CSP without inline script or style, so the
 * build emits nothing inline: one module script and one stylesheet.
 */
export default defineConfig({
  root,
  base: '/',
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('../../../dist/portal-web', import.meta.url)),
    emptyOutDir: true,
    assetsDir: 'assets',
    // Never inline assets as data: URLs into JS or CSS: every asset is a same-origin file.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
    rollupOptions: {
      output: {
        entryFileNames: 'assets/[name]-[hash].js',
        chunkFileNames: 'assets/[name]-[hash].js',
        assetFileNames: 'assets/[name]-[hash][extname]',
      },
    },
  },
  test: {
    root,
    environment: 'jsdom',
    include: ['src/**/*.test.tsx'],
    setupFiles: ['src/test/setup.ts'],
    // Dates in the pages are local time; the tests read them in UTC.
    env: { TZ: 'UTC' },
  },
});
