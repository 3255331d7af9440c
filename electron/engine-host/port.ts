// The engine process talks to its parent through one of two ports: Electron's utilityProcess
// gives process.parentPort; a Node child_process.fork gives process.send. Same messages both ways.
export interface Port {
  send(message: unknown): void
  onMessage(listener: (message: unknown) => void): void
  onParentGone(listener: () => void): void
}

interface ParentPort {
  postMessage(message: unknown): void
  on(event: 'message', listener: (e: { data: unknown }) => void): void
}

export function connectPort(): Port {
  const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort
  if (parentPort) {
    return {
      send: (m) => parentPort.postMessage(m),
      onMessage: (l) => parentPort.on('message', (e) => l(e.data)),
      onParentGone: () => {}, // a utility process dies with its parent
    }
  }
  if (!process.send) throw new Error('the engine host must run as a utility process or a forked child')
  return {
    send: (m) => process.send?.(m),
    onMessage: (l) => process.on('message', l),
    onParentGone: (l) => process.on('disconnect', l),
  }
}
