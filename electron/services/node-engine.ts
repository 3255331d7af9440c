// The engine process as a Node child (serve mode and tests). The Electron app uses
// main/engine-process.ts instead; both satisfy EngineWorker.
import { fork } from 'node:child_process'
import type { HostMessage, HostRequest } from '../common/engine-protocol'
import type { EngineWorker, ExitInfo } from './engine-client'

/**
 * The engine process's environment: idle OpenMP threads spin briefly (GOMP_SPINCOUNT 10000)
 * before sleeping, as the CLI does (native/src/core/omp-wait.h has the measurements: passive
 * waiting costs 10x in generation; libgomp's long default spin stalls when other processes
 * hold the cores). A user's own OMP_WAIT_POLICY or GOMP_SPINCOUNT wins.
 */
export function engineEnv(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  if (base.OMP_WAIT_POLICY || base.GOMP_SPINCOUNT) return { ...base }
  return { ...base, GOMP_SPINCOUNT: '10000' }
}

/** How the engine process is started: this Node by default; the tests name another (an arm64
 *  Node under qemu-aarch64, as `execPath` qemu and `execArgv` its flags and the Node). */
export interface EngineLauncher {
  execPath: string
  execArgv: string[]
}

export function forkEngine(hostScript: string, env: NodeJS.ProcessEnv = engineEnv(), launcher?: EngineLauncher): EngineWorker {
  const child = fork(hostScript, [], { env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'], ...launcher })
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
