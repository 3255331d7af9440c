import { defineConfig } from '@playwright/test'

// Debian's Chromium (npx playwright install cannot download browsers here). The flags keep it
// off the closed network.
export default defineConfig({
  testDir: 'tests/e2e',
  outputDir: 'test-results/e2e',
  timeout: 60_000,
  workers: 1,
  reporter: [['list']],
  use: {
    browserName: 'chromium',
    screenshot: 'only-on-failure', // kept in test-results/e2e beside the error
    actionTimeout: 30_000, // a control that never appears fails the step, not the whole test's budget
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    },
  },
})
