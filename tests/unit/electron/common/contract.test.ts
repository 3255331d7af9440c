// Contract coverage: every channel is handled in the Electron wiring (main + preload), in the
// serve-mode wiring, and in the renderer's client; and the two wirings answer alike.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { channels, contract } from '../../../../electron/common/contract'
import { registerIpc } from '../../../../electron/main/ipc'
import { createBackend, type Backend } from '../../../../electron/services/backend'
import { EventBus } from '../../../../electron/services/event-bus'
import { forkEngine } from '../../../../electron/services/node-engine'
import { requestTable } from '../../../../electron/serve/server'
import { createApi, type Transport } from '../../../../renderer/src/lib/api-core'
import { catalogFile, hostScript, requireBuild, tempDir } from '../../../support/engine'

const requests = channels().filter((c) => c.kind === 'request').map((c) => c.channel)
const events = channels().filter((c) => c.kind === 'event').map((c) => c.channel)

describe('the contract', () => {
  let backend: Backend
  beforeAll(async () => {
    requireBuild()
    backend = await createBackend({ dataRoot: tempDir(), catalogFile, spawnEngine: () => forkEngine(hostScript), appVersion: 't', transport: 'ipc' })
  })
  afterAll(() => backend.dispose())

  it('names channels <namespace>.<name>, events starting with "on"', () => {
    expect(requests.length).toBeGreaterThan(20)
    for (const c of channels()) expect(c.kind === 'event').toBe(/\.on[A-Z]/.test(c.channel))
    expect(Object.keys(contract)).toEqual(['system', 'engine', 'settings', 'datasets', 'models', 'training', 'checkpoints', 'generation', 'chats'])
  })

  it('is fully handled by the Electron IPC wiring', async () => {
    const handled = new Map<string, (e: unknown, p: unknown) => Promise<unknown>>()
    const ipcMain = { handle: vi.fn((ch: string, fn) => void handled.set(ch, fn)), removeHandler: vi.fn((ch: string) => void handled.delete(ch)) }
    const sent: [string, unknown][] = []
    const wc = { isDestroyed: () => false, send: (ch: string, d: unknown) => sent.push([ch, d]) }
    const bus = new EventBus()
    const dispose = registerIpc({ ipcMain, handlers: backend.handlers, events: bus, targets: () => [wc as never], isTrustedUrl: (u) => u.startsWith('file:///app/') })
    expect([...handled.keys()].sort()).toEqual([...requests].sort())
    // a trusted page gets envelopes; an untrusted one is refused
    const ok = await handled.get('training.list')!({ senderFrame: { url: 'file:///app/index.html' } }, undefined)
    expect(ok).toEqual({ ok: true, value: [] })
    const refused = await handled.get('training.list')!({ senderFrame: { url: 'https://evil.example/' } }, undefined)
    expect(refused).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } })
    const bad = await handled.get('datasets.download')!({ senderFrame: { url: 'file:///app/index.html' } }, 42)
    expect(bad).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } })
    // every event reaches the windows
    for (const ch of events) bus.emit(ch as never, { probe: ch } as never)
    expect(sent.map(([ch]) => ch)).toEqual(events)
    dispose()
    expect(handled.size).toBe(0)
  })

  it('is fully handled by the serve-mode wiring', () => {
    const table = requestTable(backend.handlers)
    expect([...table.keys()].sort()).toEqual([...requests].sort())
    const broken = { ...backend.handlers, training: { ...backend.handlers.training, start: undefined } }
    expect(() => requestTable(broken as never)).toThrow('no handler for training.start')
  })

  it('is fully exposed by the renderer client, which unwraps envelopes into errors', async () => {
    const invoked: string[] = []
    const subscribed: string[] = []
    const t: Transport = {
      kind: 'websocket',
      invoke: async (ch) => (invoked.push(ch), ch === 'system.info' ? { ok: false, error: { code: 'X', message: 'boom', hint: 'h' } } : { ok: true, value: ch }),
      subscribe: (ch) => (subscribed.push(ch), () => {}),
      onConnection: () => () => {},
    }
    const api = createApi(t) as unknown as Record<string, Record<string, (a?: unknown) => unknown>>
    for (const c of channels()) {
      const fn = api[c.namespace][c.name]
      if (c.kind === 'request' && c.channel !== 'system.info') await expect(fn({})).resolves.toBe(c.channel)
      if (c.kind === 'event') expect(typeof fn(() => {})).toBe('function')
    }
    await expect(api.system.info()).rejects.toMatchObject({ code: 'X', message: 'boom', hint: 'h' })
    expect(invoked.sort()).toEqual([...requests].sort())
    expect(subscribed).toEqual(events)
  })
})
