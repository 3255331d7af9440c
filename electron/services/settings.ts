// Settings: one small JSON file, validated on the way in, written atomically.
import { rename } from 'node:fs/promises'
import { defaultWindow } from '../common/defaults'
import { checkFields, modelFields, samplingFields, trainFields } from '../common/fields'
import type { ModelDraft, SamplingPreset, Settings, UiState } from '../common/types'
import { readJson, writeJsonAtomic } from './atomic-file'
import { bad, checkedFields, object, optionalInt, string } from './validate'

export const defaultSettings: Settings = {
  threads: 0,
  defaultPreset: '8gb',
  saveInterval: 200,
  sampleInterval: 200,
  theme: 'system',
  hardwareAcceleration: true,
  ui: { view: defaultWindow, draft: null },
  samplingPresets: [],
}
const maxSamplingPresets = 100
const presetNames = ['micro', '8gb', '16gb', 'small', 'medium']
const themes = ['system', 'light', 'dark'] as const

export class SettingsService {
  private current: Settings | null = null
  constructor(private readonly file: string) {}

  async get(): Promise<Settings> {
    if (this.current) return this.current
    let stored: Partial<Settings> | null = null
    try {
      stored = await readJson<Partial<Settings>>(this.file, 'the settings file')
      if (stored) stored = this.check(stored)
    } catch {
      // a damaged settings file is moved aside (kept, not lost) and defaults take over
      await rename(this.file, `${this.file}.damaged-${Date.now()}`).catch(() => {})
      stored = null
    }
    this.current = { ...defaultSettings, ...stored }
    return this.current
  }

  // Updates run one after another: two at once (the window state and a settings form) would
  // otherwise both start from the same old settings, and the later write would lose the other.
  private queue: Promise<unknown> = Promise.resolve()
  update(patch: Partial<Settings>): Promise<Settings> {
    const run = async (): Promise<Settings> => {
      const next = { ...(await this.get()), ...this.check(patch) }
      await writeJsonAtomic(this.file, next, 'the settings')
      this.current = next
      return next
    }
    const result = this.queue.then(run, run)
    this.queue = result.catch(() => {})
    return result
  }

  private check(v: unknown): Partial<Settings> {
    const o = object(v, 'settings')
    const out: Partial<Settings> = {}
    const threads = optionalInt(o.threads, 'threads', 0, 1024)
    if (threads !== undefined) out.threads = threads
    const saveInterval = optionalInt(o.saveInterval, 'saveInterval', 0, 1_000_000_000)
    if (saveInterval !== undefined) out.saveInterval = saveInterval
    const sampleInterval = optionalInt(o.sampleInterval, 'sampleInterval', 0, 1_000_000_000)
    if (sampleInterval !== undefined) out.sampleInterval = sampleInterval
    if (o.theme !== undefined) {
      if (!themes.includes(o.theme as Settings['theme'])) throw bad(`theme must be one of ${themes.join(', ')}`)
      out.theme = o.theme as Settings['theme']
    }
    if (o.hardwareAcceleration !== undefined) {
      if (typeof o.hardwareAcceleration !== 'boolean') throw bad('hardwareAcceleration must be true or false')
      out.hardwareAcceleration = o.hardwareAcceleration
    }
    if (o.ui !== undefined) out.ui = checkUi(o.ui)
    if (o.samplingPresets !== undefined) out.samplingPresets = checkSamplingPresets(o.samplingPresets)
    if (o.defaultPreset !== undefined) {
      if (typeof o.defaultPreset !== 'string' || !presetNames.includes(o.defaultPreset))
        throw bad(`defaultPreset must be one of ${presetNames.join(', ')}`)
      out.defaultPreset = o.defaultPreset
    }
    return out
  }
}

function checkUi(v: unknown): UiState {
  const o = object(v, 'ui')
  const view = string(o.view, 'ui.view', 40)
  if (!/^[a-z]+$/.test(view)) throw bad('ui.view must be a window name')
  return { view, draft: o.draft === null || o.draft === undefined ? null : checkDraft(o.draft) }
}

function checkDraft(v: unknown): ModelDraft {
  const o = object(v, 'ui.draft')
  const preset = string(o.preset, 'ui.draft.preset', 40)
  if (!presetNames.includes(preset)) throw bad(`ui.draft.preset must be one of ${presetNames.join(', ')}`)
  const datasetId = o.datasetId === null || o.datasetId === undefined ? null : string(o.datasetId, 'ui.draft.datasetId', 80)
  return checkedFields(() => ({
    datasetId, preset, model: checkFields(modelFields, o.model, 'ui.draft.model'), train: checkFields(trainFields, o.train, 'ui.draft.train'),
  }))
}

// Named sampling settings: names are what the user sees and picks by, so they are trimmed,
// non-empty and unique (case-insensitively); the settings are checked by fields.ts.
function checkSamplingPresets(v: unknown): SamplingPreset[] {
  if (!Array.isArray(v)) throw bad('samplingPresets must be a list')
  if (v.length > maxSamplingPresets) throw bad(`at most ${maxSamplingPresets} sampling presets can be saved`)
  const seen = new Set<string>()
  return v.map((p, i) => {
    const o = object(p, `samplingPresets[${i}]`)
    const name = string(o.name, 'the preset name', 60).trim()
    if (!name) throw bad('a preset needs a name')
    if (seen.has(name.toLowerCase())) throw bad(`there are two presets named '${name}'`)
    seen.add(name.toLowerCase())
    return { name, settings: checkedFields(() => checkFields(samplingFields, o.settings, `preset '${name}'`)) }
  })
}
