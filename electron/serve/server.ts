// Serve mode: the app's contract over WebSocket plus the renderer's files over HTTP, so the UI
// runs in any browser (a headless Pi reached from a laptop). The WebSocket wiring is generated
// from the contract, like the Electron IPC wiring.
//   client -> server  { id, channel, payload }
//   server -> client  { id, ok: true, value } | { id, ok: false, error } | { event, data }
// A request too large for one WebSocket message goes as `POST /api/<channel>` with the payload
// as its JSON body, answered with the same envelope; a dataset file is uploaded as the raw body
// of `POST /upload/dataset?name=<file name>`.
// Bound to 127.0.0.1 by default; any other address requires a token (given, or generated and
// printed), accepted as ?token= once and then as an HttpOnly cookie. electron/serve/guard.ts
// decides who may talk; this file never lets one request or frame take the process down.
import { randomBytes } from 'node:crypto'
import { createServer, STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { PassThrough, type Duplex } from 'node:stream'
import { WebSocketServer, type RawData, type WebSocket } from 'ws'
import { channels, type Handlers } from '../common/contract'
import { toErrorShape, type Envelope } from '../common/errors'
import { maxImportBytes, maxPostBodyBytes, maxSocketMessageBytes } from '../common/limits'
import type { Backend } from '../services/backend'
import { checkRequest, checkToken, loopbackHosts, parseTarget, type GuardOptions } from './guard'
import { serveStatic } from './static-files'

export interface ServeLimits {
  maxSockets: number // TCP connections at once, HTTP and WebSocket together
  maxClients: number // WebSocket clients at once (browser tabs)
  maxMessageBytes: number // one WebSocket message
  maxBodyBytes: number // one POST body
  maxInFlight: number // requests of one socket still waiting for their answer
  maxBufferedBytes: number // unsent bytes to a client that stopped reading, before it is dropped
}

export const defaultLimits: ServeLimits = {
  maxSockets: 128,
  maxClients: 16,
  maxMessageBytes: maxSocketMessageBytes,
  maxBodyBytes: maxPostBodyBytes,
  maxInFlight: 64,
  maxBufferedBytes: 64 * 1024 * 1024,
}

export interface ServeOptions {
  backend: Pick<Backend, 'handlers' | 'events'> & Partial<Pick<Backend, 'importUpload'>>
  staticDir: string
  host?: string
  port?: number
  token?: string
  limits?: Partial<ServeLimits>
}

export interface RunningServer {
  url: string // what to open in a browser (with the token when one is needed)
  port: number
  token: string | null
  close(): Promise<void>
}

type Handler = (payload: unknown) => Promise<unknown>

/** request channel -> handler, for every request channel of the contract (throws if one is missing). */
export function requestTable(handlers: Handlers): Map<string, Handler> {
  const table = new Map<string, Handler>()
  const h = handlers as unknown as Record<string, Record<string, Handler>>
  for (const c of channels()) {
    if (c.kind !== 'request') continue
    const fn = h[c.namespace]?.[c.name]
    if (typeof fn !== 'function') throw new Error(`no handler for ${c.channel}`)
    table.set(c.channel, fn)
  }
  return table
}

/** One request, whichever way it came: never rejects. */
async function answer(table: Map<string, Handler>, channel: unknown, payload: unknown): Promise<Envelope<unknown>> {
  const handler = typeof channel === 'string' ? table.get(channel) : undefined
  if (!handler)
    return { ok: false, error: { code: 'BAD_REQUEST', message: `unknown channel ${String(channel).slice(0, 80)}` } }
  try {
    return { ok: true, value: await handler(payload) }
  } catch (e) {
    return { ok: false, error: toErrorShape(e) }
  }
}

/** JSON of a reply; a value that cannot be serialised becomes an error reply, not a throw. */
function serialise(reply: object): string {
  try {
    return JSON.stringify(reply)
  } catch (e) {
    const id = (reply as { id?: unknown }).id
    return JSON.stringify({ id, ok: false, error: { code: 'INTERNAL', message: `the reply could not be encoded: ${String(e)}` } })
  }
}

function isRequestMessage(m: unknown): m is { id: number; channel: unknown; payload?: unknown } {
  return typeof m === 'object' && m !== null && !Array.isArray(m) && Number.isSafeInteger((m as { id?: unknown }).id)
}

/** A plain-text HTTP answer written straight onto a socket that has no ServerResponse. */
function refuseSocket(socket: Duplex, status: number, reason: string): void {
  if (socket.destroyed) return
  const body = `${reason}\n`
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nconnection: close\r\ncontent-type: text/plain; charset=utf-8\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  )
  ;(socket as Partial<Socket>).destroySoon?.() // close once the answer is flushed
}

