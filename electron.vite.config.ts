import vue from '@vitejs/plugin-vue'
import { defineConfig } from 'electron-vite'
import { resolve } from 'node:path'

// Custom roots: electron/main, electron/preload and renderer/. The main build has four entries:
// the Electron main process, the engine host (run as a utilityProcess or a Node child), serve
// mode (plain Node, no Electron) and the `npm run data` command.
export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      rollupOptions: {
        input: {
          index: resolve('electron/main/index.ts'),
          'engine-host': resolve('electron/engine-host/index.ts'),
          serve: resolve('electron/serve/index.ts'),
          data: resolve('electron/cli/data.ts'),
        },
      },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      rollupOptions: { input: { index: resolve('electron/preload/index.ts') } },
    },
  },
  renderer: {
    root: 'renderer',
    resolve: { alias: { '@common': resolve('electron/common') } },
    plugins: [vue()],
    build: {
      outDir: resolve('out/renderer'),
      rollupOptions: { input: resolve('renderer/index.html') },
    },
  },
})
