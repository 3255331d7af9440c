// The packaging (electron-builder.yml, tools/dist.mjs, tools/after-pack.mjs), as far as this
// machine can take it without Electron's binary:
// - the configuration passes app-builder-lib's own validation, and a wrong key or value fails it;
// - electron-builder really assembles the app (`--dir` with a local electronDist): it writes the
//   app archive and the unpacked addon, and is then stopped only by the missing Electron binary
//   (node_modules/electron/dist is empty here; where it is installed the assembly completes and
//   the afterPack check runs on it too). What it packed is checked: the built app, the catalog,
//   the runtime dependencies and the addon, unpacked, for this architecture, and no source,
//   test, source map or devDependency;
// - the packed engine process, taken out of the archive, loads the packed addon and trains.
import { extractAll, listPackage } from '@electron/asar'
import { createRequire } from 'node:module'
import { cpSync, existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Backend } from '../../../electron/services/backend'
import { engineEnv, forkEngine } from '../../../electron/services/node-engine'
import { backendEvents, realBackend, trainedRun } from '../../support/backend'
import { corpus, repoRoot, requireBuild, tempDir } from '../../support/engine'

const require = createRequire(import.meta.url)
const { getConfig, validateConfiguration } = require('app-builder-lib/out/util/config/config') as {
  getConfig(projectDir: string, configPath: string | null, configFromOptions: object | null): Promise<Record<string, any>>
  validateConfiguration(config: object, debugLogger: object): Promise<void>
}
const { DebugLogger } = require('builder-util') as { DebugLogger: new (enabled?: boolean) => object }
const validate = (config: object) => validateConfiguration(config, new DebugLogger(false))
const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> }

describe('electron-builder.yml', () => {
  it('passes electron-builder\'s validation, and names what it packs', async () => {
    const config = await getConfig(repoRoot, null, null)
    await validate(config)
    expect(config.linux.target).toEqual(['deb', 'AppImage'])
    expect(config.toolsets.appimage).toBe('1.0.3') // the static runtime: no libfuse2
    expect(config.deb.depends).toContain('libgomp1')
    expect(config.linux.desktop.entry.StartupWMClass).toBe('microgpt-rlm-pi')
    expect(config.linux.maintainer).toMatch(/^.+ <.+@.+>$/)
  })

  it('fails validation on a misspelt key or a wrong value, naming it', async () => {
    const config = await getConfig(repoRoot, null, null)
    await expect(validate({ ...config, asarUnpak: ['**/*.node'] })).rejects.toThrow("configuration has an unknown property 'asarUnpak'")
    await expect(validate({ ...config, deb: { ...config.deb, depnds: ['libgomp1'] } })).rejects.toThrow('configuration.deb should be')
    await expect(validate({ ...config, toolsets: { appimage: '9.9.9' } })).rejects.toThrow('configuration.toolsets.appimage should be')
    await expect(validate({ ...config, asar: 'yes' })).rejects.toThrow('configuration.asar should be one of these')
  })
})

// tools/dist.mjs stages the addon where electron-builder.yml takes it; here the one npm test built
const hostAddon = join(repoRoot, 'native', 'out', 'Release', 'microgpt.node')

