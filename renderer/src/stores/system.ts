// The machine's live metrics (system.metrics), sampled every second while a window shows them.
import type { SystemMetrics } from '@common/types'
import { acceptHMRUpdate, defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { api } from '../lib/api'
import { toShownError, type ShownError } from '../lib/errors'

export const useSystemStore = defineStore('system', () => {
  const metrics = ref<SystemMetrics | null>(null)
  const error = ref<ShownError | null>(null)
  let watchers = 0
  let timer: ReturnType<typeof setInterval> | null = null

  const throttlingNow = computed(() => metrics.value?.throttling?.now ?? [])

  async function sample(): Promise<void> {
    try {
      metrics.value = await api.system.metrics()
      error.value = null
    } catch (e) {
      error.value = toShownError(e)
    }
  }
  /** Starts sampling (shared by every watcher); the returned function stops this one. */
  function watch(intervalMs = 1000): () => void {
    if (watchers++ === 0) {
      void sample()
      timer = setInterval(() => void sample(), intervalMs)
    }
    let stopped = false
    return () => {
      if (stopped) return
      stopped = true
      if (--watchers === 0 && timer) {
        clearInterval(timer)
        timer = null
      }
    }
  }

  return { metrics, error, throttlingNow, sample, watch }
})

if (import.meta.hot) import.meta.hot.accept(acceptHMRUpdate(useSystemStore, import.meta.hot))
