/// <reference types="node" />
// The serve-mode transport against the real serve mode: requests over the WebSocket, a request
// too large for one WebSocket message (a 2 MB dataset) sent as an HTTP POST instead, a dataset
// download whose progress events stream to the renderer, and a file uploaded by HTTP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { maxSocketMessageBytes } from '../../../../electron/common/limits'
import { createWebSocketTransport } from '../../../../renderer/src/lib/ws-transport'
import type { DownloadProgress } from '../../../../electron/common/types'
import { fixtureCatalog, type FixtureCatalog } from '../../../support/datasets'
import { corpus, requireBuild } from '../../../support/engine'
import { startServe, type ServeProcess } from '../../../support/serve'

describe('WebSocket transport', () => {
  let serve: ServeProcess
  let fx: FixtureCatalog
  beforeAll(async () => {
    requireBuild()
    ;(globalThis as { WebSocket?: unknown }).WebSocket = WebSocket // Node 20 has none of its own
    fx = await fixtureCatalog()
    serve = await startServe(['--catalog', fx.file])
  })
  afterAll(async () => {
    await serve.stop()
    await fx.close()
  })

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

  it('streams the progress events of a download to the renderer as it goes', async () => {
    const transport = createWebSocketTransport(new URL(serve.url) as unknown as Location)
    const events: DownloadProgress[] = []
    const off = transport.subscribe('datasets.onProgress', 'datasets', 'onProgress', (p) => events.push(p as DownloadProgress))
    const ready = await transport.invoke('datasets.download', 'datasets', 'download', { id: 'wikitext-2' })
    expect(ready).toMatchObject({ ok: true, value: { id: 'wikitext-2', status: 'ready' } })
    off()
    expect(events.some((e) => e.stage === 'downloading' && e.receivedBytes > 0 && e.parts === 3)).toBe(true)
    expect(events.at(-1)).toMatchObject({ id: 'wikitext-2', done: true })
    expect(events.at(-1)?.error).toBeUndefined()
  })

  it('takes a dataset file as an HTTP upload, and refuses one that is not text', async () => {
    const up = (name: string, body: Buffer | string): Promise<Response> =>
      fetch(`${new URL(serve.url).origin}/upload/dataset?name=${encodeURIComponent(name)}`, { method: 'POST', body: typeof body === 'string' ? body : new Uint8Array(body), headers: { 'content-type': 'application/octet-stream' } })
    const ok = await (await up('my notes.txt', corpus(300_000))).json()
    expect(ok).toMatchObject({ ok: true, value: { name: 'my notes.txt', kind: 'imported', status: 'ready' } })
    const bad = await (await up('photo.jpg', Buffer.concat([Buffer.from('x'.repeat(1000)), Buffer.from([0xff, 0xd8]), Buffer.alloc(200_000, 1)]))).json()
    expect(bad).toMatchObject({ ok: false, error: { code: 'NOT_TEXT', message: 'photo.jpg is not UTF-8 text: invalid byte 0xFF at byte offset 1000' } })
    // the server is still there for the next request
    expect((await up('again.txt', corpus(1000))).status).toBe(200)
  })
})
