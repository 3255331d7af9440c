// Serve mode on a fresh data folder, the catalog's downloads served by a local HTTP server of
// generated fixtures: started before a spec's tests, stopped after; restart() stops it and starts
// it again on the same folder, as a user quitting and reopening the app.
import { test } from '@playwright/test'
import { fixtureCatalog, type FixtureCatalog } from '../support/datasets'
import { tempDir } from '../support/engine'
import { startServe, type ServeProcess } from '../support/serve'

export interface FreshApp {
  readonly dataDir: string
  readonly url: string
  restart(): Promise<void>
}

export function freshApp(prefix: string): FreshApp {
  const dataDir = tempDir(prefix)
  let fx: FixtureCatalog
  let serve: ServeProcess
  const start = (): Promise<ServeProcess> => startServe(['--catalog', fx.file], dataDir)
  test.beforeAll(async () => {
    fx = await fixtureCatalog()
    serve = await start()
  })
  test.afterAll(async () => {
    await serve.stop()
    await fx.close()
  })
  return {
    dataDir,
    get url() {
      return serve.url
    },
    async restart() {
      await serve.stop()
      serve = await start()
    },
  }
}
