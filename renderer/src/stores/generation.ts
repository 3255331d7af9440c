// Generation (the generation namespace): the Generate window's prompt, sampling settings and the
// one completion streaming at a time (with the passes each character used, for the depth
// heatmap); time to first token is measured here, from the request to the first piece of text.
import type { GenerationResult, SamplingSettings } from '@common/types'
import { acceptHMRUpdate, defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { api } from '../lib/api'
import { toShownError, type ShownError } from '../lib/errors'
import { followGeneration } from '../lib/follow-generation'

export type GenerationStatus = 'idle' | 'starting' | 'streaming' | 'done' | 'failed'

export const defaultSampling: SamplingSettings = { maxTokens: 300, temperature: 0.8, topK: 40, topP: 0.95 }

export const useGenerationStore = defineStore('generation', () => {
  const checkpointId = ref<string | null>(null)
  const prompt = ref('')
  const sampling = ref<SamplingSettings>({ ...defaultSampling })
  const output = ref('')
  const status = ref<GenerationStatus>('idle')
  const result = ref<GenerationResult | null>(null)
  const error = ref<ShownError | null>(null)
  const firstTokenMs = ref<number | null>(null)
  const outputPasses = ref<number[]>([]) // the passes each code point of the output used
  let startedAt = 0

  const running = computed(() => status.value === 'starting' || status.value === 'streaming')

  const generation = followGeneration((e) => {
    if (e.type === 'token') {
      if (firstTokenMs.value === null) firstTokenMs.value = performance.now() - startedAt
      output.value += e.text
      outputPasses.value.push(...e.passes)
      status.value = 'streaming'
    } else if (e.type === 'done') {
      result.value = e.result
      status.value = 'done'
    } else {
      error.value = toShownError(e.error)
      status.value = 'failed'
    }
  })

  function setSampling<K extends keyof SamplingSettings>(k: K, v: SamplingSettings[K] | undefined): void {
    const next = { ...sampling.value }
    if (v === undefined) delete next[k]
    else next[k] = v
    sampling.value = next
  }
  const replaceSampling = (next: SamplingSettings): void => {
    sampling.value = { ...next }
  }

  async function start(): Promise<boolean> {
    if (!checkpointId.value || running.value) return false
    output.value = ''
    outputPasses.value = []
    result.value = null
    error.value = null
    firstTokenMs.value = null
    status.value = 'starting'
    startedAt = performance.now()
    const request = { checkpointId: checkpointId.value, prompt: prompt.value, ...sampling.value }
    try {
      await generation.start(() => api.generation.start(request))
      return true
    } catch (e) {
      error.value = toShownError(e)
      status.value = 'failed'
      return false
    }
  }

  async function stop(): Promise<void> {
    try {
      await generation.cancel()
    } catch (e) {
      error.value = toShownError(e)
    }
  }


  return { checkpointId, prompt, sampling, output, outputPasses, status, result, error, firstTokenMs, running, setSampling, replaceSampling, start, stop }
})

if (import.meta.hot) import.meta.hot.accept(acceptHMRUpdate(useGenerationStore, import.meta.hot))
