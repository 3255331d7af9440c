import { defineConfig } from '@playwright/test'

// The packaged app (tests/packaged), which only the release workflow can launch: MICROGPT_APP
// names its executable.
export default defineConfig({
  testDir: 'tests/packaged',
  outputDir: 'test-results/packaged',
  timeout: 120_000,
  workers: 1,
  reporter: [['list']],
  use: { screenshot: 'only-on-failure', actionTimeout: 30_000 },
})
