// Test support for the renderer: the one module the stores talk through (renderer/src/lib/api)
// replaced by an API of the contract's own channels, each request a vi.fn() and each event a
// list of listeners the test can fire. Use it inside vi.hoisted + vi.mock.
import { vi, type Mock } from 'vitest'
import { channels } from '../../electron/common/contract'

export interface FakeApi {
  api: Record<string, Record<string, Mock>>
  transport: { kind: 'ipc' | 'websocket'; onConnection: Mock }
  /** Fires an event channel ("training.onEvent") to every listener the stores registered. */
  emit(channel: string, data: unknown): void
  listeners: Map<string, Set<(d: unknown) => void>>
}

export function createFakeApi(kind: 'ipc' | 'websocket' = 'websocket'): FakeApi {
  const listeners = new Map<string, Set<(d: unknown) => void>>()
  const api: Record<string, Record<string, Mock>> = {}
  for (const c of channels()) {
    const group = (api[c.namespace] ??= {})
    group[c.name] =
      c.kind === 'request'
        ? vi.fn(async () => undefined)
        : vi.fn((l: (d: unknown) => void) => {
            const set = listeners.get(c.channel) ?? new Set()
            listeners.set(c.channel, set)
            set.add(l)
            return () => set.delete(l)
          })
  }
  return {
    api,
    transport: { kind, onConnection: vi.fn(() => () => {}) },
    listeners,
    emit: (channel, data) => {
      for (const l of listeners.get(channel) ?? []) l(data)
    },
  }
}
