import vue from '@vitejs/plugin-vue'
import { defineConfig } from 'electron-vite'
import { resolve } from 'node:path'

// Custom roots: electron/main, electron/preload and renderer/. The main build has three entries:
// the Electron main process, the engine host (run as a utilityProcess or a Node child) and serve
// mode (plain Node, no Electron).
export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      rollupOptions: {
        input: {
          index: resolve('electron/main/index.ts'),
          'engine-host': resolve('electron/engine-host/index.ts'),
          serve: resolve('electron/serve/index.ts'),
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
