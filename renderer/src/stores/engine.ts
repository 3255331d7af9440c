// The engine and the machine it runs on: build facts, live status, and the connection to the app.
import type { EngineInfo, EngineStatus, SystemInfo } from '@common/types'
import { acceptHMRUpdate, defineStore } from 'pinia'
import { ref } from 'vue'
import { useRequest } from '../composables/useRequest'
import { api, transport } from '../lib/api'
import type { ConnectionState } from '../lib/api-core'

export const useEngineStore = defineStore('engine', () => {
  const engine = ref<EngineInfo | null>(null)
  const system = ref<SystemInfo | null>(null)
  const status = ref<EngineStatus | null>(null)
  const connection = ref<ConnectionState>('connecting')

  transport.onConnection((s) => (connection.value = s))
  api.engine.onStatus((s) => (status.value = s))

  const facts = useRequest(async () => {
    const [e, s] = await Promise.all([api.engine.info(), api.system.info()])
    engine.value = e
    system.value = s
  })
  const { loading, error } = facts
  const load = async (): Promise<void> => void (await facts.run())

  return { engine, system, status, connection, error, loading, load }
})

if (import.meta.hot) import.meta.hot.accept(acceptHMRUpdate(useEngineStore, import.meta.hot))
