// The check a native binary passes before it is packed: the real addons of both builds (the host's
// and the arm64 cross build) fit their own architecture and Bookworm's glibc and libstdc++, and
// each is refused, saying why, for the other architecture or under a glibc older than it needs.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { repoRoot } from '../../support/engine'

const script = join(repoRoot, 'tools', 'check-binary.mjs')
const x64Addon = join(repoRoot, 'native', 'out', 'Release', 'microgpt.node')
const arm64Addon = join(repoRoot, 'native', 'out-arm64', 'microgpt.node')
const check = (...args: string[]) => {
  const r = spawnSync(process.execPath, [script, ...args], { encoding: 'utf8' })
  return { code: r.status, out: r.stdout + r.stderr }
}

// the arm64 cross build (test:arm64) is made on an x86-64 host only
describe.skipIf(process.arch !== 'x64')('check-binary', () => {
  it('passes each addon for its own architecture and Bookworm, and refuses it for the other', () => {
    for (const f of [x64Addon, arm64Addon]) if (!existsSync(f)) throw new Error(`${f} is missing: run npm run test:native`)
    expect(check(x64Addon, '--arch', 'x64')).toMatchObject({ code: 0, out: expect.stringMatching(/x86-64, needs glibc 2\.\d+ and GLIBCXX_3\.4\.\d+: fits/) })
    expect(check(arm64Addon, '--arch', 'arm64')).toMatchObject({ code: 0, out: expect.stringContaining('aarch64, needs glibc') })
    expect(check(x64Addon, '--arch', 'arm64')).toMatchObject({ code: 1, out: expect.stringContaining('built for x86-64, not for aarch64') })
    expect(check(arm64Addon, '--arch', 'x64')).toMatchObject({ code: 1, out: expect.stringContaining('built for aarch64, not for x86-64') })
  })

  it('refuses a binary that needs a newer glibc or libstdc++ than the target has, and bad arguments', () => {
    expect(check(arm64Addon, '--arch', 'arm64', '--max-glibc', '2.17')).toMatchObject({ code: 1, out: expect.stringMatching(/needs glibc 2\.\d+, newer than 2\.17/) })
    expect(check(x64Addon, '--arch', 'x64', '--max-glibcxx', '3.4.19')).toMatchObject({ code: 1, out: expect.stringMatching(/needs GLIBCXX_3\.4\.\d+, newer than 3\.4\.19/) })
    expect(check(join(repoRoot, 'package.json'), '--arch', 'x64')).toMatchObject({ code: 1, out: expect.stringContaining('not an ELF binary') })
    expect(check(x64Addon, '--arch', 'riscv')).toMatchObject({ code: 2, out: expect.stringContaining('usage') })
  })
})
