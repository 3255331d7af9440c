// Follows one streamed generation at a time (the Generate window's completion, a chat's reply).
// Every window's generations share one event channel, routed by generation id; the events that
// arrive before the request that started a generation is answered (its id not yet known) are
// held and replayed once it is, so a fast first piece is never lost.
import type { GenerationEvent } from '@common/types'
import { api } from './api'

export interface GenerationFollower {
  /** Runs the request that starts a generation and follows it; throws what the request threw. */
  start(request: () => Promise<{ generationId: string }>): Promise<string>
  /** Stops the generation being followed; one that had just ended is not an error. */
  cancel(): Promise<void>
  /** The generation being followed, until its done or error event. */
  readonly id: string | null
}

export function followGeneration(onEvent: (e: GenerationEvent) => void): GenerationFollower {
  let id: string | null = null
  let starting = false
  let early: GenerationEvent[] = []
  const deliver = (e: GenerationEvent): void => {
    if (e.generationId !== id) return // another window's
    if (e.type !== 'token') id = null
    onEvent(e)
  }
  api.generation.onEvent((e) => (starting ? early.push(e) : deliver(e)))
  return {
    async start(request) {
      starting = true
      early = []
      try {
        id = (await request()).generationId
        return id
      } finally {
        starting = false
        for (const e of early.splice(0)) deliver(e)
      }
    },
    async cancel() {
      if (!id) return
      try {
        await api.generation.cancel({ generationId: id })
      } catch (e) {
        if ((e as { code?: unknown })?.code !== 'NOT_FOUND') throw e
      }
    },
    get id() {
      return id
    },
  }
}
