// A request's state for a component or store: running, its error (shown by code with the hint)
// and its last value. Calls that overlap are fine: only the latest sets the state.
import { ref, shallowRef, type Ref } from 'vue'
import { toShownError, type ShownError } from '../lib/errors'

export interface Request<A extends unknown[], T> {
  loading: Ref<boolean>
  error: Ref<ShownError | null>
  value: Ref<T | undefined>
  run: (...args: A) => Promise<T | undefined>
}

export function useRequest<A extends unknown[], T>(fn: (...args: A) => Promise<T>): Request<A, T> {
  const loading = ref(false)
  const error = ref<ShownError | null>(null)
  const value = shallowRef<T>()
  let latest = 0
  async function run(...args: A): Promise<T | undefined> {
    const mine = ++latest
    loading.value = true
    error.value = null
    try {
      const v = await fn(...args)
      if (mine === latest) value.value = v
      return v
    } catch (e) {
      if (mine === latest) error.value = toShownError(e)
      return undefined
    } finally {
      if (mine === latest) loading.value = false
    }
  }
  return { loading, error, value: value as Ref<T | undefined>, run }
}
