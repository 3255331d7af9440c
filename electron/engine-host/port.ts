// The engine process talks to its parent through one of two ports: Electron's utilityProcess
// gives process.parentPort; a Node child_process.fork gives process.send. Same messages both ways.
//
// The engine must not outlive its parent: an orphan would go on training and rewriting a
// checkpoint that a restarted app then trains into too. A forked child hears 'disconnect' when
// the IPC channel closes; either kind also watches its parent pid, which becomes another
// process's (a subreaper's, or 1) the moment the parent dies, however it died (SIGKILL included).
export interface Port {
  send(message: unknown): void
  onMessage(listener: (message: unknown) => void): void
  onParentGone(listener: () => void): void
}

interface ParentPort {
  postMessage(message: unknown): void
  on(event: 'message', listener: (e: { data: unknown }) => void): void
}

export const parentWatchIntervalMs = 250

function watchParent(listener: () => void): void {
  const parent = process.ppid
  const timer = setInterval(() => {
    if (process.ppid === parent) return
    clearInterval(timer)
    listener()
  }, parentWatchIntervalMs)
  timer.unref()
}

export function connectPort(): Port {
  const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort
  if (parentPort) {
    return {
      send: (m) => parentPort.postMessage(m),
      onMessage: (l) => parentPort.on('message', (e) => l(e.data)),
      onParentGone: (l) => watchParent(l),
    }
  }
  if (!process.send) throw new Error('the engine host must run as a utility process or a forked child')
  return {
    // after the channel closes, process.send would emit an 'error' that nobody handles
    send: (m) => {
      if (process.connected) process.send?.(m)
    },
    onMessage: (l) => process.on('message', l),
    onParentGone: (l) => {
      let called = false
      const once = (): void => {
        if (!called) l()
        called = true
      }
      process.on('disconnect', once)
      watchParent(once)
    },
  }
}
