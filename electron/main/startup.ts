// What the desktop app must decide before Electron is ready, from the command line and the
// settings file as it is on disk (the back end is not up yet): whether to use the GPU.
import { readFileSync } from 'node:fs'

/** False when `--disable-gpu` is given or the settings turn hardware acceleration off. An
 *  unreadable settings file counts as the default (on): the back end says what is wrong with it. */
export function wantsHardwareAcceleration(argv: readonly string[], settingsFile: string): boolean {
  if (argv.includes('--disable-gpu')) return false
  try {
    return (JSON.parse(readFileSync(settingsFile, 'utf8')) as { hardwareAcceleration?: unknown }).hardwareAcceleration !== false
  } catch {
    return true
  }
}
