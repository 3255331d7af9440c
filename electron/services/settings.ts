// Settings: one small JSON file, validated on the way in, written atomically.
import { rename } from 'node:fs/promises'
import type { Settings } from '../common/types'
import { readJson, writeJsonAtomic } from './atomic-file'
import { bad, object, optionalInt } from './validate'

export const defaultSettings: Settings = { threads: 0, defaultPreset: '8gb', saveInterval: 200 }
const presetNames = ['micro', '8gb', '16gb', 'small', 'medium']

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

  async update(patch: Partial<Settings>): Promise<Settings> {
    const next = { ...(await this.get()), ...this.check(patch) }
    await writeJsonAtomic(this.file, next, 'the settings')
    this.current = next
    return next
  }

  private check(v: unknown): Partial<Settings> {
    const o = object(v, 'settings')
    const out: Partial<Settings> = {}
    const threads = optionalInt(o.threads, 'threads', 0, 1024)
    if (threads !== undefined) out.threads = threads
    const saveInterval = optionalInt(o.saveInterval, 'saveInterval', 0, 1_000_000_000)
    if (saveInterval !== undefined) out.saveInterval = saveInterval
    if (o.defaultPreset !== undefined) {
      if (typeof o.defaultPreset !== 'string' || !presetNames.includes(o.defaultPreset))
        throw bad(`defaultPreset must be one of ${presetNames.join(', ')}`)
      out.defaultPreset = o.defaultPreset
    }
    return out
  }
}
