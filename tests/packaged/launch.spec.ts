// The packaged app, launched as a user would: the release workflow runs this under xvfb on the
// unpacked app, the AppImage and the installed .deb of each architecture (MICROGPT_APP names the
// executable). Electron's binary cannot be downloaded where `npm test` runs, so only the release
// workflow runs it (`npm run test:packaged`).
// It checks that the window opens on the app's own page, that the engine process loads the
// packaged addon with this architecture's kernels, that a second launch gives way to the first
// (the single-instance lock) and that quitting ends the app.
import { _electron as electron, expect, test, type ElectronApplication } from '@playwright/test'
import { spawn } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const executable = process.env.MICROGPT_APP
const dataDir = mkdtempSync(join(tmpdir(), 'mg-packaged-'))
// as root (a CI container) Chromium's sandbox cannot start; a user's launch keeps it
const args = [`--data-dir=${dataDir}`, ...(process.getuid?.() === 0 ? ['--no-sandbox'] : [])]
const env = { ...process.env, APPIMAGE_EXTRACT_AND_RUN: '1' } as Record<string, string> // an AppImage without FUSE in a container

let app: ElectronApplication
test.beforeAll(async () => {
  if (!executable) throw new Error('set MICROGPT_APP to the packaged app\'s executable (e.g. dist/linux-unpacked/microgpt-rlm-pi)')
  app = await electron.launch({ executablePath: executable, args, env, timeout: 60_000 })
})
test.afterAll(async () => {
  await app?.close()
})

test('opens its window on the app\'s page, and the engine runs the packaged addon', async () => {
  const page = await app.firstWindow()
  expect(page.url()).toMatch(/^app:\/\/renderer\//)
  await expect(page).toHaveTitle(/MicroGPT-RLM-PI/)
  await page.getByRole('link', { name: /^System/ }).click()
  await expect(page.getByRole('alert').filter({ hasText: 'The engine cannot start' })).toHaveCount(0)
  await expect(page.locator('[data-fact="Kernels"]')).toHaveText(process.arch === 'arm64' ? /neon/i : /avx2/i, { timeout: 30_000 })
  await expect(page.locator('[data-fact="Engine process"]')).toHaveText(/^pid \d+$/)
  const sandboxed = await app.evaluate(({ app: a }) => a.commandLine.hasSwitch('no-sandbox'))
  expect(sandboxed).toBe(args.includes('--no-sandbox'))
})

test('a second launch brings the first window forward and exits', async () => {
  const second = spawn(executable!, args, { env, stdio: 'ignore' })
  const code = await new Promise<number | null>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the second copy is still running after 30 s')), 30_000)
    second.on('exit', (c) => {
      clearTimeout(timer)
      resolve(c)
    })
  })
  expect(code).toBe(0)
  expect(app.windows()).toHaveLength(1) // the first copy is still up, with its one window
  await expect(app.windows()[0]!).toHaveTitle(/MicroGPT-RLM-PI/)
})
