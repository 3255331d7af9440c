import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { JsonWriteQueue, readJson, writeJsonAtomic } from '../../../../electron/services/atomic-file'
import { defaultSettings, SettingsService } from '../../../../electron/services/settings'
import { tempDir } from '../../../support/engine'

describe('settings', () => {
  it('starts from defaults, validates updates and persists them', async () => {
    const file = join(tempDir(), 'settings.json')
    const s = new SettingsService(file)
    expect(await s.get()).toEqual(defaultSettings)
    expect(await s.update({ threads: 2, defaultPreset: 'micro' })).toMatchObject({ threads: 2, defaultPreset: 'micro' })
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ threads: 2 })
    expect(await new SettingsService(file).get()).toMatchObject({ threads: 2, defaultPreset: 'micro', saveInterval: 200 })
    await expect(s.update({ threads: -1 })).rejects.toMatchObject({ code: 'BAD_REQUEST' })
    await expect(s.update({ defaultPreset: 'huge' })).rejects.toMatchObject({ code: 'BAD_REQUEST' })
    await expect(s.update('x' as never)).rejects.toMatchObject({ code: 'BAD_REQUEST' })
  })

  it('keeps the theme and the window state (open window, the Model window\'s draft) across a restart, checked like a request', async () => {
    const file = join(tempDir(), 'settings.json')
    const s = new SettingsService(file)
    const draft = { datasetId: 'chat', preset: 'micro', model: { embedDim: 96, numHeads: 3 }, train: { steps: 300, lr: 0.003 } }
    await s.update({ theme: 'dark', sampleInterval: 50, ui: { view: 'model', draft } })
    expect(await new SettingsService(file).get()).toMatchObject({ theme: 'dark', sampleInterval: 50, ui: { view: 'model', draft } })
    await expect(s.update({ theme: 'pink' as never })).rejects.toMatchObject({ code: 'BAD_REQUEST' })
    await s.update({ hardwareAcceleration: false })
    expect((await new SettingsService(file).get()).hardwareAcceleration).toBe(false)
    await expect(s.update({ hardwareAcceleration: 'no' as never })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: 'hardwareAcceleration must be true or false' })
    await expect(s.update({ ui: { view: '../x', draft: null } })).rejects.toMatchObject({ code: 'BAD_REQUEST' })
    await expect(s.update({ ui: { view: 'model', draft: { ...draft, model: { embedDIm: 3 } } as never } })).rejects.toMatchObject({
      code: 'BAD_REQUEST', message: expect.stringContaining("'embedDIm'"),
    })
    await expect(s.update({ ui: { view: 'model', draft: { ...draft, train: { lr: 'fast' } } as never } })).rejects.toMatchObject({
      code: 'BAD_REQUEST', message: expect.stringContaining('Learning rate'),
    })
    expect((await s.get()).ui.draft).toEqual(draft) // the refused updates changed nothing
  })

  it('keeps named sampling presets, checked by fields.ts, names unique', async () => {
    const file = join(tempDir(), 'settings.json')
    const s = new SettingsService(file)
    const presets = [
      { name: 'Precise', settings: { temperature: 0.3, topK: 10, passes: 4 } },
      { name: ' Wild ', settings: { temperature: 1.4, stop: ['\n\n'], adaptive: true } },
    ]
    await s.update({ samplingPresets: presets })
    const stored = (await new SettingsService(file).get()).samplingPresets
    expect(stored.map((p) => p.name)).toEqual(['Precise', 'Wild'])
    expect(stored[1]!.settings).toEqual({ temperature: 1.4, stop: ['\n\n'], adaptive: true })
    await expect(s.update({ samplingPresets: [...presets, { name: 'precise', settings: {} }] })).rejects.toMatchObject({
      code: 'BAD_REQUEST', message: expect.stringContaining("two presets named 'precise'"),
    })
    await expect(s.update({ samplingPresets: [{ name: 'x', settings: { temperature: -1 } }] })).rejects.toMatchObject({
      code: 'BAD_REQUEST', message: expect.stringContaining('Temperature'),
    })
    await expect(s.update({ samplingPresets: [{ name: 'x', settings: { temprature: 1 } }] as never })).rejects.toMatchObject({ code: 'BAD_REQUEST' })
    await expect(s.update({ samplingPresets: [{ name: '  ', settings: {} }] })).rejects.toMatchObject({ code: 'BAD_REQUEST' })
    await expect(s.update({ samplingPresets: 'all' as never })).rejects.toMatchObject({ code: 'BAD_REQUEST' })
    expect((await s.get()).samplingPresets).toHaveLength(2) // the refused updates changed nothing
  })

  it('lands updates made at the same time one after another, none lost', async () => {
    const file = join(tempDir(), 'settings.json')
    const s = new SettingsService(file)
    await Promise.all([
      s.update({ sampleInterval: 25 }),
      s.update({ ui: { view: 'system', draft: null } }),
      s.update({ threads: -1 }).catch(() => null), // a refused one in between changes nothing
      s.update({ saveInterval: 40 }),
    ])
    expect(await new SettingsService(file).get()).toMatchObject({ sampleInterval: 25, saveInterval: 40, ui: { view: 'system' }, threads: 0 })
  })

  it('moves a damaged file aside instead of losing it, and carries on with defaults', async () => {
    const dir = tempDir()
    const file = join(dir, 'settings.json')
    writeFileSync(file, '{ not json')
    expect(await new SettingsService(file).get()).toEqual(defaultSettings)
    const kept = readdirSync(dir).find((n) => n.startsWith('settings.json.damaged-'))
    expect(kept && readFileSync(join(dir, kept), 'utf8')).toBe('{ not json')
  })
})

