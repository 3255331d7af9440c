// The one way the renderer shows an error: its message and what to do, never a stack trace.
// Every store and component goes through here, whatever threw (the API, a transport, a bug).
import type { ApiErrorShape } from '@common/errors'

export interface ShownError {
  code: string
  message: string
  hint?: string
}

export function toShownError(e: unknown): ShownError {
  if (e && typeof e === 'object' && 'message' in e) {
    const o = e as Partial<ApiErrorShape> & { message: unknown }
    const code = typeof o.code === 'string' ? o.code : 'INTERNAL'
    const message = String(o.message).split('\n')[0] // a stray stack stays out of the window
    return typeof o.hint === 'string' && o.hint ? { code, message, hint: o.hint } : { code, message }
  }
  return { code: 'INTERNAL', message: String(e) }
}

/** One line: "message (hint)". */
export function formatError(e: unknown): string {
  const s = toShownError(e)
  return s.hint ? `${s.message} (${s.hint})` : s.message
}
