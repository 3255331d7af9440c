// Checks on payloads that arrive from the renderer (untrusted: in serve mode, from a network).
import { ApiError } from '../common/errors'
import { FieldError } from '../common/fields'

export function bad(message: string): ApiError {
  return new ApiError('BAD_REQUEST', message)
}

export function object(v: unknown, what: string): Record<string, unknown> {
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw bad(`${what} must be an object`)
  return v as Record<string, unknown>
}

export function string(v: unknown, what: string, maxLength = 1000): string {
  if (typeof v !== 'string') throw bad(`${what} must be a string`)
  if (v.length > maxLength) throw bad(`${what} is too long (at most ${maxLength} characters)`)
  return v
}

export function optionalInt(v: unknown, what: string, min: number, max: number): number | undefined {
  if (v === undefined || v === null) return undefined
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    throw bad(`${what} must be a whole number from ${min} to ${max}`)
  return v
}

/** Copies only the listed keys, so unknown fields never travel further. */
export function pick<T extends object>(v: unknown, keys: readonly (keyof T & string)[], what: string): Partial<T> {
  if (v === undefined || v === null) return {}
  const o = object(v, what)
  const out: Record<string, unknown> = {}
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k]
  return out as Partial<T>
}

/** Runs fields.ts's checkFields (or any check that throws FieldError), its refusals as BAD_REQUEST. */
export function checkedFields<T>(check: () => T): T {
  try {
    return check()
  } catch (e) {
    if (e instanceof FieldError) throw bad(e.message)
    throw e
  }
}
