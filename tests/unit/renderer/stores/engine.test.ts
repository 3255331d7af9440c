// The engine store, with only lib/api mocked (the module every store talks through).
import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { ApiError } from '../../../../electron/common/errors'

const api = vi.hoisted(() => ({
  engine: { info: vi.fn(), onStatus: vi.fn() },
  system: { info: vi.fn() },
}))
const transport = vi.hoisted(() => ({ onConnection: vi.fn() }))
vi.mock('../../../../renderer/src/lib/api', () => ({ api, transport }))

import { useEngineStore } from '../../../../renderer/src/stores/engine'

describe('engine store', () => {
  beforeEach(() => {
    setActivePinia(createPinia())
    vi.resetAllMocks()
  })

  it('loads engine and system facts', async () => {
    api.engine.info.mockResolvedValue({ version: '1.2.3' })
    api.system.info.mockResolvedValue({ cpuCores: 4 })
    const store = useEngineStore()
    const p = store.load()
    expect(store.loading).toBe(true)
    await p
    expect(store.engine).toEqual({ version: '1.2.3' })
    expect(store.system).toEqual({ cpuCores: 4 })
    expect(store.loading).toBe(false)
    expect(store.error).toBeNull()
  })

  it('shows an error with its hint', async () => {
    api.engine.info.mockRejectedValue(new ApiError('ENGINE_MISSING', 'the engine addon was not found', 'run npm install'))
    api.system.info.mockResolvedValue({})
    const store = useEngineStore()
    await store.load()
    expect(store.error).toEqual({ code: 'ENGINE_MISSING', message: 'the engine addon was not found', hint: 'run npm install' })
  })

  it('follows the connection and the engine status', () => {
    const store = useEngineStore()
    const onConnection = transport.onConnection.mock.calls[0][0]
    const onStatus = api.engine.onStatus.mock.calls[0][0]
    onConnection('closed')
    onStatus({ state: 'crashed', message: 'gone' })
    expect(store.connection).toBe('closed')
    expect(store.status).toEqual({ state: 'crashed', message: 'gone' })
  })
})
