// The back end's outgoing events, typed by the contract. Each wiring (Electron IPC, WebSocket)
// subscribes once and forwards every event to its clients.
import type { EventChannel, EventOf } from '../common/contract'

export type EventListener = (channel: EventChannel, data: unknown) => void

export class EventBus {
  private listeners = new Set<EventListener>()
  emit<C extends EventChannel>(channel: C, data: EventOf<C>): void {
    for (const l of this.listeners) l(channel, data)
  }
  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }
}
