import { defineConfig } from 'tsup';

/** The package's entries (test/harness/build.ts adds each one's CommonJS face). */
export const ENTRIES = {
  index: 'src/index.ts',
  client: 'src/client.ts',
  protocol: 'src/protocol.ts',
  testing: 'src/testing/index.ts',
  xml: 'src/xml.ts',
  browser: 'src/browser.ts',
};

export default defineConfig([
  {
    // One ESM build with shared chunks: no code is in the package twice. The command is
    // built apart, as one script that V8 can cache (test/harness/build.ts). Source maps
    // would more than double the package.
    entry: ENTRIES,
    format: ['esm'],
    target: 'es2022',
    platform: 'neutral',
    splitting: true,
    sourcemap: false,
    clean: true,
    external: ['ssh2'],
  },
  {
    // The declarations, once, as CommonJS (.d.cts); the ESM .d.ts entries re-export them.
    entry: ENTRIES,
    format: ['cjs'],
    dts: { only: true },
    target: 'es2022',
  },
]);
