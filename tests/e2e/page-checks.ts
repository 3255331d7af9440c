// What every end-to-end test checks of a window: nothing on the console, no WCAG 2.1 AA
// violation that axe-core finds, and every visible control reachable by Tab; and the steps both
// journeys share (a catalog dataset downloaded, every window shot in light and dark).
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { expect, type Page, type TestInfo } from '@playwright/test'

export function watchConsole(page: Page): string[] {
  const problems: string[] = []
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`)
  })
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`))
  return problems
}

// axe-core, evaluated in the page over the DevTools protocol (so the app's CSP stays as it is)
const axeSource = readFileSync(createRequire(__filename).resolve('axe-core/axe.min.js'), 'utf8')

/** What axe-core finds wrong for WCAG 2.1 A and AA (names, roles, contrast…), one line each. */
export async function accessibilityViolations(page: Page): Promise<string[]> {
  await page.evaluate(axeSource)
  return page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(ctx: Document, o: object): Promise<{ violations: { id: string; help: string; nodes: { target: string[] }[] }[] }> } }).axe
    const r = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })
    return r.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).slice(0, 4).join(', ')})`)
  })
}

/** Presses Tab through the window and returns the visible controls it never reached. */
export async function unreachedByTab(page: Page): Promise<string[]> {
  const count = await page.evaluate(() => {
    const visible = (el: Element): boolean => {
      const r = el.getBoundingClientRect()
      return r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== 'hidden' && !el.closest('details:not([open]) > :not(summary)')
    }
    const controls = [...document.querySelectorAll('a[href], button, input, select, textarea, summary, [tabindex]')].filter(
      (el) => visible(el) && !(el as HTMLButtonElement).disabled && el.getAttribute('tabindex') !== '-1',
    )
    // a radio group is one Tab stop: any one of its radios counts for all
    const seenGroups = new Set<string>()
    let n = 0
    for (const el of controls) {
      const radio = el instanceof HTMLInputElement && el.type === 'radio'
      if (radio && seenGroups.has(el.name)) continue
      if (radio) seenGroups.add(el.name)
      el.setAttribute('data-tab-target', String(n++))
      if (radio) document.querySelectorAll(`input[type=radio][name="${el.name}"]`).forEach((r) => r.setAttribute('data-tab-target', el.getAttribute('data-tab-target')!))
    }
    ;(document.activeElement as HTMLElement | null)?.blur()
    return n
  })
  const reached = new Set<string>()
  for (let i = 0; i < count * 2 + 10 && reached.size < count; i++) {
    await page.keyboard.press('Tab')
    const id = await page.evaluate(() => document.activeElement?.getAttribute('data-tab-target') ?? null)
    if (id !== null) reached.add(id)
  }
  return page.evaluate((got) => {
    const missing: string[] = []
    document.querySelectorAll('[data-tab-target]').forEach((el) => {
      if (!got.includes(el.getAttribute('data-tab-target')!)) missing.push(el.outerHTML.slice(0, 120))
      el.removeAttribute('data-tab-target')
    })
    return [...new Set(missing)]
  }, [...reached])
}

/** Downloads a catalog dataset from the Datasets window and waits until it is ready. */
export async function downloadDataset(page: Page, id: string): Promise<void> {
  const card = page.locator(`[data-dataset="${id}"]`)
  await card.getByRole('button', { name: /^Download / }).click()
  await expect(card).toHaveAttribute('data-status', 'ready', { timeout: 30_000 })
}

/** Each window in light and dark at the Pi's 1280x720: a screenshot kept with the test,
 *  axe-core finds nothing, and (in light) Tab reaches every control. `ready` waits for a
 *  window's content before the shot. */
export async function checkWindows(page: Page, url: string, windows: readonly string[], info: TestInfo, ready?: (w: string) => Promise<void>): Promise<void> {
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme })
    for (const w of windows) {
      await page.goto(`${url}#/${w}`)
      await expect(page.locator('h1')).toBeVisible()
      await ready?.(w)
      await page.waitForTimeout(400) // charts and metrics draw
      await expect(page.locator('html')).toHaveAttribute('data-theme', scheme)
      const shot = info.outputPath(`${w}-${scheme}.png`)
      await page.screenshot({ path: shot }) // the Pi's screen: each window scrolls inside it
      await info.attach(`${w}-${scheme}`, { path: shot, contentType: 'image/png' })
      expect(await accessibilityViolations(page), `${w} (${scheme}): accessibility`).toEqual([])
      if (scheme === 'light') expect(await unreachedByTab(page), `${w}: controls Tab never reaches`).toEqual([])
    }
  }
}
