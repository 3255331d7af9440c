// Checkpoints (the checkpoints namespace): every saved model, newest first, for the windows that
// generate and chat with one; and the passes-vs-quality measurement of one, its points arriving
// as they are evaluated (the back end caches the result per checkpoint file).
import type { CheckpointEntry, PassesQuality, PassesQualityPoint } from '@common/types'
import { acceptHMRUpdate, defineStore } from 'pinia'
import { ref } from 'vue'
import { api } from '../lib/api'
import { toShownError, type ShownError } from '../lib/errors'

export interface QualityRun {
  checkpointId: string
  done: number
  total: number
  points: PassesQualityPoint[] // so far
}

export const useCheckpointsStore = defineStore('checkpoints', () => {
  const entries = ref<CheckpointEntry[]>([])
  const loaded = ref(false)
  const error = ref<ShownError | null>(null)
  const quality = ref<Record<string, PassesQuality>>({}) // by checkpoint id
  const evaluating = ref<QualityRun | null>(null)
  const qualityError = ref<ShownError | null>(null)

  api.checkpoints.onEvaluation((p) => {
    const run = evaluating.value
    if (!run || run.checkpointId !== p.checkpointId) return
    evaluating.value = { ...run, done: p.done, total: p.total, points: p.point ? [...run.points, p.point] : run.points }
  })

  async function load(): Promise<void> {
    try {
      entries.value = await api.checkpoints.list()
      loaded.value = true
      error.value = null
    } catch (e) {
      error.value = toShownError(e)
    }
  }
  const byId = (id: string | null): CheckpointEntry | null => entries.value.find((c) => c.id === id) ?? null

  async function evaluatePasses(checkpointId: string, maxPasses: number, refresh = false): Promise<boolean> {
    if (evaluating.value) return false
    qualityError.value = null
    evaluating.value = { checkpointId, done: 0, total: maxPasses + 1, points: [] }
    try {
      quality.value = { ...quality.value, [checkpointId]: await api.checkpoints.evaluatePasses({ checkpointId, maxPasses, refresh }) }
      return true
    } catch (e) {
      const shown = toShownError(e)
      if (shown.code !== 'CANCELLED') qualityError.value = shown
      return false
    } finally {
      evaluating.value = null
    }
  }
  async function cancelEvaluation(): Promise<void> {
    const run = evaluating.value
    if (!run) return
    try {
      await api.checkpoints.cancelEvaluation({ checkpointId: run.checkpointId })
    } catch (e) {
      if (toShownError(e).code !== 'NOT_FOUND') qualityError.value = toShownError(e)
    }
  }

  return { entries, loaded, error, quality, evaluating, qualityError, load, byId, evaluatePasses, cancelEvaluation }
})

if (import.meta.hot) import.meta.hot.accept(acceptHMRUpdate(useCheckpointsStore, import.meta.hot))
