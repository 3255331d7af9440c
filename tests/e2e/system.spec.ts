// The real renderer in Chromium, over serve mode, asking the real engine process for its build.
import { expect, test } from '@playwright/test'
import { join } from 'node:path'
import { repoRoot } from '../support/engine'
import { startServe, type ServeProcess } from '../support/serve'

let serve: ServeProcess
test.beforeAll(async () => {
  serve = await startServe()
})
test.afterAll(async () => {
  await serve.stop()
})

test('shows the engine version and build flags from the engine process, with no console errors', async ({ page }, info) => {
  const problems: string[] = []
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`)
  })
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`))

  await page.goto(`${serve.url}#/system`)
  await expect(page.getByRole('heading', { name: 'Engine' })).toBeVisible()
  await expect(page.locator('[data-fact="Version"]')).toHaveText(/^\d+\.\d+\.\d+$/)
  await expect(page.locator('[data-fact="Kernels"]')).not.toBeEmpty()
  await expect(page.locator('[data-fact="OpenMP"]')).toHaveText(/^\d{6}$/)
  await expect(page.locator('[data-fact="Node-API"]')).toHaveText('8')
  const pid = (await page.locator('[data-fact="Engine process"]').textContent()) ?? ''
  expect(pid).toMatch(/^pid \d+$/)
  expect(Number(pid.slice(4))).not.toBe(serve.child.pid) // answered by the engine process, not the server
  await expect(page.locator('[data-fact="Connected by"]')).toHaveText('WebSocket (serve mode)')
  await expect(page.getByText('Connected', { exact: true })).toBeVisible()

  const shot = info.outputPath('system.png')
  await page.screenshot({ path: shot, fullPage: true })
  await info.attach('system', { path: shot, contentType: 'image/png' })
  expect(problems).toEqual([])
})

// The package for another architecture (here the arm64 cross build, which the x86-64 host makes)
test('an engine that cannot load says so on every window, with the fix', async ({ page }) => {
  test.skip(process.arch !== 'x64', 'needs the arm64 cross build as the wrong addon')
  const broken = await startServe([], undefined, { ...process.env, MICROGPT_ADDON: join(repoRoot, 'native', 'out-arm64', 'microgpt.node') })
  try {
    for (const view of ['datasets', 'train', 'system']) {
      await page.goto(`${broken.url}#/${view}`)
      const alert = page.getByRole('alert').filter({ hasText: 'The engine cannot start.' })
      await expect(alert).toContainText('cannot be loaded')
      await expect(alert).toContainText("To fix it: it is built for arm64, but this machine is x64: install the app's x64 package instead")
    }
  } finally {
    await broken.stop()
  }
})
