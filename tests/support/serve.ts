// Test support for serve mode: the built serve mode as a process (node out/main/serve.js) on a
// free port with a fresh data folder; and, for the server in-process, a static folder, a backend
// whose every request channel answers with its own name, and a WebSocket client.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import WebSocket from 'ws'
import { EventBus } from '../../electron/services/event-bus'
import { repoRoot, tempDir } from './engine'

export interface ServeProcess {
  url: string
  dataDir: string
  child: ChildProcess
  stop(): Promise<void>
}

export async function startServe(args: string[] = [], dataDir = tempDir('mg-serve-'), env: NodeJS.ProcessEnv = process.env): Promise<ServeProcess> {
  const child = spawn(process.execPath, [join(repoRoot, 'out', 'main', 'serve.js'), '--port', '0', '--data-dir', dataDir, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env,
  })
  const url = await new Promise<string>((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => reject(new Error(`serve mode did not start: ${out}`)), 20_000)
    child.stdout!.on('data', (d) => {
      out += d
      const m = /serving at (\S+)/.exec(out)
      if (m) {
        clearTimeout(timer)
        resolve(m[1])
      }
    })
    child.on('exit', (code) => reject(new Error(`serve mode exited with ${code}: ${out}`)))
  })
  return {
    url,
    dataDir,
    child,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve()
        child.on('exit', () => resolve())
        child.kill('SIGTERM')
      }),
  }
}

export function fakeStatic(): string {
  const dir = tempDir('mg-static-')
  mkdirSync(join(dir, 'assets'))
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>t</title>')
  writeFileSync(join(dir, 'assets', 'a.js'), 'console.log(1)')
  writeFileSync(join(dir, '..', 'secret.txt'), 'no')
  return dir
}

// Real handlers are exercised elsewhere; here every request channel answers with its own name.
export function echoBackend() {
  const handlers = new Proxy({}, { get: (_t, ns: string) => new Proxy({}, { get: (_u, name: string) => async (p: unknown) => ({ channel: `${ns}.${name}`, p }) }) })
  return { handlers: handlers as never, events: new EventBus() }
}

export function connect(url: string, headers: Record<string, string> = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers })
    ws.once('open', () => resolve(ws))
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)))
    ws.once('error', reject)
  })
}

export function call(ws: WebSocket, channel: string, payload?: unknown): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    const id = Math.floor(Math.random() * 1e9)
    const onMessage = (raw: WebSocket.RawData): void => {
      const msg = JSON.parse(raw.toString())
      if (msg.id === id) {
        ws.off('message', onMessage)
        resolve(msg)
      }
    }
    ws.on('message', onMessage)
    ws.send(JSON.stringify({ id, channel, payload }))
  })
}

