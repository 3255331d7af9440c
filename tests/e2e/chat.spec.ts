// The second half of the product, end to end, in Debian's Chromium against serve mode with a
// fresh data folder: a model trained on plain text (names) chats anyway, says it is no chat model,
// and one reply to it is stopped mid-way; one click starts a chat model's training; a micro model
// trained on the built-in chat corpus answers "Hello", regenerates, and the conversation is
// renamed, exported (the files read back) and found as it was after a restart. In Generate a
// completion streams and is stopped, adaptive passes colour the text by depth, and the passes-vs-
// quality panel measures passes 1–3 and adaptive. Both windows in light and dark, by keyboard.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { expect, test, type Page } from '@playwright/test'
import { freshApp } from './fresh-app'
import { checkWindows, downloadDataset, watchConsole } from './page-checks'

const app = freshApp('mg-chat-journey-')

/** Trains micro on a ready dataset from the Model window; returns the run's id once it finished. */
async function trainMicro(page: Page, datasetId: string, steps: number): Promise<string> {
  await page.keyboard.press('Control+1')
  await page.locator(`[data-dataset="${datasetId}"]`).getByRole('button', { name: /^Train on / }).click()
  await expect(page).toHaveURL(/#\/model$/)
  await page.locator('[data-preset="micro"]').click()
  await page.getByRole('textbox', { name: 'Max passes' }).fill('4') // recursion on (the presets are plain), for passes and adaptive depth
  await page.getByRole('textbox', { name: 'Steps', exact: true }).fill(String(steps))
  await page.getByRole('button', { name: 'Start training' }).click()
  await expect(page).toHaveURL(/#\/train$/)
  const run = page.locator('[data-run][aria-selected="true"]')
  await expect(run).toHaveAttribute('data-status', 'finished', { timeout: 120_000 })
  return (await run.getAttribute('data-run'))!
}

const turns = (page: Page) => page.locator('[data-turn-text]').allTextContents()
const replyDone = (page: Page) => expect(page.locator('[data-send]')).toBeVisible({ timeout: 60_000 })

test('chat with a plain and a chat model: stop, one-click training, regenerate, rename, export, restart; Generate: stop, depth, passes vs quality', async ({ page }, info) => {
  test.setTimeout(400_000)
  const problems = watchConsole(page)
  await page.setViewportSize({ width: 1280, height: 720 })
  await page.goto(app.url)
  await expect(page.getByRole('heading', { level: 1, name: 'Datasets' })).toBeVisible()

  // a model of plain text: names, downloaded from the local server
  await downloadDataset(page, 'names')
  const namesRun = await trainMicro(page, 'names', 150)

  // it chats anyway (plain continuation), says a chat model answers better; a long reply is stopped
  await page.keyboard.press('Control+5')
  await expect(page.getByRole('heading', { level: 1, name: 'Chat' })).toBeVisible()
  await page.locator('[data-new-chat]').click()
  await expect(page.locator('[data-chat-model]')).toHaveValue(namesRun)
  await expect(page.locator('[data-not-chat-model]')).toContainText('not from conversations')
  await page.getByRole('textbox', { name: 'Max tokens' }).fill('1000000')
  // names has no capitals: a character the model never saw is refused, by name, and nothing is kept
  await page.getByRole('textbox', { name: 'Your message' }).fill('Hello')
  await page.keyboard.press('Enter')
  await expect(page.getByRole('alert').filter({ hasText: 'never saw' })).toContainText("'H'")
  await expect(page.getByRole('textbox', { name: 'Your message' })).toHaveValue('Hello') // what was typed stays
  expect(await turns(page)).toEqual([])
  await page.getByRole('textbox', { name: 'Your message' }).fill('hello')
  await page.keyboard.press('Enter')
  await expect.poll(async () => ((await page.locator('[data-streaming]').textContent()) ?? '').length, { timeout: 30_000 }).toBeGreaterThan(40)
  await page.keyboard.press('Escape')
  await replyDone(page)
  const stopped = await turns(page)
  expect(stopped[0]).toBe('hello')
  expect(stopped[1]!.length).toBeGreaterThan(40) // what it wrote before the stop is kept
  await expect(page.locator('[data-reply-stats]')).toContainText(/\d+ tokens · [\d,]+ tokens\/s · \d\.\d\d passes/)

  // one click trains a chat model on the built-in corpus (made ready on the way); stopped early here
  await page.locator('[data-train-chat-model]').click()
  await expect(page).toHaveURL(/#\/train$/, { timeout: 60_000 })
  const oneClick = page.locator('[data-run][aria-selected="true"]')
  await expect(oneClick).toContainText('Chat model')
  await expect(oneClick).toHaveAttribute('data-status', 'running')
  await page.getByRole('button', { name: 'Stop and save' }).click()
  await expect(oneClick).toHaveAttribute('data-status', 'stopped', { timeout: 60_000 })

  // a micro model that learns the chat format
  const chatRun = await trainMicro(page, 'chat', 600)

  // the conversation moves to it: Hello gets a streamed answer, then a regenerated one
  await page.keyboard.press('Control+5')
  await page.locator('[data-chat-model]').selectOption(chatRun)
  await expect(page.locator('[data-not-chat-model]')).toHaveCount(0)
  await page.getByRole('textbox', { name: 'Max tokens' }).fill('300')
  await page.getByRole('textbox', { name: 'Your message' }).fill('Hello')
  await page.keyboard.press('Enter')
  await replyDone(page) // a reply of a few dozen characters: too quick to catch streaming here
  let texts = await turns(page)
  expect(texts).toHaveLength(4)
  expect(texts[3]!.length).toBeGreaterThan(0)
  await page.locator('[data-regenerate]').click()
  await replyDone(page)
  texts = await turns(page)
  expect(texts).toHaveLength(4) // the last reply replaced, not added
  expect(texts[2]).toBe('Hello')

  // renamed, and exported as Markdown and JSON
  await page.locator('[data-rename]').click()
  await page.getByRole('textbox', { name: 'Conversation title' }).fill('Greetings test')
  await page.keyboard.press('Enter')
  await expect(page.locator('[data-chat-title]')).toHaveText('Greetings test')
  await expect(page.locator('nav [aria-current="true"]')).toContainText('Greetings test')
  const [md] = await Promise.all([page.waitForEvent('download'), page.locator('[data-export="markdown"]').click()])
  expect(md.suggestedFilename()).toBe('Greetings-test.md')
  const markdown = readFileSync((await md.path())!, 'utf8')
  expect(markdown.startsWith('# Greetings test\n')).toBe(true)
  expect(markdown).toContain('**You**\n\nHello')
  expect(markdown).toContain(`**Model**\n\n${texts[3]!.split('\n')[0]}`)
  const [json] = await Promise.all([page.waitForEvent('download'), page.locator('[data-export="json"]').click()])
  const saved = JSON.parse(readFileSync((await json.path())!, 'utf8'))
  expect(saved.title).toBe('Greetings test')
  expect(saved.checkpointId).toBe(chatRun)
  expect(saved.messages.map((m: { text: string }) => m.text)).toEqual(texts)
  expect(saved.settings).toMatchObject({ maxTokens: 300 })

  // a restart: the conversation is there as it was, its settings too (the window state, written
  // half a second after the last change, has landed first)
  const settingsFile = join(app.dataDir, 'settings.json')
  await expect.poll(() => JSON.parse(readFileSync(settingsFile, 'utf8')).ui.view).toBe('chat')
  await app.restart()
  await page.goto(app.url)
  await expect(page).toHaveURL(/#\/chat$/)
  await expect(page.locator('[data-chat-title]')).toHaveText('Greetings test')
  await expect.poll(() => turns(page)).toEqual(texts)
  await expect(page.getByRole('textbox', { name: 'Max tokens' })).toHaveValue('300')

  // Generate: a completion streams and Esc stops it; adaptive passes shade it by depth
  await page.keyboard.press('Control+4')
  await page.getByRole('combobox', { name: 'Model' }).selectOption(chatRun)
  await page.getByRole('textbox', { name: 'Prompt' }).fill('Once')
  await page.getByRole('textbox', { name: 'Max tokens' }).fill('1000000')
  await page.getByRole('textbox', { name: 'Prompt' }).press('Control+Enter')
  await expect.poll(async () => ((await page.locator('[data-output]').textContent()) ?? '').length, { timeout: 30_000 }).toBeGreaterThan(40)
  await page.keyboard.press('Escape')
  await expect(page.locator('[data-generation-stats]')).toContainText('stopped', { timeout: 30_000 })
  await page.getByRole('textbox', { name: 'Max tokens' }).fill('120')
  await page.locator('#passes-dial').fill('4')
  await page.getByRole('checkbox', { name: 'Adaptive passes' }).check()
  await page.getByRole('textbox', { name: 'Adaptive threshold' }).fill('0.01')
  await page.getByRole('button', { name: 'Generate' }).click()
  await expect(page.locator('[data-generation-stats]')).toContainText('120 tokens', { timeout: 30_000 })
  await page.locator('[data-heatmap]').check()
  const depths = await page.locator('[data-output] [data-passes]').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-passes'))))
  expect(depths.length).toBeGreaterThan(0)
  for (const d of depths) expect(d >= 1 && d <= 4).toBe(true)

  // passes vs quality at 1–3 and adaptive, then the saved result
  await page.getByRole('spinbutton', { name: 'Up to' }).fill('3')
  await page.locator('[data-measure]').click()
  const rows = page.locator('[data-quality-table] tbody tr')
  await expect(rows).toHaveCount(4, { timeout: 120_000 })
  await expect(page.locator('[data-quality-note]')).toBeVisible({ timeout: 120_000 })
  await expect(rows.first().locator('th')).toHaveText('1')
  await expect(rows.last().locator('th')).toContainText('adaptive')
  for (const bpc of await rows.locator('td:nth-child(2)').allTextContents()) expect(Number(bpc)).toBeGreaterThan(0)
  await expect(page.locator('[data-quality-summary]')).toContainText('bits per character')
  await page.locator('[data-measure]').click()
  await expect(page.locator('[data-quality-note]')).toContainText('(saved result)')

  // both windows, light and dark, at a Pi's 1280x720: no accessibility violation, Tab reaches all
  await checkWindows(page, app.url, ['chat', 'generate'], info, async (w) => {
    if (w === 'chat') await expect.poll(() => turns(page)).toEqual(texts)
  })
  expect(problems).toEqual([])
})
