// Serve mode's HTTP and WebSocket wiring against a real socket: static files with the CSP,
// loopback by default, a token anywhere else, and no driving the app from another origin.
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { startServer, type RunningServer } from '../../../../electron/serve/server'
import { closeCode, frame, rawExchange, rawWebSocket, statusOf, upgradeRequest } from '../../../support/raw-http'
import { repoRoot, requireBuild, tempDir } from '../../../support/engine'
import { call, connect, echoBackend, fakeStatic } from '../../../support/serve'

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
    await expect(connect(`ws://127.0.0.1:${server.port}/ws`)).rejects.toThrow('401')
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

// The audit's cases (issue 8): each of these took the process down or got through before.
describe('serve mode under hostile requests', () => {
  let server: RunningServer | null = null
  afterEach(async () => {
    await server?.close()
    server = null
  })
  const start = async (extra: Partial<Parameters<typeof startServer>[0]> = {}): Promise<RunningServer> =>
    (server = await startServer({ backend: echoBackend(), staticDir: fakeStatic(), port: 0, ...extra }))
  const host = (s: RunningServer): string => `127.0.0.1:${s.port}`

  async function stillServes(s: RunningServer): Promise<void> {
    expect((await fetch(s.url)).status).toBe(200)
    const ws = await connect(`ws://${host(s)}/ws${s.token ? `?token=${s.token}` : ''}`)
    expect(await call(ws, 'system.info')).toMatchObject({ ok: true })
    ws.close()
  }

  it('answers a malformed request target or Origin with 400/403 and stays up', async () => {
    const s = await start()
    expect(statusOf(await rawExchange(s.port, `GET // HTTP/1.1\r\nHost: ${host(s)}\r\n\r\n`))).toBe(400)
    expect(statusOf(await rawExchange(s.port, `GET http://x/ HTTP/1.1\r\nHost: ${host(s)}\r\n\r\n`))).toBe(400)
    expect(statusOf(await rawExchange(s.port, upgradeRequest('//', { Host: host(s) })))).toBe(400)
    expect(statusOf(await rawExchange(s.port, upgradeRequest('/ws', { Host: host(s), Origin: 'null' })))).toBe(403)
    expect(statusOf(await rawExchange(s.port, upgradeRequest('/ws', { Host: host(s), Origin: 'http://[' })))).toBe(403)
    expect(statusOf(await rawExchange(s.port, `GET / HTTP/1.1\r\nHost: ${host(s)}\r\nOrigin: null\r\n\r\n`))).toBe(403)
    expect(statusOf(await rawExchange(s.port, `DELETE / HTTP/1.1\r\nHost: ${host(s)}\r\n\r\n`))).toBe(405)
    await stillServes(s)
  })

  it('closes only the socket that sends a bad frame, with the matching close code', async () => {
    const s = await start({ limits: { maxMessageBytes: 4096 } })
    const bystander = await connect(`ws://${host(s)}/ws`)
    const cases: [string, Buffer, number][] = [
      ['the JSON null', frame('null'), 1008],
      ['an array', frame('[1,2]'), 1008],
      ['not JSON', frame('{"id":'), 1007],
      ['invalid UTF-8', frame(Buffer.from([0x7b, 0xff, 0xfe, 0x7d])), 1007],
      ['an unmasked frame', frame('{"id":1}', { mask: false }), 1002],
      ['a length past maxPayload', frame('x', { announcedLength: 1 << 30 }), 1009],
      ['a binary frame', frame(Buffer.from([1, 2, 3]), { opcode: 2 }), 1003],
      ['a reserved opcode', frame('x', { opcode: 3 }), 1002],
    ]
    for (const [what, bytes, code] of cases) {
      const sock = await rawWebSocket(s.port)
      const closed = closeCode(sock)
      sock.write(bytes)
      expect(await closed, what).toBe(code)
    }
    expect(await call(bystander, 'training.list')).toMatchObject({ ok: true })
    bystander.close()
    await stillServes(s)
  })

  it('refuses DNS rebinding on loopback: only a loopback Host with our port, and its own Origin', async () => {
    const s = await start()
    const evil = `evil.example:${s.port}`
    expect(statusOf(await rawExchange(s.port, upgradeRequest('/ws', { Host: evil, Origin: `http://${evil}` })))).toBe(403)
    expect(statusOf(await rawExchange(s.port, `GET / HTTP/1.1\r\nHost: ${evil}\r\n\r\n`))).toBe(403)
    expect(statusOf(await rawExchange(s.port, upgradeRequest('/ws', { Host: `127.0.0.1:${s.port + 1}` })))).toBe(403)
    expect(statusOf(await rawExchange(s.port, `GET / HTTP/1.0\r\n\r\n`))).toBe(400) // no Host at all
    for (const h of [host(s), `localhost:${s.port}`, `LOCALHOST:${s.port}`]) {
      const ws = await connect(`ws://127.0.0.1:${s.port}/ws`, { host: h, origin: `http://${h}` })
      ws.close()
    }
    await expect(connect(`ws://${host(s)}/ws`, { origin: `http://localhost:${s.port}` })).rejects.toThrow('403')
  })

  it('refuses an empty or short token instead of turning authentication off', async () => {
    for (const token of ['', 'short', 'x'.repeat(15), 'spaces are not ok here!'])
      await expect(startServer({ backend: echoBackend(), staticDir: fakeStatic(), port: 0, host: '0.0.0.0', token })).rejects.toThrow(/--token must be at least 16/)
    const s = await start({ host: '0.0.0.0', token: 'a-long-enough-token' })
    expect((await fetch(`http://${host(s)}/`)).status).toBe(401)
  })

  it('the serve command refuses an empty token, a flag without its value and unknown flags', () => {
    requireBuild()
    const serve = (...args: string[]) =>
      spawnSync(process.execPath, [join(repoRoot, 'out', 'main', 'serve.js'), '--port', '0', '--data-dir', tempDir(), ...args], { encoding: 'utf8', timeout: 20_000 })
    for (const [args, said] of [
      [['--host', '0.0.0.0', '--token', ''], /--token must be at least 16 characters/],
      [['--host', '0.0.0.0', '--token'], /argument missing/],
      [['--tokn', 'abc'], /Unknown option '--tokn'/],
      [['--port', '70000'], /--port must be 0 to 65535/],
    ] as const) {
      const r = serve(...args)
      expect(r.status, args.join(' ')).toBe(1)
      expect(r.stderr, args.join(' ')).toMatch(said)
    }
  })

  it('bounds clients, message size and requests in flight, and answers past them', async () => {
    const s = await start({ limits: { maxClients: 2, maxMessageBytes: 1024, maxInFlight: 4, maxBodyBytes: 4096 } })
    const a = await connect(`ws://${host(s)}/ws`)
    const b = await connect(`ws://${host(s)}/ws`)
    await expect(connect(`ws://${host(s)}/ws`)).rejects.toThrow('503')
    b.close()
    await new Promise((r) => b.once('close', r))
    const c = await connect(`ws://${host(s)}/ws`)
    // a message over the bound closes that socket with 1009 (too big)
    const closed = new Promise<number>((r) => c.once('close', (code) => r(code)))
    c.send(JSON.stringify({ id: 1, channel: 'datasets.import', payload: { text: 'x'.repeat(2000) } }))
    expect(await closed).toBe(1009)
    // ... and the same request goes through as an HTTP POST, up to the body bound
    const body = JSON.stringify({ name: 'n', text: 'x'.repeat(2000) })
    const post = (b: string, headers: Record<string, string> = {}): Promise<Response> =>
      fetch(`http://${host(s)}/api/datasets.import`, { method: 'POST', body: b, headers: { 'content-type': 'application/json', origin: `http://${host(s)}`, ...headers } })
    const ok = await post(body)
    expect(ok.status).toBe(200)
    expect(await ok.json()).toMatchObject({ ok: true, value: { channel: 'datasets.import' } })
    expect((await post('x'.repeat(5000))).status).toBe(413)
    expect((await post('{nope')).status).toBe(400)
    // another site's page: its Origin is refused, and without JSON it could only be a form post
    expect((await post(body, { origin: 'http://evil.example' })).status).toBe(403)
    expect((await post(body, { 'content-type': 'text/plain' })).status).toBe(403)
    expect((await post(body, { 'content-type': 'application/x-www-form-urlencoded' })).status).toBe(403)
    expect((await post('{}', {}).then(() => fetch(`http://${host(s)}/api/no.such`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json', origin: `http://${host(s)}` } }))).status).toBe(404)
    // more requests at once than the bound: the extra ones are answered BUSY, the rest normally
    const replies = await Promise.all(Array.from({ length: 8 }, () => call(a, 'training.list')))
    expect(replies.filter((r) => r.ok).length).toBeGreaterThanOrEqual(4)
    a.close()
  })

  it('answers past the connection bound with 503', async () => {
    const s = await start({ limits: { maxSockets: 3 } })
    const held = await Promise.all([0, 1, 2].map(() => rawWebSocket(s.port)))
    expect(statusOf(await rawExchange(s.port, `GET / HTTP/1.1\r\nHost: ${host(s)}\r\n\r\n`))).toBe(503)
    for (const h of held) h.destroy()
    await new Promise((r) => setTimeout(r, 50))
    await stillServes(s)
  })
})
