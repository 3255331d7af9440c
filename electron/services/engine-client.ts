// EngineClient: the back end's handle on the engine process. It starts the process on demand,
// matches responses to requests, fans out training and generation events, and turns a dead
// process (crash, OOM kill, kill -9) into errors and a status event instead of a hang. The next
// request starts a fresh process.
import { ApiError } from '../common/errors'
import type {
  HostGenerateEvent,
  HostMessage,
  HostMethod,
  HostMethods,
  HostRequest,
  HostTrainEvent,
} from '../common/engine-protocol'
import type { EngineStatus } from '../common/types'

export interface ExitInfo {
  code: number | null
  signal: string | null
}

/** One running engine process, however it was started (utilityProcess or child_process). */
export interface EngineWorker {
  readonly pid: number | undefined
  send(message: HostRequest): void
  onMessage(listener: (message: HostMessage) => void): void
  onExit(listener: (info: ExitInfo) => void): void
  kill(): void
}
export type SpawnEngine = () => EngineWorker

interface Pending {
  resolve(value: unknown): void
  reject(error: Error): void
  timer: ReturnType<typeof setTimeout> | undefined
}

export function describeExit(info: ExitInfo): string {
  if (info.signal === 'SIGKILL') return 'it was killed (SIGKILL), often because the system ran out of memory'
  if (info.signal) return `it was stopped by signal ${info.signal}`
  return `it exited with code ${info.code}`
}

export class EngineClient {
  private worker: EngineWorker | null = null
  private ready = false
  private queue: HostRequest[] = []
  private pending = new Map<number, Pending>()
  private nextId = 1
  private closing = false
  private trainListeners = new Set<(jobId: string, e: HostTrainEvent) => void>()
  private generateListeners = new Set<(jobId: string, e: HostGenerateEvent) => void>()
  private statusListeners = new Set<(s: EngineStatus) => void>()

  constructor(
    private readonly spawn: SpawnEngine,
    private readonly timeoutMs = 120_000,
  ) {}

  get pid(): number | undefined {
    return this.worker?.pid
  }

  /** timeoutMs: how long to wait for the answer (null: as long as the process lives, for long jobs). */
  call<M extends HostMethod>(method: M, params: HostMethods[M][0], timeoutMs: number | null = this.timeoutMs): Promise<HostMethods[M][1]> {
    if (this.closing) return Promise.reject(new ApiError('ENGINE_STOPPED', 'the engine is shutting down'))
    try {
      this.ensureWorker()
    } catch (e) {
      // a process that cannot even be started fails this call, as a crash would, not the caller's frame
      return Promise.reject(new ApiError('ENGINE_CRASHED', `the engine process could not start: ${(e as Error).message}`, 'try again; if it keeps failing, reinstall the app'))
    }
    const id = this.nextId++
    return new Promise((resolve, reject) => {
      const timer = timeoutMs === null ? undefined : setTimeout(() => {
        this.pending.delete(id)
        reject(new ApiError('ENGINE_TIMEOUT', `the engine did not answer ${method} within ${timeoutMs / 1000}s`,
          'the engine may be overloaded; try again, or restart the app'))
      }, timeoutMs)
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer })
      const req: HostRequest = { id, method, params }
      if (this.ready) this.worker?.send(req)
      else this.queue.push(req)
    })
  }

  onTrain(listener: (jobId: string, e: HostTrainEvent) => void): () => void {
    this.trainListeners.add(listener)
    return () => this.trainListeners.delete(listener)
  }
  onGenerate(listener: (jobId: string, e: HostGenerateEvent) => void): () => void {
    this.generateListeners.add(listener)
    return () => this.generateListeners.delete(listener)
  }
  onStatus(listener: (s: EngineStatus) => void): () => void {
    this.statusListeners.add(listener)
    return () => this.statusListeners.delete(listener)
  }

  /** Stops the process: polite first (closing its channel), then kill after waitMs. */
  async shutdown(waitMs = 2000): Promise<void> {
    this.closing = true
    const w = this.worker
    if (!w) return
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        w.kill()
        resolve()
      }, waitMs)
      w.onExit(() => {
        clearTimeout(timer)
        resolve()
      })
      w.kill()
    })
  }

  private ensureWorker(): void {
    if (this.worker) return
    const w = this.spawn()
    this.worker = w
    this.ready = false
    this.emitStatus({ state: 'starting' })
    w.onMessage((m) => this.receive(w, m))
    w.onExit((info) => this.exited(w, info))
  }

  private receive(w: EngineWorker, m: HostMessage): void {
    if (w !== this.worker) return
    switch (m.kind) {
      case 'ready':
        this.ready = true
        for (const req of this.queue.splice(0)) w.send(req)
        this.emitStatus({ state: 'ready', pid: m.pid })
        break
      case 'response': {
        const p = this.pending.get(m.id)
        if (!p) return
        this.pending.delete(m.id)
        clearTimeout(p.timer)
        if (m.ok) p.resolve(m.value)
        else p.reject(new ApiError(m.error.code, m.error.message, m.error.hint))
        break
      }
      case 'train':
        for (const l of this.trainListeners) l(m.jobId, m.event)
        break
      case 'generate':
        for (const l of this.generateListeners) l(m.jobId, m.event)
        break
    }
  }

  private exited(w: EngineWorker, info: ExitInfo): void {
    if (w !== this.worker) return
    this.worker = null
    this.ready = false
    this.queue = []
    const message = `The engine process stopped unexpectedly: ${describeExit(info)}.`
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer)
      p.reject(new ApiError('ENGINE_CRASHED', message, 'it restarts on your next action; training can continue from its last autosave'))
      this.pending.delete(id)
    }
    if (!this.closing) this.emitStatus({ state: 'crashed', message })
  }

  private emitStatus(s: EngineStatus): void {
    for (const l of this.statusListeners) l(s)
  }
}
