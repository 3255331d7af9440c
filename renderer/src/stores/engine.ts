// The engine and the machine it runs on: build facts, live status, and the connection to the app.
import type { EngineInfo, EngineStatus, SystemInfo } from '@common/types'
import { acceptHMRUpdate, defineStore } from 'pinia'
import { ref } from 'vue'
import { api, transport } from '../lib/api'
import type { ConnectionState } from '../lib/api-core'
import { formatError } from '../lib/errors'

export const useEngineStore = defineStore('engine', () => {
  const engine = ref<EngineInfo | null>(null)
  const system = ref<SystemInfo | null>(null)
  const status = ref<EngineStatus | null>(null)
  const connection = ref<ConnectionState>('connecting')
  const error = ref<string | null>(null)
  const loading = ref(false)

  transport.onConnection((s) => (connection.value = s))
  api.engine.onStatus((s) => (status.value = s))

  async function load(): Promise<void> {
    loading.value = true
    error.value = null
    try {
      const [e, s] = await Promise.all([api.engine.info(), api.system.info()])
      engine.value = e
      system.value = s
    } catch (e) {
      error.value = formatError(e)
    } finally {
      loading.value = false
    }
  }

  return { engine, system, status, connection, error, loading, load }
})

if (import.meta.hot) import.meta.hot.accept(acceptHMRUpdate(useEngineStore, import.meta.hot))
