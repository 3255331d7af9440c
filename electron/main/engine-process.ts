// The engine process as an Electron utilityProcess (serve mode and tests use a Node child:
// services/node-engine.ts). Both satisfy EngineWorker.
import { utilityProcess } from 'electron'
import type { HostMessage, HostRequest } from '../common/engine-protocol'
import type { EngineWorker, ExitInfo } from '../services/engine-client'
import { engineEnv } from '../services/node-engine'

export function utilityEngine(hostScript: string): EngineWorker {
  const child = utilityProcess.fork(hostScript, [], { serviceName: 'MicroGPT engine', stdio: 'inherit', env: engineEnv() })
  const exitListeners: ((info: ExitInfo) => void)[] = []
  let exited: ExitInfo | null = null
  child.on('exit', (code) => {
    // utilityProcess reports a code only; a kill shows as a non-zero code
    exited = { code, signal: null }
    for (const l of exitListeners) l(exited)
  })
  return {
    get pid() {
      return child.pid
    },
    send: (m: HostRequest) => child.postMessage(m),
    onMessage: (l) => child.on('message', (m) => l(m as HostMessage)),
    onExit: (l) => (exited ? l(exited) : exitListeners.push(l)),
    kill: () => {
      if (!exited) child.kill()
    },
  }
}
