// Checkpoints (the checkpoints namespace): every saved model, newest first, for the windows that
// generate and chat with one.
import type { CheckpointEntry } from '@common/types'
import { acceptHMRUpdate, defineStore } from 'pinia'
import { ref } from 'vue'
import { api } from '../lib/api'
import { toShownError, type ShownError } from '../lib/errors'

export const useCheckpointsStore = defineStore('checkpoints', () => {
  const entries = ref<CheckpointEntry[]>([])
  const loaded = ref(false)
  const error = ref<ShownError | null>(null)

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

  return { entries, loaded, error, load, byId }
})

if (import.meta.hot) import.meta.hot.accept(acceptHMRUpdate(useCheckpointsStore, import.meta.hot))
