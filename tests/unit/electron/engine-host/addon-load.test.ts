// When the engine addon will not load, the error says why and what fixes it, for the cases a
// packaged app meets on a Pi: the package for another architecture, the OpenMP runtime not
// installed, a damaged file. Each is a real loader failure: the real arm64 addon in this x86-64
// Node, a real shared object that needs a library that is not there, bytes that are not ELF. The
// last check goes through the engine process and the back end, as the window sees it.
import { execFileSync } from 'node:child_process'
import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { loadAddon } from '../../../../electron/engine-host/addon'
import { engineEnv, forkEngine } from '../../../../electron/services/node-engine'
import { backendEvents, realBackend } from '../../../support/backend'
import { hostScript, repoRoot, requireBuild, tempDir } from '../../../support/engine'

const arm64Addon = join(repoRoot, 'native', 'out-arm64', 'microgpt.node')
const saved = process.env.MICROGPT_ADDON
afterEach(() => {
  if (saved === undefined) delete process.env.MICROGPT_ADDON
  else process.env.MICROGPT_ADDON = saved
})

/** The loader's error for `file` as loadAddon reports it. */
function loadError(file: string): { message: string; code: string; hint: string } {
  process.env.MICROGPT_ADDON = file
  try {
    loadAddon(join(repoRoot, 'out', 'main'))
  } catch (e) {
    return e as { message: string; code: string; hint: string }
  }
  throw new Error(`${file} loaded`)
}

/** A shared object that needs `libName` (its soname), built against a stand-in that is then removed. */
function needsMissingLibrary(dir: string, libName: string): string {
  writeFileSync(join(dir, 'lib.c'), 'int needed(void) { return 1; }\n')
  writeFileSync(join(dir, 'addon.c'), 'int needed(void);\nint uses(void) { return needed(); }\n')
  const lib = join(dir, libName)
  execFileSync('cc', ['-shared', '-fPIC', `-Wl,-soname,${libName}`, '-o', lib, join(dir, 'lib.c')])
  const addon = join(dir, 'addon.node')
  execFileSync('cc', ['-shared', '-fPIC', '-o', addon, join(dir, 'addon.c'), lib])
  rmSync(lib)
  return addon
}

// The other architecture's addon is the arm64 cross build, which the x86-64 host makes (test:arm64)
describe.skipIf(process.arch !== 'x64')('an engine addon that will not load', () => {
  it('built for another architecture: names both and the package to install', () => {
    const e = loadError(arm64Addon)
    expect(e.code).toBe('ENGINE_LOAD_FAILED')
    expect(e.message).toContain(`the engine addon (${arm64Addon}) cannot be loaded`)
    expect(e.hint).toBe("it is built for arm64, but this machine is x64: install the app's x64 package instead, or rebuild it here with `npm run build:native`")
  })

  it('without the OpenMP runtime: says to install libgomp1; another missing library is named', () => {
    const dir = tempDir('mg-addon-')
    expect(loadError(needsMissingLibrary(dir, 'libgomp.so.97')).hint).toBe('the OpenMP runtime (libgomp.so.97) is not installed: `sudo apt install libgomp1`, then start the app again')
    expect(loadError(needsMissingLibrary(dir, 'libother.so.3')).hint).toContain('a library it needs (libother.so.3) is not installed')
  })

  it('damaged: says to reinstall', () => {
    const file = join(tempDir('mg-addon-'), 'microgpt.node')
    writeFileSync(file, Buffer.from('not an ELF file at all, just some bytes'))
    expect(loadError(file)).toMatchObject({ code: 'ENGINE_LOAD_FAILED', hint: expect.stringContaining('damaged or not an engine addon: reinstall the app') })
  })

  it('reaches the window as the engine\'s error, with the fix', async () => {
    requireBuild()
    const backend = await realBackend(tempDir('mg-addon-data-'), backendEvents(), {
      spawnEngine: () => forkEngine(hostScript, { ...engineEnv(), MICROGPT_ADDON: arm64Addon }),
    })
    try {
      await expect(backend.handlers.engine.info()).rejects.toMatchObject({ code: 'ENGINE_LOAD_FAILED', hint: expect.stringContaining('built for arm64, but this machine is x64') })
    } finally {
      await backend.dispose()
    }
  })
})
