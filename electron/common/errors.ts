// Errors cross every boundary (engine process, IPC, WebSocket) as this plain shape, so the
// renderer can show the message and the hint whichever way it is connected.
export interface ApiErrorShape {
  code: string // e.g. BAD_REQUEST, NOT_FOUND, ENGINE_ERROR, ENGINE_CRASHED, NETWORK, DISK_FULL
  message: string
  hint?: string
}

export class ApiError extends Error implements ApiErrorShape {
  readonly code: string
  readonly hint?: string
  constructor(code: string, message: string, hint?: string) {
    super(message)
    this.name = 'ApiError'
    this.code = code
    if (hint) this.hint = hint
  }
  toShape(): ApiErrorShape {
    return this.hint ? { code: this.code, message: this.message, hint: this.hint } : { code: this.code, message: this.message }
  }
}

/** Any thrown value as the wire shape; unknown errors keep their message under INTERNAL. */
export function toErrorShape(e: unknown): ApiErrorShape {
  if (e instanceof ApiError) return e.toShape()
  if (e && typeof e === 'object' && 'code' in e && 'message' in e && typeof (e as ApiErrorShape).code === 'string') {
    const { code, message, hint } = e as ApiErrorShape
    return hint ? { code, message: String(message), hint } : { code, message: String(message) }
  }
  if (e instanceof Error) {
    const hint = (e as { hint?: unknown }).hint
    return typeof hint === 'string' ? { code: 'INTERNAL', message: e.message, hint } : { code: 'INTERNAL', message: e.message }
  }
  return { code: 'INTERNAL', message: String(e) }
}

/** The result of a request as it travels: exactly one of value or error. */
export type Envelope<T> = { ok: true; value: T } | { ok: false; error: ApiErrorShape }
