// Serve mode's HTTP and WebSocket wiring against a real socket: static files with the CSP,
// loopback by default, a token anywhere else, and no driving the app from another origin.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { EventBus } from '../../../../electron/services/event-bus'
import { startServer, type RunningServer } from '../../../../electron/serve/server'
import { tempDir } from '../../../support/engine'

function fakeStatic(): string {
  const dir = tempDir('mg-static-')
  mkdirSync(join(dir, 'assets'))
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>t</title>')
  writeFileSync(join(dir, 'assets', 'a.js'), 'console.log(1)')
  writeFileSync(join(dir, '..', 'secret.txt'), 'no')
  return dir
}

// Real handlers are exercised elsewhere; here every request channel answers with its own name.
function echoBackend() {
  const handlers = new Proxy({}, { get: (_t, ns: string) => new Proxy({}, { get: (_u, name: string) => async (p: unknown) => ({ channel: `${ns}.${name}`, p }) }) })
  return { handlers: handlers as never, events: new EventBus() }
}

function connect(url: string, headers: Record<string, string> = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers })
    ws.once('open', () => resolve(ws))
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)))
    ws.once('error', reject)
  })
}

function call(ws: WebSocket, channel: string, payload?: unknown): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    const id = Math.floor(Math.random() * 1e9)
    const onMessage = (raw: WebSocket.RawData): void => {
      const msg = JSON.parse(raw.toString())
      if (msg.id === id) {
        ws.off('message', onMessage)
        resolve(msg)
      }
    }
    ws.on('message', onMessage)
    ws.send(JSON.stringify({ id, channel, payload }))
  })
}

describe('serve mode', () => {
  let server: RunningServer | null = null
  afterEach(async () => {
    await server?.close()
    server = null
  })

  it('binds to 127.0.0.1 without a token, serves the renderer with a CSP, and answers the contract', async () => {
    const backend = echoBackend()
    server = await startServer({ backend, staticDir: fakeStatic(), port: 0 })
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/`)
    expect(server.token).toBeNull()
    const res = await fetch(server.url)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'")
    expect((await fetch(`${server.url}assets/a.js`)).headers.get('content-type')).toContain('javascript')
    expect((await fetch(`${server.url}..%2Fsecret.txt`)).status).toBe(403)
    expect((await fetch(`${server.url}missing.js`)).status).toBe(404)

    const ws = await connect(`ws://127.0.0.1:${server.port}/ws`)
    expect(await call(ws, 'training.list')).toMatchObject({ ok: true, value: { channel: 'training.list' } })
    expect(await call(ws, 'no.such')).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } })
    const got = new Promise((r) => ws.once('message', (m) => r(JSON.parse(m.toString()))))
    backend.events.emit('engine.onStatus', { state: 'ready', pid: 1 })
    expect(await got).toEqual({ event: 'engine.onStatus', data: { state: 'ready', pid: 1 } })
    ws.close()
  })

  it('refuses a WebSocket from another origin', async () => {
    server = await startServer({ backend: echoBackend(), staticDir: fakeStatic(), port: 0 })
    await expect(connect(`ws://127.0.0.1:${server.port}/ws`, { origin: 'https://evil.example' })).rejects.toThrow('403')
    const ok = await connect(`ws://127.0.0.1:${server.port}/ws`, { origin: `http://127.0.0.1:${server.port}` })
    ok.close()
  })

  it('needs a token when bound beyond loopback, by query or cookie', async () => {
    server = await startServer({ backend: echoBackend(), staticDir: fakeStatic(), port: 0, host: '0.0.0.0' })
    const token = server.token!
    expect(token.length).toBeGreaterThanOrEqual(20)
    expect(server.url).toContain(`?token=${token}`)
    const base = `http://127.0.0.1:${server.port}/`
    expect((await fetch(base)).status).toBe(401)
    expect((await fetch(`${base}?token=wrong`)).status).toBe(401)
    const res = await fetch(`${base}?token=${token}`)
    expect(res.status).toBe(200)
    const cookie = res.headers.get('set-cookie')!.split(';')[0]
    expect((await fetch(`${base}assets/a.js`, { headers: { cookie } })).status).toBe(200)
    await expect(connect(`ws://127.0.0.1:${server.port}/ws`)).rejects.toThrow('403')
    const byQuery = await connect(`ws://127.0.0.1:${server.port}/ws?token=${token}`)
    expect(await call(byQuery, 'system.info')).toMatchObject({ ok: true })
    byQuery.close()
    const byCookie = await connect(`ws://127.0.0.1:${server.port}/ws`, { cookie })
    byCookie.close()
  })

  it('uses a given token, even on loopback', async () => {
    server = await startServer({ backend: echoBackend(), staticDir: fakeStatic(), port: 0, token: 'sesame-sesame-sesame' })
    expect((await fetch(`http://127.0.0.1:${server.port}/`)).status).toBe(401)
    expect((await fetch(`http://127.0.0.1:${server.port}/?token=sesame-sesame-sesame`)).status).toBe(200)
  })
})
