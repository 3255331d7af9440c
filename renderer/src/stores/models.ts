// Models (the models namespace): the presets, the Model window's draft (a preset, the fields
// changed from it, the training settings and the dataset), its inline problems, and the live
// estimate and calibration for it. The draft is remembered across restarts by the settings.
import { lineSettings, modelFields, modelProblems, trainProblems, trainSequenceLength, type FieldProblem } from '@common/fields'
import type { CalibrationResult, ModelDraft, ModelEstimate, ModelShape, PresetInfo, TrainSettings } from '@common/types'
import { acceptHMRUpdate, defineStore } from 'pinia'
import { computed, ref, watch } from 'vue'
import { api } from '../lib/api'
import { toShownError, type ShownError } from '../lib/errors'
import { useDatasetsStore } from './datasets'
import { useSettingsStore } from './settings'

// lr is left to the engine, which trains a new model at its preset's (PresetInfo.train)
export const defaultTrain: TrainSettings = { steps: 2000, batchSize: 16 }

export const useModelsStore = defineStore('models', () => {
  const settings = useSettingsStore()
  const datasets = useDatasetsStore()
  const presets = ref<PresetInfo[]>([])
  const error = ref<ShownError | null>(null)
  const draft = ref<ModelDraft>({ datasetId: null, preset: '8gb', model: {}, train: { ...defaultTrain } })
  const estimate = ref<ModelEstimate | null>(null)
  const estimateError = ref<ShownError | null>(null)
  const estimating = ref(false)
  const calibration = ref<CalibrationResult | null>(null)
  const calibrationKey = ref<string | null>(null) // the draft the calibration measured
  const calibrating = ref(false)
  const calibrationError = ref<ShownError | null>(null)

  const preset = computed(() => presets.value.find((p) => p.name === draft.value.preset) ?? null)
  /** The preset with the draft's changes: what would be trained. */
  const shape = computed<ModelShape | null>(() => (preset.value ? { ...preset.value.model, ...draft.value.model } : null))
  const problems = computed<FieldProblem[]>(() => [...(shape.value ? modelProblems(shape.value) : []), ...trainProblems(draft.value.train)])
  const problemFor = (key: string): string | undefined => problems.value.find((p) => p.key === key)?.message
  const valid = computed(() => problems.value.length === 0 && !!draft.value.datasetId)
  const dataset = computed(() => datasets.entries.find((d) => d.id === draft.value.datasetId))
  /** How the run will treat lines, as the back end resolves it (a list of names holds them out whole unless the draft says otherwise). */
  const lines = computed(() => lineSettings(draft.value.train, dataset.value?.holdOutLines === true))
  /** The sequence length the run will train at, as the engine resolves it. */
  const seqLen = computed(() =>
    shape.value ? trainSequenceLength(draft.value.train, shape.value.maxSeqLen, dataset.value?.holdOutLines === true, dataset.value?.stats?.longestLine) : 0,
  )
  /** Tokens one optimizer step trains on. */
  const tokensPerStep = computed(() => (draft.value.train.batchSize ?? 16) * (draft.value.train.gradAccum ?? 1) * seqLen.value)
  const calibrated = computed(() => (calibration.value && calibrationKey.value === key(draft.value) ? calibration.value : null))
  const expectedSeconds = computed(() =>
    calibrated.value ? ((draft.value.train.steps ?? 2000) * tokensPerStep.value) / calibrated.value.tokensPerSec : null,
  )

  async function load(): Promise<void> {
    try {
      const [list] = await Promise.all([api.models.presets(), settings.load()])
      presets.value = list
      const saved = settings.ui.draft
      if (saved && list.some((p) => p.name === saved.preset)) draft.value = { ...saved, train: { ...defaultTrain, ...saved.train } }
      else draft.value = { ...draft.value, preset: settings.settings?.defaultPreset ?? '8gb' }
      error.value = null
    } catch (e) {
      error.value = toShownError(e)
    }
  }

  function choosePreset(name: string): void {
    draft.value = { ...draft.value, preset: name, model: {} }
  }
  /** Sets one model field; the preset's own value clears the change. */
  function setModelField<K extends keyof ModelShape>(k: K, v: ModelShape[K] | undefined): void {
    const model = { ...draft.value.model }
    if (v === undefined || (preset.value && preset.value.model[k] === v)) delete model[k]
    else model[k] = v
    draft.value = { ...draft.value, model }
  }
  function setTrainField<K extends keyof TrainSettings>(k: K, v: TrainSettings[K] | undefined): void {
    const train = { ...draft.value.train }
    if (v === undefined) delete train[k]
    else train[k] = v
    draft.value = { ...draft.value, train }
  }
  function chooseDataset(id: string | null): void {
    draft.value = { ...draft.value, datasetId: id }
  }

  // The estimate follows the draft (after a short pause while typing); a newer one wins.
  let asked = 0
  let timer: ReturnType<typeof setTimeout> | null = null
  async function refreshEstimate(): Promise<void> {
    const mine = ++asked
    if (!shape.value || problems.value.length) {
      estimate.value = null
      return
    }
    estimating.value = true
    try {
      const e = await api.models.estimate(request(draft.value))
      if (mine === asked) {
        estimate.value = e
        estimateError.value = null
      }
    } catch (e) {
      if (mine === asked) {
        estimate.value = null
        estimateError.value = toShownError(e)
      }
    } finally {
      if (mine === asked) estimating.value = false
    }
  }
  watch(
    draft,
    (d) => {
      if (!presets.value.length) return
      settings.rememberDraft(d)
      if (timer) clearTimeout(timer)
      timer = setTimeout(() => void refreshEstimate(), 150)
    },
    { deep: true },
  )

  async function calibrate(): Promise<void> {
    if (!shape.value || problems.value.length) return
    calibrating.value = true
    calibrationError.value = null
    const k = key(draft.value)
    try {
      calibration.value = await api.models.calibrate({ ...request(draft.value), seconds: 2 })
      calibrationKey.value = k
    } catch (e) {
      calibrationError.value = toShownError(e)
    } finally {
      calibrating.value = false
    }
  }

  return {
    presets, error, draft, preset, shape, problems, problemFor, valid, lines, seqLen, tokensPerStep,
    estimate, estimateError, estimating, calibration: calibrated, calibrating, calibrationError, expectedSeconds,
    load, choosePreset, setModelField, setTrainField, chooseDataset, refreshEstimate, calibrate,
  }
})

function request(d: ModelDraft) {
  return { preset: d.preset, model: d.model, train: d.train, ...(d.datasetId ? { datasetId: d.datasetId } : { vocabSize: 96 }) }
}
// what a calibration depends on: the model and the shape of a step, not the run's length or lr
function key(d: ModelDraft): string {
  const { batchSize, seqLen, gradAccum } = d.train
  return JSON.stringify([d.preset, d.model, batchSize, seqLen, gradAccum, d.datasetId])
}

export const modelFieldKeys = Object.keys(modelFields) as (keyof ModelShape)[]

if (import.meta.hot) import.meta.hot.accept(acceptHMRUpdate(useModelsStore, import.meta.hot))
