// The folders name environments, and each may use only what its environment has:
//   electron/common                  nothing outside electron/common
//   electron/{services,engine-host,serve,cli}  Node and common, never electron
//   electron/{main,preload}          the only places that import 'electron'
//   renderer/                        no Node built-ins, no electron, nothing of electron/ but common
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'
import { repoRoot } from '../support/engine'

function files(dir: string): string[] {
  return readdirSync(join(repoRoot, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.(ts|vue)$/.test(e.name))
    .map((e) => relative(repoRoot, join(e.parentPath, e.name)))
}

function imports(file: string): string[] {
  const text = readFileSync(join(repoRoot, file), 'utf8')
  return [...text.matchAll(/(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]/g)].map((m) => m[1] ?? m[2])
}

describe('import boundaries', () => {
  it('keeps electron/common free of everything else', () => {
    for (const f of files('electron/common'))
      for (const i of imports(f)) expect(i.startsWith('./'), `${f} imports ${i}`).toBe(true)
  })

  it('lets only electron/main and electron/preload import electron', () => {
    for (const dir of ['electron/services', 'electron/engine-host', 'electron/serve', 'electron/cli', 'electron/common'])
      for (const f of files(dir)) expect(imports(f), f).not.toContain('electron')
    expect(files('electron/main').some((f) => imports(f).includes('electron'))).toBe(true)
  })

  it('keeps the renderer away from Node and from the back end', () => {
    for (const f of files('renderer/src'))
      for (const i of imports(f)) {
        expect(i.startsWith('node:') || i === 'electron' || i === 'ws', `${f} imports ${i}`).toBe(false)
        expect(/electron\/(services|main|preload|serve|engine-host)/.test(i), `${f} imports ${i}`).toBe(false)
      }
  })

  it('keeps stores as the only callers of the API', () => {
    for (const f of files('renderer/src'))
      if (!f.includes('/stores/') && !f.includes('/lib/'))
        expect(imports(f).some((i) => i.endsWith('lib/api')), `${f} imports lib/api`).toBe(false)
  })
})
