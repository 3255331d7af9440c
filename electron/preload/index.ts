// The preload: exposes exactly the contract's channels through contextBridge, as
// mgBridge.<namespace>.<name>. Requests resolve to an envelope { ok, value | error }; event
// subscriptions return an unsubscribe function and never pass the IPC event itself.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron'
import { channels } from '../common/contract'

const bridge: Record<string, Record<string, unknown>> = {}
for (const c of channels()) {
  const group = (bridge[c.namespace] ??= {})
  group[c.name] =
    c.kind === 'request'
      ? (payload: unknown) => ipcRenderer.invoke(c.channel, payload)
      : (listener: (data: unknown) => void) => {
          const forward = (_e: IpcRendererEvent, data: unknown): void => listener(data)
          ipcRenderer.on(c.channel, forward)
          return () => ipcRenderer.removeListener(c.channel, forward)
        }
}
contextBridge.exposeInMainWorld('mgBridge', bridge)