describe.skipIf(process.arch !== 'x64' && process.arch !== 'arm64')('the app electron-builder assembles', () => {
  const out = tempDir('mg-dist-')
  const appOut = join(out, 'linux-unpacked')
  const archive = join(appOut, 'resources', 'app.asar')
  const unpackedAddon = join(appOut, 'resources', 'app.asar.unpacked', 'native', 'microgpt.node')
  let entries: string[] = []
  let assembled: 'complete' | 'stopped at the Electron binary'
  let backend: Backend | null = null

  beforeAll(async () => {
    requireBuild()
    const { stageAddon } = await import('../../../tools/dist.mjs')
    stageAddon(process.arch, hostAddon)
    const electronDist = join(repoRoot, 'node_modules', 'electron', 'dist')
    const haveElectron = existsSync(join(electronDist, 'electron'))
    const { Arch, Platform, build } = await import('electron-builder')
    try {
      await build({
        projectDir: repoRoot,
        targets: Platform.LINUX.createTarget(['dir'], Arch[process.arch as 'x64' | 'arm64']),
        publish: 'never',
        config: { electronDist: haveElectron ? electronDist : tempDir('mg-no-electron-'), directories: { output: out } },
      })
      assembled = 'complete'
    } catch (e) {
      // without the binary, the step after packing the app (naming the executable) is where it ends
      if (haveElectron || !/ENOENT.*rename '.*linux-unpacked\/electron'/.test((e as Error).message)) throw e
      assembled = 'stopped at the Electron binary'
    }
    entries = listPackage(archive, { isPack: false }).map((e) => e.replaceAll('\\', '/'))
  }, 180_000)
  afterAll(async () => {
    await backend?.dispose()
  })

  it('packs the built app, the catalog and the runtime dependencies', () => {
    expect(['complete', 'stopped at the Electron binary']).toContain(assembled)
    for (const f of ['/package.json', '/out/main/index.js', '/out/main/engine-host.js', '/out/preload/index.js', '/out/renderer/index.html', '/data/catalog.json'])
      expect(entries).toContain(f)
    const modules = new Set(entries.flatMap((e) => /^\/node_modules\/((?:@[^/]+\/)?[^/]+)$/.exec(e)?.[1] ?? []))
    expect([...modules].sort()).toEqual(Object.keys(pkg.dependencies).sort()) // ws and hyparquet need nothing more
    const packedPkg = JSON.parse(readFileSync(join(extracted(), 'package.json'), 'utf8'))
    expect(packedPkg.devDependencies).toBeUndefined()
    expect(packedPkg.scripts).toBeUndefined()
  })

  it('leaves out sources, tests, source maps, build files and devDependencies', () => {
    const bad = entries.filter((e) =>
      /\.(map|ts|vue|cpp|h|mts)$/.test(e) || /^\/(electron|renderer|native\/src|native\/out|tests|tools|build|docs)(\/|$)/.test(e) || /\.test\./.test(e))
    expect(bad).toEqual([])
    for (const dev of Object.keys(pkg.devDependencies)) expect(entries).not.toContain(`/node_modules/${dev}`)
  })

  it('unpacks the addon for this architecture where the engine process looks', async () => {
    expect(entries).toContain('/native/microgpt.node')
    expect(readFileSync(unpackedAddon).equals(readFileSync(hostAddon))).toBe(true)
    const { assertPackable } = await import('../../../tools/check-binary.mjs')
    expect(assertPackable(unpackedAddon, process.arch)).toContain('fits')
    const { afterPack } = await import('../../../tools/after-pack.mjs')
    await expect(afterPack({ appOutDir: appOut, arch: process.arch === 'x64' ? 1 : 3 })).resolves.toBeUndefined() // the hook on this app
    await expect(afterPack({ appOutDir: appOut, arch: process.arch === 'x64' ? 3 : 1 })).rejects.toThrow(/cannot be packed for/) // and for the other arch
  })

  let extractedDir: string | null = null
  function extracted(): string {
    if (!extractedDir) {
      extractedDir = tempDir('mg-app-')
      extractAll(archive, extractedDir)
    }
    return extractedDir
  }

  it('runs: the packed engine process finds the unpacked addon by itself, and trains', async () => {
    // the packaged layout as Electron presents it: the archive as a folder, the unpacked files beside it
    const resources = tempDir('mg-resources-')
    cpSync(extracted(), join(resources, 'app.asar'), { recursive: true })
    cpSync(join(appOut, 'resources', 'app.asar.unpacked'), join(resources, 'app.asar.unpacked'), { recursive: true })
    const hostScript = join(resources, 'app.asar', 'out', 'main', 'engine-host.js')
    const { MICROGPT_ADDON: _override, ...env } = engineEnv()
    const events = backendEvents()
    backend = await realBackend(tempDir('mg-dist-data-'), events, { spawnEngine: () => forkEngine(hostScript, env) })
    expect((await backend.handlers.engine.info()).kernels).toBeTruthy()
    const datasetId = (await backend.handlers.datasets.import({ name: 'words', text: corpus(20_000) })).id
    const run = await trainedRun(backend, events, datasetId, 4)
    expect(run.status).toBe('finished')
    expect(readdirSync(join(extracted(), 'out', 'main')).some((f) => f.endsWith('.map'))).toBe(false)
  })
})