function sendText(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) return void res.destroy()
  const body = `${text}\n`
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body), ...headers }).end(body)
}

function sendEnvelope(res: ServerResponse, status: number, env: Envelope<unknown>): void {
  const body = serialise(env)
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' }).end(body)
}

/** The body of a POST, up to `limit` bytes; null when it is larger (the rest is not read). */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'])
    if (declared > limit) return resolve(null)
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (c: Buffer) => {
      size += c.length
      if (size > limit) {
        req.removeAllListeners('data')
        req.pause()
        resolve(null)
      } else chunks.push(c)
    })
    req.on('end', () => resolve(Buffer.concat(chunks)))
    req.on('error', reject)
  })
}

export async function startServer(o: ServeOptions): Promise<RunningServer> {
  const limits = { ...defaultLimits, ...o.limits }
  const host = o.host ?? '127.0.0.1'
  checkToken(o.token)
  const loopbackOnly = loopbackHosts.has(host)
  const token = loopbackOnly ? (o.token ?? null) : (o.token ?? randomBytes(18).toString('base64url'))
  const table = requestTable(o.backend.handlers)
  const guard: GuardOptions = { port: 0, loopbackOnly, token } // the port is known once listening

  // ---- HTTP: the renderer's files, and requests too large for a WebSocket message
  async function onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const target = parseTarget(req.url)
    if (!target) return sendText(res, 400, 'malformed request target')
    const post = req.method === 'POST'
    if (!post && req.method !== 'GET' && req.method !== 'HEAD') return sendText(res, 405, 'method not allowed', { allow: 'GET, HEAD, POST' })
    const queryToken = target.params.get('token')
    const verdict = checkRequest(guard, req.headers, queryToken, post ? 'post' : 'read')
    if (verdict.status !== 200) return sendText(res, verdict.status, verdict.reason)
    if (token && queryToken) res.setHeader('set-cookie', `mgtoken=${token}; HttpOnly; SameSite=Strict; Path=/`)
    if (!post) return serveStatic(o.staticDir, target.pathname, req, res)
    if (target.pathname === '/upload/dataset') return upload(req, res, target.params.get('name'))

    const channel = /^\/api\/([a-z]+\.[a-zA-Z]+)$/.exec(target.pathname)?.[1]
    if (!channel || !table.has(channel))
      return sendEnvelope(res, 404, { ok: false, error: { code: 'BAD_REQUEST', message: `no request channel at ${target.pathname.slice(0, 80)}` } })
    const body = await readBody(req, limits.maxBodyBytes)
    if (body === null) {
      res.setHeader('connection', 'close') // the unread rest of the body must not be parsed as a request
      return sendEnvelope(res, 413, {
        ok: false,
        error: { code: 'TOO_LARGE', message: `the request is larger than ${limits.maxBodyBytes / 1024 / 1024} MiB`, hint: 'use a smaller file' },
      })
    }
    let payload: unknown
    try {
      payload = body.length ? JSON.parse(body.toString('utf8')) : undefined
    } catch {
      return sendEnvelope(res, 400, { ok: false, error: { code: 'BAD_REQUEST', message: 'the body is not valid JSON' } })
    }
    sendEnvelope(res, 200, await answer(table, channel, payload))
  }

  // A dataset file as the raw body of `POST /upload/dataset?name=<file name>`, streamed to disk.
  async function upload(req: IncomingMessage, res: ServerResponse, name: string | null): Promise<void> {
    const importUpload = o.backend.importUpload
    if (!importUpload) return sendEnvelope(res, 404, { ok: false, error: { code: 'BAD_REQUEST', message: 'uploads are not served here' } })
    if (Number(req.headers['content-length']) > maxImportBytes) {
      res.setHeader('connection', 'close')
      return sendEnvelope(res, 413, { ok: false, error: { code: 'TOO_LARGE', message: `the file is larger than ${maxImportBytes / 1024 / 1024} MiB`, hint: 'split it, or import a smaller file' } })
    }
    // through a PassThrough, so that a refused upload (not text, too large) ends the import's
    // streams but not the request, which still gets its answer
    const body = new PassThrough()
    req.pipe(body)
    let env: Envelope<unknown>
    try {
      env = { ok: true, value: await importUpload(name ?? '', body) }
    } catch (e) {
      env = { ok: false, error: toErrorShape(e) }
      req.unpipe(body)
      if (!req.complete) res.setHeader('connection', 'close') // the unread rest must not be parsed as a request
    }
    sendEnvelope(res, 200, env)
  }

  const http = createServer({ headersTimeout: 15_000, requestTimeout: 10 * 60_000, maxHeaderSize: 16 * 1024 }, (req, res) => {
    onRequest(req, res).catch((e) => sendText(res, 500, `internal error: ${String(e)}`))
  })

  // Every connection counts against one bound; past it, a clear 503 instead of a slow death.
  const sockets = new Set<Socket>()
  http.on('connection', (socket: Socket) => {
    socket.on('error', () => socket.destroy())
    if (sockets.size >= limits.maxSockets) return refuseSocket(socket, 503, 'too many connections to serve mode; close some tabs')
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })

  // ---- WebSocket: the contract
  const wss = new WebSocketServer({ noServer: true, maxPayload: limits.maxMessageBytes, perMessageDeflate: false })
  const clients = new Set<WebSocket>()
  let upgrading = 0
  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy())
    const target = parseTarget(req.url)
    if (!target) return refuseSocket(socket, 400, 'malformed request target')
    if (target.pathname !== '/ws') return refuseSocket(socket, 404, 'the WebSocket is at /ws')
    const verdict = checkRequest(guard, req.headers, target.params.get('token'), 'socket')
    if (verdict.status !== 200) return refuseSocket(socket, verdict.status, verdict.reason)
    if (clients.size + upgrading >= limits.maxClients)
      return refuseSocket(socket, 503, `serve mode has ${limits.maxClients} windows open already; close one`)
    // counted from here until the handshake ends either way (a failed one never calls back)
    upgrading++
    let pending = true
    const settled = (): void => {
      if (pending) upgrading--
      pending = false
    }
    socket.once('close', settled)
    wss.handleUpgrade(req, socket, head, (ws) => {
      settled()
      onSocket(ws)
    })
  })

  function send(ws: WebSocket, text: string): void {
    if (ws.readyState !== ws.OPEN) return
    if (ws.bufferedAmount > limits.maxBufferedBytes) return void ws.terminate() // it stopped reading
    ws.send(text)
  }

  function onSocket(ws: WebSocket): void {
    clients.add(ws)
    let inFlight = 0
    // ws closes the socket itself on a protocol error (1002 unmasked frame, 1007 invalid UTF-8,
    // 1009 too large); without this listener the error would be thrown and end the process.
    ws.on('error', () => {})
    ws.on('close', () => clients.delete(ws))
    ws.on('message', (raw: RawData, isBinary: boolean) => {
      if (isBinary) return ws.close(1003, 'only text messages')
      let msg: unknown
      try {
        msg = JSON.parse(raw.toString())
      } catch {
        return ws.close(1007, 'a message must be JSON')
      }
      if (!isRequestMessage(msg)) return ws.close(1008, 'a message must be {id, channel, payload}')
      const { id } = msg
      if (inFlight >= limits.maxInFlight)
        return send(ws, serialise({ id, ok: false, error: { code: 'BUSY', message: `more than ${limits.maxInFlight} requests at once`, hint: 'wait for answers before asking again' } }))
      inFlight++
      void answer(table, msg.channel, msg.payload).then((reply) => {
        inFlight--
        send(ws, serialise({ id, ...reply }))
      })
    })
  }

  const unsubscribe = o.backend.events.subscribe((channel, data) => {
    const text = serialise({ event: channel, data })
    for (const ws of clients) send(ws, text)
  })

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject)
    http.listen(o.port ?? 7860, host, () => resolve())
  })
  const port = (http.address() as AddressInfo).port
  guard.port = port
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
      for (const s of sockets) s.destroy()
      await closed
    },
  }
}
