// What the desktop app decides before Electron is ready: the GPU is off with --disable-gpu or
// when the settings file on disk says so, and on otherwise (no file, a damaged one).
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { wantsHardwareAcceleration } from '../../../../electron/main/startup'
import { SettingsService } from '../../../../electron/services/settings'
import { tempDir } from '../../../support/engine'

describe('startup', () => {
  it('turns the GPU off by flag or by the saved setting, and leaves it on otherwise', async () => {
    const file = join(tempDir(), 'settings.json')
    expect(wantsHardwareAcceleration(['electron', '.'], file)).toBe(true) // no settings yet
    expect(wantsHardwareAcceleration(['electron', '.', '--disable-gpu'], file)).toBe(false)
    await new SettingsService(file).update({ hardwareAcceleration: false }) // as the System window saves it
    expect(wantsHardwareAcceleration(['electron', '.'], file)).toBe(false)
    await new SettingsService(file).update({ hardwareAcceleration: true })
    expect(wantsHardwareAcceleration(['electron', '.'], file)).toBe(true)
    writeFileSync(file, '{"hardwareAcceleration": fal')
    expect(wantsHardwareAcceleration(['electron', '.'], file)).toBe(true)
  })
})
