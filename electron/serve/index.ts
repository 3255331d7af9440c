// `npm run serve`: the app without Electron, for a browser. Flags: --host, --port, --token,
// --data-dir. Prints the URL to open.
import { join } from 'node:path'
import { createBackend } from '../services/backend'
import { forkEngine } from '../services/node-engine'
import { defaultDataRoot } from '../services/paths'
import { startServer } from './server'

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? process.argv[i + 1] : undefined
}

async function main(): Promise<void> {
  const appRoot = join(__dirname, '..', '..')
  const port = flag('port') === undefined ? 7860 : Number(flag('port'))
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be 0 to 65535 (got ${flag('port')})`)
  const backend = await createBackend({
    dataRoot: flag('data-dir') ?? defaultDataRoot(),
    catalogFile: join(appRoot, 'data', 'catalog.json'),
    spawnEngine: () => forkEngine(join(__dirname, 'engine-host.js')),
    appVersion: process.env.npm_package_version ?? '0.1.0',
    transport: 'websocket',
  })
  const server = await startServer({
    backend, staticDir: join(__dirname, '..', 'renderer'), host: flag('host'), port, token: flag('token'),
  })
  console.log(`MicroGPT-RLM-PI is serving at ${server.url}`)
  if (server.token) console.log('(this address is reachable from other machines: keep the token private)')
  let stopping = false
  const stop = async (): Promise<void> => {
    if (stopping) process.exit(1) // a second Ctrl-C
    stopping = true
    console.log('stopping: saving running training runs...')
    await server.close()
    await backend.dispose()
    process.exit(0)
  }
  process.on('SIGINT', () => void stop())
  process.on('SIGTERM', () => void stop())
}

main().catch((e) => {
  console.error(`error: ${e instanceof Error ? e.message : String(e)}`)
  process.exit(1)
})
