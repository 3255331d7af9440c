// `npm run data` as a user runs it (the built out/main/data.js), against the shipped catalog
// moved to a local server: it prepares and combines datasets into the data folder, lists the
// catalog, and fails with the error's message and a non-zero exit.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fixtureCatalog, type FixtureCatalog } from '../../../support/datasets'
import { repoRoot, requireBuild, tempDir } from '../../../support/engine'

describe('npm run data', () => {
  let fx: FixtureCatalog
  beforeAll(async () => {
    requireBuild()
    fx = await fixtureCatalog()
  })
  afterAll(() => fx.close())
  // spawned asynchronously: the fixture server lives in this process and must keep answering
  const run = (...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      const child = spawn(process.execPath, [join(repoRoot, 'out', 'main', 'data.js'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
      let stdout = ''
      let stderr = ''
      child.stdout.on('data', (d) => (stdout += d))
      child.stderr.on('data', (d) => (stderr += d))
      child.on('close', (status) => resolve({ status, stdout, stderr }))
    })

  it('downloads, cleans and combines into the data folder, and prints where each text is', async () => {
    const dataDir = tempDir('mg-data-')
    const r = await run('--catalog', fx.file, '--data-dir', dataDir, 'frankenstein', 'wikitext-2', '--combine', 'Books and wiki')
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    expect(r.stdout).toMatch(/^frankenstein: \[#*\.*\] +\d+% /m) // progress lines
    expect(r.stdout).toContain('frankenstein: ready')
    expect(r.stdout).toContain(join(dataDir, 'datasets', 'wikitext-2.txt'))
    const combined = /(\S*mix-\S+\.txt)/.exec(r.stdout)?.[1]
    expect(combined && existsSync(combined)).toBe(true)
    expect(readFileSync(combined!, 'utf8')).toContain('<|eot|>')
  })

  it('lists the catalog', async () => {
    const r = await run('--catalog', fx.file, '--list')
    expect(r.status).toBe(0)
    expect(r.stdout).toMatch(/^chat\s+builtin\s+Chat/m)
    expect(r.stdout).toMatch(/^wikitext-2\s+download/m)
  })

  it('exits non-zero with the message when a dataset cannot be had', async () => {
    const catalog = JSON.parse(readFileSync(fx.file, 'utf8'))
    catalog.datasets.find((d: { id: string }) => d.id === 'names').sources[0].url = 'http://no-such-host.invalid/names.txt'
    const file = join(tempDir(), 'catalog.json')
    writeFileSync(file, JSON.stringify(catalog))
    const offline = await run('--catalog', file, '--data-dir', tempDir(), 'names')
    expect(offline.status).toBe(1)
    expect(offline.stderr).toMatch(/error: could not download Baby names: the server cannot be reached/)
    expect(offline.stderr).toMatch(/hint: check the internet connection/)
    const unknown = await run('--catalog', fx.file, '--data-dir', tempDir(), 'nope')
    expect(unknown.status).toBe(1)
    expect(unknown.stderr).toContain("there is no dataset 'nope' in the catalog")
    expect(spawnSync(process.execPath, [join(repoRoot, 'out', 'main', 'data.js'), '--bogus']).status).toBe(2)
  })
})
