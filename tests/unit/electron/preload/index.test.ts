// The preload, with `electron` mocked: it exposes exactly the contract's channels, requests go
// through invoke, and subscriptions strip the IPC event and can be undone.
import { describe, expect, it, vi } from 'vitest'
import { channels } from '../../../../electron/common/contract'

const h = vi.hoisted(() => ({
  exposed: {} as Record<string, any>,
  invoked: [] as [string, unknown][],
  listeners: new Map<string, Set<(...a: any[]) => void>>(),
}))

vi.mock('electron', () => ({
  contextBridge: { exposeInMainWorld: (key: string, api: unknown) => (h.exposed[key] = api) },
  ipcRenderer: {
    invoke: async (ch: string, p: unknown) => (h.invoked.push([ch, p]), { ok: true, value: ch }),
    on: (ch: string, fn: any) => (h.listeners.get(ch) ?? h.listeners.set(ch, new Set()).get(ch)!).add(fn),
    removeListener: (ch: string, fn: any) => h.listeners.get(ch)?.delete(fn),
  },
}))

describe('preload', () => {
  it('exposes mgBridge.<namespace>.<name> for every channel and nothing else', async () => {
    await import('../../../../electron/preload/index')
    expect(Object.keys(h.exposed)).toEqual(['mgBridge'])
    const bridge = h.exposed.mgBridge
    const names = Object.entries(bridge).flatMap(([ns, g]) => Object.keys(g as object).map((n) => `${ns}.${n}`))
    expect(names.sort()).toEqual(channels().map((c) => c.channel).sort())
    expect(await bridge.training.start({ datasetId: 'x' })).toEqual({ ok: true, value: 'training.start' })
    expect(h.invoked).toEqual([['training.start', { datasetId: 'x' }]])

    const got: unknown[] = []
    const off = bridge.training.onEvent((d: unknown) => got.push(d))
    for (const fn of h.listeners.get('training.onEvent')!) fn({ sender: 'SECRET' }, { step: 1 })
    expect(got).toEqual([{ step: 1 }]) // the event object never reaches the page
    off()
    expect(h.listeners.get('training.onEvent')!.size).toBe(0)
  })
})
