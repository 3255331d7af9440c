/// <reference types="node" />
// The serve-mode transport against the real serve mode: requests over the WebSocket, and a
// request too large for one WebSocket message (a 2 MB dataset) sent as an HTTP POST instead.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { maxSocketMessageBytes } from '../../../../electron/common/limits'
import { createWebSocketTransport } from '../../../../renderer/src/lib/ws-transport'
import { corpus, requireBuild } from '../../../support/engine'
import { startServe, type ServeProcess } from '../../../support/serve'

describe('WebSocket transport', () => {
  let serve: ServeProcess
  beforeAll(async () => {
    requireBuild()
    ;(globalThis as { WebSocket?: unknown }).WebSocket = WebSocket // Node 20 has none of its own
    serve = await startServe()
  })
  afterAll(() => serve.stop())

  it('sends small requests over the socket and large ones as a POST, with the same envelope', async () => {
    const transport = createWebSocketTransport(new URL(serve.url) as unknown as Location)
    expect(await transport.invoke('system.info', 'system', 'info', undefined)).toMatchObject({ ok: true, value: { transport: 'websocket' } })
    const text = corpus(2 * maxSocketMessageBytes)
    const big = await transport.invoke('datasets.import', 'datasets', 'import', { name: 'big', text })
    expect(big).toMatchObject({ ok: true, value: { name: 'big', bytes: text.length, status: 'ready' } })
    const bad = await transport.invoke('datasets.import', 'datasets', 'import', { name: '', text })
    expect(bad).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } })
    const listed = await transport.invoke('datasets.list', 'datasets', 'list', undefined)
    expect(listed.ok && (listed.value as { name: string }[]).some((d) => d.name === 'big')).toBe(true)
  })
})
