// Serve mode: the app's contract over WebSocket plus the renderer's files over HTTP, so the UI
// runs in any browser (a headless Pi reached from a laptop). The WebSocket wiring is generated
// from the contract, like the Electron IPC wiring.
//   client -> server  { id, channel, payload }
//   server -> client  { id, ok: true, value } | { id, ok: false, error } | { event, data }
// Bound to 127.0.0.1 by default; any other address requires a token (given, or generated and
// printed), accepted as ?token= once and then as an HttpOnly cookie.
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { WebSocketServer, type WebSocket } from 'ws'
import { channels, type Handlers } from '../common/contract'
import { toErrorShape } from '../common/errors'
import type { Backend } from '../services/backend'
import { serveStatic } from './static-files'

export interface ServeOptions {
  backend: Pick<Backend, 'handlers' | 'events'>
  staticDir: string
  host?: string
  port?: number
  token?: string
}

export interface RunningServer {
  url: string // what to open in a browser (with the token when one is needed)
  port: number
  token: string | null
  close(): Promise<void>
}

const loopback = new Set(['127.0.0.1', '::1', 'localhost'])

/** request channel -> handler, for every request channel of the contract (throws if one is missing). */
export function requestTable(handlers: Handlers): Map<string, (payload: unknown) => Promise<unknown>> {
  const table = new Map<string, (payload: unknown) => Promise<unknown>>()
  const h = handlers as unknown as Record<string, Record<string, (p: unknown) => Promise<unknown>>>
  for (const c of channels()) {
    if (c.kind !== 'request') continue
    const fn = h[c.namespace]?.[c.name]
    if (typeof fn !== 'function') throw new Error(`no handler for ${c.channel}`)
    table.set(c.channel, fn)
  }
  return table
}

function tokenOk(expected: string | null, given: string | undefined | null): boolean {
  if (!expected) return true
  if (!given) return false
  const a = Buffer.from(expected)
  const b = Buffer.from(given)
  return a.length === b.length && timingSafeEqual(a, b)
}

function cookieToken(req: IncomingMessage): string | undefined {
  const m = /(?:^|;\s*)mgtoken=([^;]+)/.exec(req.headers.cookie ?? '')
  return m?.[1]
}

export async function startServer(o: ServeOptions): Promise<RunningServer> {
  const host = o.host ?? '127.0.0.1'
  const token = loopback.has(host) ? (o.token ?? null) : (o.token ?? randomBytes(18).toString('base64url'))
  const table = requestTable(o.backend.handlers)

  const http = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x')
    const given = url.searchParams.get('token')
    if (token && !tokenOk(token, given) && !tokenOk(token, cookieToken(req))) {
      res.writeHead(401, { 'content-type': 'text/plain' }).end('a token is required: open the URL that `npm run serve` printed')
      return
    }
    if (token && given) res.setHeader('set-cookie', `mgtoken=${token}; HttpOnly; SameSite=Strict; Path=/`)
    void serveStatic(o.staticDir, req, res)
  })

  const wss = new WebSocketServer({ noServer: true, maxPayload: 300 * 1024 * 1024 })
  http.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://x')
    // Another web page must not drive the app: the socket has to come from our own page.
    const origin = req.headers.origin
    const sameOrigin = !origin || new URL(origin).host === req.headers.host
    const authorized = tokenOk(token, url.searchParams.get('token')) || tokenOk(token, cookieToken(req))
    if (url.pathname !== '/ws' || !sameOrigin || !authorized) {
      socket.end('HTTP/1.1 403 Forbidden\r\n\r\n')
      return
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req))
  })

  const clients = new Set<WebSocket>()
  const unsubscribe = o.backend.events.subscribe((channel, data) => {
    const text = JSON.stringify({ event: channel, data })
    for (const ws of clients) if (ws.readyState === ws.OPEN) ws.send(text)
  })
  wss.on('connection', (ws) => {
    clients.add(ws)
    ws.on('close', () => clients.delete(ws))
    ws.on('message', async (raw) => {
      let msg: { id?: unknown; channel?: unknown; payload?: unknown }
      try {
        msg = JSON.parse(raw.toString())
      } catch {
        return // not ours
      }
      if (typeof msg.id !== 'number') return
      const handler = typeof msg.channel === 'string' ? table.get(msg.channel) : undefined
      let reply: object
      if (!handler) {
        reply = { id: msg.id, ok: false, error: { code: 'BAD_REQUEST', message: `unknown channel ${String(msg.channel)}` } }
      } else {
        try {
          reply = { id: msg.id, ok: true, value: await handler(msg.payload) }
        } catch (e) {
          reply = { id: msg.id, ok: false, error: toErrorShape(e) }
        }
      }
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(reply))
    })
  })

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject)
    http.listen(o.port ?? 7860, host, () => resolve())
  })
  const port = (http.address() as AddressInfo).port
  const shownHost = host.includes(':') ? `[${host}]` : host
  return {
    url: `http://${shownHost}:${port}/${token ? `?token=${token}` : ''}`,
    port,
    token,
    async close() {
      unsubscribe()
      for (const ws of clients) ws.terminate()
      await new Promise<void>((resolve) => wss.close(() => resolve()))
      const closed = new Promise<void>((resolve) => http.close(() => resolve()))
      http.closeAllConnections() // idle keep-alive sockets would hold the close for seconds
      await closed
    },
  }
}
