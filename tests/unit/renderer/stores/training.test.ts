// The training store with only lib/api replaced: events routed by run id into the runs and
// their series, the stored history merged under live points, and the controls' errors.
import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it } from 'vitest'
import { vi } from 'vitest'
import type { RunInfo, TrainingEvent } from '../../../../electron/common/types'

const fake = await vi.hoisted(async () => (await import('../../../support/fake-api')).createFakeApi())
vi.mock('../../../../renderer/src/lib/api', () => ({ api: fake.api, transport: fake.transport }))

import { ApiError } from '../../../../electron/common/errors'
import { useTrainingStore } from '../../../../renderer/src/stores/training'

function run(runId: string, over: Partial<RunInfo> = {}): RunInfo {
  return {
    runId, name: runId, datasetId: 'chat', checkpointId: runId, status: 'running', createdAt: '2026-12-01T10:00:00Z',
    model: null, train: null, params: 1000, elapsedSeconds: 0, lastSavedStep: null, best: null,
    metrics: { step: 0, steps: 100, trainLoss: null, valLoss: null, tokensPerSec: null }, ...over,
  }
}
const step = (runId: string, s: number, loss: number, val: number | null = null): TrainingEvent => ({
  runId, type: 'step', elapsedSeconds: s / 10,
  point: { step: s, steps: 100, passes: 1, trainLoss: loss, valLoss: val, lr: 1e-3, gradNorm: 1, tokensPerSec: 5000, etaSeconds: 100 - s },
})

describe('training store', () => {
  beforeEach(() => {
    setActivePinia(createPinia())
    fake.listeners.clear()
    for (const g of Object.values(fake.api)) for (const f of Object.values(g)) f.mockClear()
  })

  it('routes each event to its own run: steps extend that run\'s series and metrics only', async () => {
    fake.api.training.list.mockResolvedValue([run('a'), run('b')])
    const store = useTrainingStore()
    await store.load()
    fake.emit('training.onEvent', step('a', 1, 4.2))
    fake.emit('training.onEvent', step('b', 1, 3.0))
    fake.emit('training.onEvent', step('a', 2, 4.0, 4.1))
    fake.emit('training.onEvent', { runId: 'a', type: 'sample', sample: { step: 2, text: 'the pi' } })
    fake.emit('training.onEvent', { runId: 'a', type: 'saved', step: 2, reason: 'autosave' })
    expect(store.seriesOf('a').points.map((p) => [p.step, p.trainLoss, p.valLoss])).toEqual([[1, 4.2, null], [2, 4.0, 4.1]])
    expect(store.seriesOf('b').points).toHaveLength(1)
    expect(store.seriesOf('a').samples).toEqual([{ step: 2, text: 'the pi' }])
    const a = store.runs.find((r) => r.runId === 'a')!
    expect(a.metrics).toMatchObject({ step: 2, trainLoss: 4.0, valLoss: 4.1 })
    expect(a.lastSavedStep).toBe(2)
    expect(a.best).toBeNull()
    // the best weights, kept beside the checkpoint: the run's own checkpoint is still at step 2
    fake.emit('training.onEvent', { runId: 'a', type: 'saved', step: 3, reason: 'best', valLoss: 3.9 })
    expect(store.runs.find((r) => r.runId === 'a')).toMatchObject({ lastSavedStep: 2, best: { step: 3, valLoss: 3.9 } })
    expect(a.elapsedSeconds).toBe(0.2)
    expect(store.lastEta.a).toBe(98)
    expect(store.version).toBe(4)
    fake.emit('training.onEvent', { runId: 'a', type: 'paused', step: 2 })
    expect(store.activeRun?.runId).toBe('a')
    expect(store.runs[0]!.status).toBe('paused')
    fake.emit('training.onEvent', { runId: 'a', type: 'stopped', run: run('a', { status: 'stopped' }) })
    expect(store.activeRun?.runId).toBe('b')
  })

  it('loads a run\'s stored history once, under the points that came live meanwhile', async () => {
    fake.api.training.list.mockResolvedValue([run('a')])
    fake.api.training.history.mockResolvedValue({
      runId: 'a',
      points: [1, 2, 3, 4].map((s) => ({ step: s, trainLoss: 5 - s, valLoss: null, lr: 1e-3, tokensPerSec: 1, elapsedSeconds: s })),
      samples: [{ step: 2, text: 'x' }],
    })
    const store = useTrainingStore()
    await store.load()
    fake.emit('training.onEvent', step('a', 4, 1))
    fake.emit('training.onEvent', step('a', 5, 0.9))
    await store.loadHistory('a')
    await store.loadHistory('a')
    expect(fake.api.training.history).toHaveBeenCalledTimes(1)
    expect(store.seriesOf('a').points.map((p) => p.step)).toEqual([1, 2, 3, 4, 5])
    expect(store.seriesOf('a').samples).toHaveLength(1)
  })

  it('drops points past a continued run\'s checkpoint when it trains them again', async () => {
    const store = useTrainingStore()
    for (const s of [1, 2, 3, 4]) fake.emit('training.onEvent', step('a', s, 5 - s))
    fake.emit('training.onEvent', step('a', 3, 1.5)) // continued from the checkpoint at step 2
    expect(store.seriesOf('a').points.map((p) => [p.step, p.trainLoss])).toEqual([[1, 4], [2, 3], [3, 1.5]])
  })

  it('shows a refused control by its code and hint, and starts runs selected', async () => {
    const store = useTrainingStore()
    fake.api.training.pause.mockRejectedValue(new ApiError('NOT_RUNNING', 'run a is not training (it is stopped)'))
    expect(await store.pause('a')).toBe(false)
    expect(store.error).toEqual({ code: 'NOT_RUNNING', message: 'run a is not training (it is stopped)' })
    fake.api.training.start.mockResolvedValue(run('c'))
    expect(await store.start({ datasetId: 'chat' })).toMatchObject({ runId: 'c' })
    expect(store.error).toBeNull()
    expect(store.selected?.runId).toBe('c')
    fake.api.training.start.mockRejectedValue(new ApiError('OUT_OF_MEMORY', 'this run needs 9 GB', 'use batch 8'))
    expect(await store.start({ datasetId: 'chat' })).toBeNull()
    expect(store.error).toEqual({ code: 'OUT_OF_MEMORY', message: 'this run needs 9 GB', hint: 'use batch 8' })
  })
})
