// The WebSocket transport of serve mode: requests matched by id, events fanned out, and a
// reconnect with backoff. Requests in flight when the socket drops fail with DISCONNECTED
// rather than hanging. A request too large for one WebSocket message (an imported dataset) is
// sent as `POST /api/<channel>` instead; the page's cookie carries the token.
import type { Envelope } from '@common/errors'
import { maxSocketMessageBytes } from '@common/limits'
import type { ConnectionState, Transport } from './api-core'

async function post(location: Location, channel: string, payload: unknown): Promise<Envelope<unknown>> {
  try {
    const res = await fetch(`${location.origin}/api/${channel}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: payload === undefined ? '' : JSON.stringify(payload),
    })
    if (!(res.headers.get('content-type') ?? '').startsWith('application/json'))
      return { ok: false, error: { code: 'HTTP_' + res.status, message: (await res.text()).trim() || `the app answered HTTP ${res.status}` } }
    return (await res.json()) as Envelope<unknown>
  } catch (e) {
    return { ok: false, error: { code: 'DISCONNECTED', message: `could not reach the app: ${String(e)}`, hint: 'check that `npm run serve` is still running' } }
  }
}

export function createWebSocketTransport(location: Location): Transport {
  const token = new URLSearchParams(location.search).get('token')
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws${token ? `?token=${encodeURIComponent(token)}` : ''}`
  const pending = new Map<number, (env: Envelope<unknown>) => void>()
  const listeners = new Map<string, Set<(data: unknown) => void>>()
  const stateListeners = new Set<(s: ConnectionState) => void>()
  let state: ConnectionState = 'connecting'
  let socket: WebSocket
  let nextId = 1
  let backoff = 500
  const queue: string[] = []

  const setState = (s: ConnectionState): void => {
    state = s
    for (const l of stateListeners) l(s)
  }

  const connect = (): void => {
    setState('connecting')
    socket = new WebSocket(url)
    socket.onopen = () => {
      backoff = 500
      setState('open')
      for (const m of queue.splice(0)) socket.send(m)
    }
    socket.onmessage = (e) => {
      const msg = JSON.parse(String(e.data)) as { id?: number; event?: string; data?: unknown } & Envelope<unknown>
      if (typeof msg.id === 'number') {
        pending.get(msg.id)?.(msg)
        pending.delete(msg.id)
      } else if (msg.event) {
        for (const l of listeners.get(msg.event) ?? []) l(msg.data)
      }
    }
    socket.onclose = () => {
      for (const resolve of pending.values())
        resolve({ ok: false, error: { code: 'DISCONNECTED', message: 'lost the connection to the app', hint: 'it reconnects by itself; check that `npm run serve` is still running' } })
      pending.clear()
      setState('closed')
      setTimeout(connect, backoff)
      backoff = Math.min(backoff * 2, 10_000)
    }
  }
  connect()

  return {
    kind: 'websocket',
    invoke(channel, _ns, _name, payload) {
      const id = nextId++
      const text = JSON.stringify({ id, channel, payload })
      // bytes, not UTF-16 units: the server's bound is on the encoded message
      if (text.length * 3 > maxSocketMessageBytes && new TextEncoder().encode(text).length > maxSocketMessageBytes)
        return post(location, channel, payload)
      return new Promise((resolve) => {
        pending.set(id, resolve)
        if (state === 'open') socket.send(text)
        else queue.push(text)
      })
    },
    subscribe(channel, _ns, _name, listener) {
      const set = listeners.get(channel) ?? new Set()
      listeners.set(channel, set)
      set.add(listener)
      return () => set.delete(listener)
    },
    onConnection(listener) {
      stateListeners.add(listener)
      listener(state)
      return () => stateListeners.delete(listener)
    },
  }
}
