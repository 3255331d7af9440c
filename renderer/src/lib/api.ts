// The renderer's one door to the back end. Stores call `api`; nothing else talks to a transport.
// In the Electron app the transport is the preload's bridge; in a browser (serve mode) it is a
// WebSocket. Both are generated from the same contract.
import type { Api } from '@common/contract'
import { bridgeTransport, createApi, type Bridge, type Transport } from './api-core'
import { createWebSocketTransport } from './ws-transport'

declare global {
  interface Window {
    mgBridge?: Bridge
  }
}

export const transport: Transport = window.mgBridge ? bridgeTransport(window.mgBridge) : createWebSocketTransport(window.location)
export const api: Api = createApi(transport)
