// `npm run serve`: the app without Electron, for a browser. Flags: --host, --port, --token,
// --data-dir, --catalog (another dataset catalog, e.g. a test's). Prints the URL to open.
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { createBackend } from '../services/backend'
import { forkEngine } from '../services/node-engine'
import { defaultDataRoot } from '../services/paths'
import { checkToken } from './guard'
import { startServer } from './server'

function options(): { host?: string; port: number; token?: string; dataDir?: string; catalog?: string } {
  const { values } = parseArgs({
    options: { host: { type: 'string' }, port: { type: 'string' }, token: { type: 'string' }, 'data-dir': { type: 'string' }, catalog: { type: 'string' } },
    strict: true,
  })
  const port = values.port === undefined ? 7860 : Number(values.port)
  if (!/^\d+$/.test(values.port ?? '0') || port > 65535) throw new Error(`--port must be 0 to 65535 (got ${values.port})`)
  checkToken(values.token)
  return { host: values.host, port, token: values.token, dataDir: values['data-dir'], catalog: values.catalog }
}

async function main(): Promise<void> {
  const appRoot = join(__dirname, '..', '..')
  const { host, port, token, dataDir, catalog } = options()
  const backend = await createBackend({
    dataRoot: dataDir ?? defaultDataRoot(),
    catalogFile: catalog ?? join(appRoot, 'data', 'catalog.json'),
    spawnEngine: () => forkEngine(join(__dirname, 'engine-host.js')),
    appVersion: process.env.npm_package_version ?? '0.1.0',
    transport: 'websocket',
  })
  const server = await startServer({
    backend, staticDir: join(__dirname, '..', 'renderer'), host, port, token,
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
  const { code, hint } = e as { code?: string; hint?: string }
  if (code === 'EADDRINUSE') console.error('hint: another program uses that port; choose one with --port')
  else if (hint) console.error(`hint: ${hint}`)
  process.exit(1)
})
