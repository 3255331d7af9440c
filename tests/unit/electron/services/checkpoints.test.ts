// Checkpoints with the real engine process: passes vs quality (every point, progress, the cache
// beside the checkpoint and what invalidates it, cancel, a deleted dataset), and deleting a
// checkpoint: refused while a generation, a chat reply, an evaluation or training uses it,
// allowed under idle chats, which then ask for another model.
import { existsSync, rmSync, utimesSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Backend } from '../../../../electron/services/backend'
import { backendEvents, generationEnd, realBackend, trainedRun } from '../../../support/backend'
import { corpus, requireBuild, tempDir, tinyModel, tinyTrain, waitFor } from '../../../support/engine'

describe('checkpoints', () => {
  let backend: Backend
  let words: string // dataset of the runs whose checkpoints are deleted
  const events = backendEvents()
  const { training, evaluation: progress } = events

  const train = async (datasetId: string, name: string, steps = 8): Promise<{ id: string; path: string }> => {
    const run = await trainedRun(backend, events, datasetId, steps, name)
    const ck = (await backend.handlers.checkpoints.list()).find((c) => c.id === run.checkpointId)!
    return { id: ck.id, path: ck.path }
  }
  const ended = (generationId: string) => generationEnd(events, generationId)
  const qualityFile = (checkpointPath: string): string => checkpointPath.replace(/\.bin$/, '.quality.json')

  beforeAll(async () => {
    requireBuild()
    backend = await realBackend(tempDir('mg-checkpoints-'), events)
    words = (await backend.handlers.datasets.import({ name: 'words', text: corpus(30_000) })).id
  }, 60_000)
  afterAll(() => backend.dispose())

  describe('passes vs quality', () => {
    let ck: { id: string; path: string }
    let datasetId: string
    beforeAll(async () => {
      datasetId = (await backend.handlers.datasets.import({ name: 'more words', text: corpus(40_000) })).id
      ck = await train(datasetId, 'quality', 20)
    }, 60_000)

    it('evaluates the val split at 1..max passes and adaptively, with progress, and caches it beside the checkpoint', async () => {
      progress.length = 0
      const q = await backend.handlers.checkpoints.evaluatePasses({ checkpointId: ck.id })
      expect(q).toMatchObject({ checkpointId: ck.id, datasetId, cached: false })
      expect(q.points.map((p) => [p.passes, p.adaptive])).toEqual([[1, false], [2, false], [3, false], [4, false], [4, true]]) // micro: 4 passes at most
      expect(q.tokens).toBeGreaterThan(3000) // 10% of 40,000 characters
      for (const p of q.points) {
        expect(Number.isFinite(p.bitsPerChar) && p.bitsPerChar > 0).toBe(true)
        expect(p.bitsPerChar).toBeCloseTo(p.loss / Math.LN2, 9)
        expect(p.msPerToken).toBeGreaterThan(0)
      }
      expect(q.points.slice(0, 4).map((p) => p.meanPasses)).toEqual([1, 2, 3, 4])
      expect(q.points[4]!.meanPasses).toBeGreaterThanOrEqual(1)
      expect(q.points[4]!.meanPasses).toBeLessThanOrEqual(4)
      expect(progress.map((p) => [p.done, p.total])).toEqual([[0, 5], [1, 5], [2, 5], [3, 5], [4, 5], [5, 5]])
      expect(progress.at(-1)!.point).toEqual(q.points[4])
      expect(existsSync(qualityFile(ck.path))).toBe(true)

      progress.length = 0
      const again = await backend.handlers.checkpoints.evaluatePasses({ checkpointId: ck.id })
      expect(again).toEqual({ ...q, cached: true })
      expect(progress).toEqual([])
      // fewer passes: the cache covers them
      const two = await backend.handlers.checkpoints.evaluatePasses({ checkpointId: ck.id, maxPasses: 2 })
      expect(two.cached).toBe(true)
      expect(two.points.map((p) => [p.passes, p.adaptive])).toEqual([[1, false], [2, false], [4, true]])
      // more passes than the cache (and than training's max) are evaluated
      const six = await backend.handlers.checkpoints.evaluatePasses({ checkpointId: ck.id, maxPasses: 6 })
      expect(six.cached).toBe(false)
      expect(six.points).toHaveLength(7)
      expect(six.points[3]!.loss).toBe(q.points[3]!.loss) // the same checkpoint, split and passes: the same loss
      await expect(backend.handlers.checkpoints.evaluatePasses({ checkpointId: ck.id, maxPasses: 17 })).rejects.toMatchObject({ code: 'BAD_REQUEST' })
      await expect(backend.handlers.checkpoints.evaluatePasses({ checkpointId: ck.id, passes: 2 } as never)).rejects.toMatchObject({ code: 'BAD_REQUEST' })
    })

    it('evaluates again on refresh and when the checkpoint file changed', async () => {
      const before = await backend.handlers.checkpoints.evaluatePasses({ checkpointId: ck.id, maxPasses: 2 })
      expect(before.cached).toBe(true)
      progress.length = 0
      const fresh = await backend.handlers.checkpoints.evaluatePasses({ checkpointId: ck.id, maxPasses: 2, refresh: true })
      expect(fresh.cached).toBe(false)
      expect(fresh.computedAt > before.computedAt).toBe(true)
      expect(progress).toHaveLength(4)
      expect((await backend.handlers.checkpoints.evaluatePasses({ checkpointId: ck.id, maxPasses: 2 })).cached).toBe(true)
      const later = new Date(Date.now() + 5000)
      utimesSync(ck.path, later, later) // as a continued run's new save would
      expect((await backend.handlers.checkpoints.evaluatePasses({ checkpointId: ck.id, maxPasses: 2 })).cached).toBe(false)
    })

    it('joins a running evaluation of the same passes, refuses another, and cancels', async () => {
      const a = backend.handlers.checkpoints.evaluatePasses({ checkpointId: ck.id, maxPasses: 3, refresh: true })
      const b = backend.handlers.checkpoints.evaluatePasses({ checkpointId: ck.id, maxPasses: 3 })
      await expect(backend.handlers.checkpoints.evaluatePasses({ checkpointId: ck.id, maxPasses: 4 })).rejects.toMatchObject({ code: 'BUSY' })
      expect(await b).toEqual(await a)

      progress.length = 0
      const c = backend.handlers.checkpoints.evaluatePasses({ checkpointId: ck.id, refresh: true })
      await waitFor(() => progress.length > 0, 'the evaluation to start')
      await backend.handlers.checkpoints.cancelEvaluation({ checkpointId: ck.id })
      await expect(c).rejects.toMatchObject({ code: 'CANCELLED' })
      await expect(backend.handlers.checkpoints.cancelEvaluation({ checkpointId: ck.id })).rejects.toMatchObject({ code: 'NOT_FOUND' })
      expect(progress.length).toBeLessThan(6)
      // the cache of the last whole evaluation is still there
      expect((await backend.handlers.checkpoints.evaluatePasses({ checkpointId: ck.id, maxPasses: 3 })).cached).toBe(true)
    })

    it('says so when the dataset or the checkpoint file is gone', async () => {
      await backend.handlers.datasets.remove({ id: datasetId })
      await expect(backend.handlers.checkpoints.evaluatePasses({ checkpointId: ck.id, refresh: true })).rejects.toMatchObject({
        code: 'NOT_FOUND', message: `the dataset this model was trained on, ${datasetId}, is no longer here; download or import it again`,
      })
      rmSync(ck.path)
      await expect(backend.handlers.checkpoints.evaluatePasses({ checkpointId: ck.id })).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('is missing') })
      await expect(backend.handlers.checkpoints.evaluatePasses({ checkpointId: 'run-none' })).rejects.toMatchObject({ code: 'NOT_FOUND' })
    })
  })

  describe('the best checkpoint', () => {
    it('is listed after its run\'s own, runs generation, chat and evaluation, and is deleted alone or with the run', async () => {
      const run = await trainedRun(backend, events, words, 40, 'kept')
      expect(run.best).not.toBeNull()
      const best = run.best!
      const mine = (await backend.handlers.checkpoints.list()).filter((c) => c.runId === run.runId)
      expect(mine.map((c) => [c.id, c.variant, c.name])).toEqual([[run.checkpointId, 'latest', 'kept'], [`${run.checkpointId}.best`, 'best', 'kept · best']])
      const [latest, kept] = mine as [typeof mine[0], typeof mine[0]]
      expect(kept).toMatchObject({ trainedSteps: best.step, valLoss: best.valLoss, path: latest.path.replace(/\.bin$/, '.best.bin') })
      expect(best.step).toBeLessThanOrEqual(40)
      // the lowest of the run's evaluations, at its step
      const vals = training.flatMap((e) => (e.runId === run.runId && e.type === 'step' && e.point.valLoss !== null ? [[e.point.step, e.point.valLoss] as const] : []))
      const lowest = vals.reduce((a, b) => (b[1] < a[1] ? b : a))
      expect([best.step, best.valLoss]).toEqual([lowest[0], expect.closeTo(lowest[1], 5)])

      const g = await backend.handlers.generation.start({ checkpointId: kept.id, prompt: 'the ', maxTokens: 10 })
      expect(await ended(g.generationId)).toMatchObject({ type: 'done', result: { tokens: 10 } })
      const q = await backend.handlers.checkpoints.evaluatePasses({ checkpointId: kept.id, maxPasses: 1 })
      expect(q).toMatchObject({ checkpointId: kept.id, cached: false })
      expect(existsSync(qualityFile(kept.path))).toBe(true)

      await backend.handlers.checkpoints.remove({ id: kept.id }) // the best alone: the run and its checkpoint stay
      expect(existsSync(kept.path) || existsSync(qualityFile(kept.path))).toBe(false)
      expect(existsSync(latest.path)).toBe(true)
      expect((await backend.handlers.checkpoints.list()).filter((c) => c.runId === run.runId).map((c) => c.id)).toEqual([run.checkpointId])
      expect((await backend.handlers.training.list()).find((r) => r.runId === run.runId)?.best).toBeNull()
      await expect(backend.handlers.generation.start({ checkpointId: kept.id, prompt: '' })).rejects.toMatchObject({ code: 'NOT_FOUND' })
      await backend.handlers.checkpoints.remove({ id: latest.id })
    })
  })

  describe('deleting', () => {
    it('is refused while training writes the checkpoint', async () => {
      const run = await backend.handlers.training.start({ datasetId: words, name: 'long', model: tinyModel, train: { ...tinyTrain, steps: 100_000 } })
      await waitFor(() => training.find((e) => e.runId === run.runId && e.type === 'step'), 'training to start')
      await expect(backend.handlers.checkpoints.remove({ id: run.checkpointId })).rejects.toMatchObject({ code: 'BUSY', message: 'run long is training; stop it first' })
      await expect(backend.handlers.checkpoints.evaluatePasses({ checkpointId: run.checkpointId })).rejects.toMatchObject({ code: 'BUSY' })
      await backend.handlers.training.stop({ runId: run.runId })
      await waitFor(() => training.find((e) => e.runId === run.runId && e.type === 'stopped'), 'training to stop')
      await backend.handlers.checkpoints.remove({ id: run.checkpointId })
      expect((await backend.handlers.training.list()).some((r) => r.runId === run.runId)).toBe(false) // its record goes with it
    })

    it('is refused while a generation, a chat reply or an evaluation runs on it; idle chats then ask for another model', async () => {
      const ck = await train(words, 'doomed', 30)
      const other = await train(words, 'spare')
      const chat = await backend.handlers.chats.create({ checkpointId: ck.id, title: 'Talk' })
      const idle = await backend.handlers.chats.create({ checkpointId: ck.id, title: 'Quiet' })
      // running until cancelled: a plain continuation never ends before maxTokens, and this model's
      // greedy reply to 'the model' does not pick an end of turn (training and greedy decoding are
      // deterministic; the cancelled replies below show that they ran)
      const endless = { maxTokens: 1_000_000, temperature: 0 }

      const g = await backend.handlers.generation.start({ checkpointId: ck.id, prompt: 'the ', ...endless })
      await expect(backend.handlers.checkpoints.remove({ id: ck.id })).rejects.toMatchObject({ code: 'BUSY', message: 'checkpoint doomed is in use by a generation' })
      await backend.handlers.generation.cancel(g)
      expect(await ended(g.generationId)).toMatchObject({ result: { stopReason: 'cancelled' } })

      const r = await backend.handlers.chats.reply({ chatId: chat.id, message: 'the model', ...endless })
      await expect(backend.handlers.checkpoints.remove({ id: ck.id })).rejects.toMatchObject({ code: 'BUSY', message: 'checkpoint doomed is in use by a reply in chat "Talk"' })
      await backend.handlers.generation.cancel(r)
      expect(await ended(r.generationId)).toMatchObject({ result: { stopReason: 'cancelled' } })

      progress.length = 0
      const e = backend.handlers.checkpoints.evaluatePasses({ checkpointId: ck.id })
      await expect(backend.handlers.checkpoints.remove({ id: ck.id })).rejects.toMatchObject({ code: 'BUSY', message: 'checkpoint doomed is in use by a passes evaluation' })
      expect((await e).cached).toBe(false)
      expect(existsSync(qualityFile(ck.path))).toBe(true)

      await backend.handlers.checkpoints.remove({ id: ck.id })
      expect(existsSync(ck.path) || existsSync(qualityFile(ck.path)) || existsSync(ck.path.replace(/\.bin$/, '.best.bin'))).toBe(false)
      const left = (await backend.handlers.checkpoints.list()).filter((c) => c.runId === ck.id || c.runId === other.id)
      expect(left.map((c) => c.id)).toEqual([other.id, `${other.id}.best`]) // the doomed run's best went with it
      expect((await backend.handlers.chats.list()).map((c) => c.title).sort()).toEqual(['Quiet', 'Talk'])
      expect((await backend.handlers.chats.get({ id: chat.id })).messages.map((m) => m.role)).toEqual(['user', 'assistant'])
      await expect(backend.handlers.chats.reply({ chatId: idle.id, message: 'hello' })).rejects.toMatchObject({
        code: 'NOT_FOUND', message: `the model this chat used (${ck.id}) was deleted; pick another model for this chat`,
      })
      expect((await backend.handlers.chats.get({ id: idle.id })).messages).toEqual([])
      await expect(backend.handlers.chats.regenerate({ chatId: chat.id })).rejects.toMatchObject({ code: 'NOT_FOUND' })
      await expect(backend.handlers.generation.start({ checkpointId: ck.id, prompt: '' })).rejects.toMatchObject({ code: 'NOT_FOUND' })
      await expect(backend.handlers.checkpoints.evaluatePasses({ checkpointId: ck.id })).rejects.toMatchObject({ code: 'NOT_FOUND' })
      await expect(backend.handlers.chats.create({ checkpointId: ck.id })).rejects.toMatchObject({ code: 'NOT_FOUND' })

      // pointed at another model, the chat answers again
      await backend.handlers.chats.update({ id: idle.id, checkpointId: other.id })
      const again = await backend.handlers.chats.reply({ chatId: idle.id, message: 'hello', maxTokens: 5 })
      expect(await ended(again.generationId)).toMatchObject({ type: 'done' })
    })
  })
})
