// Training (the training namespace): the runs, each one's history (every step's losses and the
// samples, loaded from the back end and extended live by its events, routed by run id), and the
// controls. The series are plain arrays outside Vue's deep reactivity (charts read them at 10+
// events a second); `version` ticks when any of them grows.
import type { HistoryPoint, RunHistory, RunInfo, TrainingEvent, TrainingSample, TrainStartRequest } from '@common/types'
import { acceptHMRUpdate, defineStore } from 'pinia'
import { computed, markRaw, ref, shallowRef } from 'vue'
import { api } from '../lib/api'
import { toShownError, type ShownError } from '../lib/errors'

export interface LiveSeries {
  points: HistoryPoint[]
  samples: TrainingSample[]
  loaded: boolean // the stored history is in (live points before it are merged)
}

const active = (r: RunInfo): boolean => r.status === 'running' || r.status === 'paused'

export const useTrainingStore = defineStore('training', () => {
  const runs = ref<RunInfo[]>([])
  const error = ref<ShownError | null>(null)
  const selectedId = ref<string | null>(null)
  const compareIds = ref<string[]>([])
  const series = shallowRef(new Map<string, LiveSeries>())
  const version = ref(0)
  const lastEta = ref<Record<string, number>>({})
  const notices = ref<Record<string, string>>({}) // per run: the latest save or save failure, in words
  let loading: Promise<void> | null = null

  const activeRun = computed(() => runs.value.find(active) ?? null)
  const selected = computed(() => runs.value.find((r) => r.runId === selectedId.value) ?? activeRun.value ?? runs.value[0] ?? null)

  function seriesOf(runId: string): LiveSeries {
    let s = series.value.get(runId)
    if (!s) {
      s = markRaw({ points: [], samples: [], loaded: false })
      series.value.set(runId, s)
    }
    return s
  }

  function upsert(r: RunInfo): void {
    const i = runs.value.findIndex((x) => x.runId === r.runId)
    if (i >= 0) runs.value.splice(i, 1, r)
    else runs.value.unshift(r)
  }
  function patch(runId: string, f: (r: RunInfo) => RunInfo): void {
    const i = runs.value.findIndex((x) => x.runId === runId)
    if (i >= 0) runs.value.splice(i, 1, f(runs.value[i]!))
  }

  function onEvent(e: TrainingEvent): void {
    switch (e.type) {
      case 'started':
        upsert(e.run)
        break
      case 'step': {
        const p = e.point
        const s = seriesOf(e.runId)
        // a continued run restarts from its checkpoint: points past it are history no more
        while (s.points.length && s.points.at(-1)!.step >= p.step) s.points.pop()
        s.points.push({ step: p.step, trainLoss: p.trainLoss, valLoss: p.valLoss, lr: p.lr, tokensPerSec: p.tokensPerSec, elapsedSeconds: e.elapsedSeconds })
        version.value++
        lastEta.value = { ...lastEta.value, [e.runId]: p.etaSeconds }
        patch(e.runId, (r) => ({
          ...r,
          elapsedSeconds: e.elapsedSeconds,
          metrics: { step: p.step, steps: p.steps, trainLoss: p.trainLoss, valLoss: p.valLoss ?? r.metrics.valLoss, tokensPerSec: p.tokensPerSec },
        }))
        break
      }
      case 'sample':
        seriesOf(e.runId).samples.push(e.sample)
        version.value++
        break
      case 'saved':
        if (e.reason === 'best') {
          // the best weights beside the checkpoint: the run's own checkpoint is as it was
          patch(e.runId, (r) => ({ ...r, best: { step: e.step, valLoss: e.valLoss ?? r.metrics.valLoss ?? 0 } }))
          break
        }
        patch(e.runId, (r) => {
          const { saveError: _cleared, ...rest } = r
          return { ...rest, lastSavedStep: e.step }
        })
        notices.value = { ...notices.value, [e.runId]: `Saved at step ${e.step}` }
        break
      case 'saveFailed':
        patch(e.runId, (r) => ({ ...r, saveError: e.error }))
        notices.value = {
          ...notices.value,
          [e.runId]: `Could not save at step ${e.step}: ${e.error.message}${e.willRetry ? (e.retryAtStep ? ` (trying again at step ${e.retryAtStep})` : ' (trying again)') : ''}`,
        }
        break
      case 'paused':
      case 'resumed':
        patch(e.runId, (r) => ({ ...r, status: e.type === 'paused' ? 'paused' : 'running' }))
        break
      case 'finished':
      case 'stopped':
      case 'failed':
        upsert(e.run)
        break
    }
  }
  api.training.onEvent(onEvent)

  function load(): Promise<void> {
    loading ??= api.training.list().then(
      (list) => {
        runs.value = list
        error.value = null
      },
      (e) => {
        error.value = toShownError(e)
        loading = null
      },
    )
    return loading
  }
  async function reload(): Promise<void> {
    loading = null
    await load()
  }

  /** The stored history of a run, merged under the points that arrived live meanwhile. */
  async function loadHistory(runId: string): Promise<void> {
    const s = seriesOf(runId)
    if (s.loaded) return
    let h: RunHistory
    try {
      h = await api.training.history({ runId })
    } catch (e) {
      error.value = toShownError(e)
      return
    }
    const firstLive = s.points[0]?.step ?? Infinity
    s.points.unshift(...h.points.filter((p) => p.step < firstLive))
    const firstSample = s.samples[0]?.step ?? Infinity
    s.samples.unshift(...h.samples.filter((x) => x.step < firstSample))
    s.loaded = true
    version.value++
  }

  async function act(fn: () => Promise<unknown>): Promise<boolean> {
    try {
      await fn()
      error.value = null
      return true
    } catch (e) {
      error.value = toShownError(e)
      return false
    }
  }

  async function start(req: TrainStartRequest): Promise<RunInfo | null> {
    error.value = null
    try {
      const r = await api.training.start(req)
      upsert(r)
      seriesOf(r.runId).loaded = true // a new run has no stored history
      selectedId.value = r.runId
      return r
    } catch (e) {
      error.value = toShownError(e)
      return null
    }
  }
  const pause = (runId: string) => act(() => api.training.pause({ runId }))
  const resume = (runId: string) => act(() => api.training.resume({ runId }))
  const stop = (runId: string) => act(() => api.training.stop({ runId }))
  async function continueRun(runId: string, steps?: number): Promise<boolean> {
    return act(async () => {
      upsert(await api.training.continue(steps ? { runId, steps } : { runId }))
      selectedId.value = runId
    })
  }
  async function remove(runId: string): Promise<boolean> {
    const ok = await act(() => api.training.remove({ runId }))
    if (ok) {
      runs.value = runs.value.filter((r) => r.runId !== runId)
      series.value.delete(runId)
      compareIds.value = compareIds.value.filter((id) => id !== runId)
      if (selectedId.value === runId) selectedId.value = null
    }
    return ok
  }
  function select(runId: string): void {
    selectedId.value = runId
    void loadHistory(runId)
  }
  function toggleCompare(runId: string): void {
    compareIds.value = compareIds.value.includes(runId) ? compareIds.value.filter((id) => id !== runId) : [...compareIds.value, runId]
    void loadHistory(runId)
  }

  return {
    runs, error, selectedId, selected, activeRun, compareIds, series, version, lastEta, notices,
    load, reload, loadHistory, seriesOf, start, pause, resume, stop, continueRun, remove, select, toggleCompare, onEvent,
  }
})

if (import.meta.hot) import.meta.hot.accept(acceptHMRUpdate(useTrainingStore, import.meta.hot))
