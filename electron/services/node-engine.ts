// The engine process as a Node child (serve mode and tests). The Electron app uses
// main/engine-process.ts instead; both satisfy EngineWorker.
import { fork } from 'node:child_process'
import type { HostMessage, HostRequest } from '../common/engine-protocol'
import type { EngineWorker, ExitInfo } from './engine-client'

/**
 * The engine process's environment. OpenMP threads wait passively by default: when another
 * process holds a core (the UI, a browser, anything on a 4-core Pi), spinning threads stall
 * every parallel region, and we measured a tiny model's training go from 58 ms to 30 s for 20
 * steps. A user's own OMP_WAIT_POLICY still wins.
 */
export function engineEnv(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...base, OMP_WAIT_POLICY: base.OMP_WAIT_POLICY ?? 'passive' }
}

export function forkEngine(hostScript: string, env: NodeJS.ProcessEnv = engineEnv()): EngineWorker {
  const child = fork(hostScript, [], { env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const exitListeners: ((info: ExitInfo) => void)[] = []
  let exited: ExitInfo | null = null
  child.on('exit', (code, signal) => {
    exited = { code, signal }
    for (const l of exitListeners) l(exited)
  })
  child.on('error', () => {}) // a failed send to a dead child; the exit handler reports it
  return {
    pid: child.pid,
    send: (m: HostRequest) => {
      if (child.connected) child.send(m)
    },
    onMessage: (l) => child.on('message', (m) => l(m as HostMessage)),
    onExit: (l) => (exited ? l(exited) : exitListeners.push(l)),
    kill: () => {
      if (exited) return
      if (child.connected) child.disconnect() // the host exits when its parent goes
      setTimeout(() => exited || child.kill('SIGKILL'), 1500).unref()
    },
  }
}