describe('atomic files', () => {
  it('replaces the target whole and leaves no temp file', async () => {
    const dir = tempDir()
    const file = join(dir, 'sub', 'a.json')
    await writeJsonAtomic(file, { a: 1 })
    await writeJsonAtomic(file, { a: 2 })
    expect(await readJson(file)).toEqual({ a: 2 })
    expect(readdirSync(join(dir, 'sub'))).toEqual(['a.json'])
    expect(await readJson(join(dir, 'missing.json'))).toBeNull()
    writeFileSync(join(dir, 'bad.json'), '[')
    await expect(readJson(join(dir, 'bad.json'), 'the thing')).rejects.toMatchObject({ code: 'CORRUPT', message: expect.stringContaining('the thing') })
  })

  it('keeps the old file when the write fails', async () => {
    const dir = tempDir()
    const file = join(dir, 'a.json')
    await writeJsonAtomic(file, { a: 1 })
    // a cycle cannot be serialised: the failure happens before anything touches the target
    const cyclic: Record<string, unknown> = {}
    cyclic.self = cyclic
    await expect(writeJsonAtomic(file, cyclic)).rejects.toThrow()
    // a target inside a path that is a file cannot be created: an IO error naming it
    await expect(writeJsonAtomic(join(file, 'x.json'), { b: 1 }, 'the record')).rejects.toMatchObject({ message: expect.stringContaining('the record') })
    expect(await readJson(file)).toEqual({ a: 1 })
    expect(existsSync(join(dir, 'a.json'))).toBe(true)
    expect(readdirSync(dir)).toEqual(['a.json'])
  })

  it('queues the writes of one file so the newest state lands last', async () => {
    const file = join(tempDir(), 'q.json')
    const q = new JsonWriteQueue()
    const state = { n: 0 }
    const writes: Promise<void>[] = []
    for (let i = 1; i <= 30; i++) {
      state.n = i
      writes.push(q.write(file, () => ({ ...state }), 'q'))
    }
    await Promise.all(writes)
    expect(await readJson(file)).toEqual({ n: 30 })
  })
})
