// Starts the built serve mode (node out/main/serve.js) on a free port with a fresh data folder.
import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { repoRoot, tempDir } from './engine'

export interface ServeProcess {
  url: string
  dataDir: string
  child: ChildProcess
  stop(): Promise<void>
}

export async function startServe(args: string[] = []): Promise<ServeProcess> {
  const dataDir = tempDir('mg-serve-')
  const child = spawn(process.execPath, [join(repoRoot, 'out', 'main', 'serve.js'), '--port', '0', '--data-dir', dataDir, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
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
        if (child.exitCode !== null) return resolve()
        child.on('exit', () => resolve())
        child.kill('SIGTERM')
      }),
  }
}
