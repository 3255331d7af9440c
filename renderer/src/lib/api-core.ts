// The typed API over any transport, generated from the contract. No window access here, so it
// can be tested as plain TypeScript.
import { channels, type Api } from '@common/contract'
import { ApiError, type Envelope } from '@common/errors'

export type ConnectionState = 'connecting' | 'open' | 'closed'

export interface Transport {
  invoke(channel: string, namespace: string, name: string, payload: unknown): Promise<Envelope<unknown>>
  subscribe(channel: string, namespace: string, name: string, listener: (data: unknown) => void): () => void
  onConnection(listener: (state: ConnectionState) => void): () => void
  readonly kind: 'ipc' | 'websocket'
}

export type Bridge = Record<string, Record<string, (arg: unknown) => unknown>>

/** The Electron preload's bridge (mgBridge.<namespace>.<name>) as a transport. */
export function bridgeTransport(bridge: Bridge): Transport {
  return {
    kind: 'ipc',
    invoke: (_c, ns, name, payload) => bridge[ns][name](payload) as Promise<Envelope<unknown>>,
    subscribe: (_c, ns, name, listener) => bridge[ns][name](listener) as () => void,
    onConnection: (listener) => {
      listener('open') // IPC is always connected
      return () => {}
    },
  }
}

export function createApi(t: Transport): Api {
  const api: Record<string, Record<string, unknown>> = {}
  for (const c of channels()) {
    const group = (api[c.namespace] ??= {})
    group[c.name] =
      c.kind === 'request'
        ? async (payload?: unknown) => {
            const env = await t.invoke(c.channel, c.namespace, c.name, payload)
            if (!env.ok) throw new ApiError(env.error.code, env.error.message, env.error.hint)
            return env.value
          }
        : (listener: (data: unknown) => void) => t.subscribe(c.channel, c.namespace, c.name, listener)
  }
  return api as Api
}
