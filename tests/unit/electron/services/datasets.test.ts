// Datasets against a real HTTP server on 127.0.0.1: downloads with progress and checksums, and
// every way a download can fail leaves no file behind and says what happened.
import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DownloadProgress } from '../../../../electron/common/types'
import { DatasetsService, type CatalogEntry } from '../../../../electron/services/datasets'
import { corpus, tempDir } from '../../../support/engine'

const body = Buffer.from(corpus(200_000))
const sha = createHash('sha256').update(body).digest('hex')

describe('datasets', () => {
  let server: Server
  let base: string
  let closedPort: number
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/ok.txt' || req.url === '/wrong-sum.txt') {
        res.writeHead(200, { 'content-length': body.length })
        // send in pieces so progress has something to report
        let i = 0
        const tick = (): void => {
          if (i >= body.length) return void res.end()
          res.write(body.subarray(i, i + 50_000))
          i += 50_000
          setTimeout(tick, 5)
        }
        tick()
      } else if (req.url === '/moved') {
        res.writeHead(302, { location: '/ok.txt' }).end()
      } else if (req.url === '/cut.txt') {
        res.writeHead(200, { 'content-length': body.length })
        res.write(body.subarray(0, 1000), () => res.socket?.destroy())
      } else if (req.url === '/slow.txt') {
        res.writeHead(200, { 'content-length': body.length })
        res.write(body.subarray(0, 100)) // then nothing: the client cancels
      } else {
        res.writeHead(404).end()
      }
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    const probe = createServer()
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r))
    closedPort = (probe.address() as AddressInfo).port
    await new Promise((r) => probe.close(r)) // nothing listens there now
  })
  afterAll(() => new Promise((r) => server.close(r)))

  const entry = (id: string, path: string, over: Partial<CatalogEntry> = {}): CatalogEntry => ({
    id, name: `Set ${id}`, description: 'd', url: `${base}${path}`, bytes: body.length, sha256: sha, license: 'l', ...over,
  })
  function service(catalog: CatalogEntry[]) {
    const dir = tempDir('mg-ds-')
    const progress: DownloadProgress[] = []
    return { dir, progress, svc: new DatasetsService(dir, catalog, (p) => progress.push(p)) }
  }

  it('downloads a catalog dataset with progress, verifies it, and lists it as ready', async () => {
    const { dir, progress, svc } = service([entry('good', '/ok.txt'), entry('moved', '/moved')])
    expect((await svc.list()).map((d) => d.status)).toEqual(['available', 'available'])
    const got = await svc.download({ id: 'good' })
    expect(got).toMatchObject({ id: 'good', status: 'ready', bytes: body.length })
    expect(readFileSync(join(dir, 'good.txt')).equals(body)).toBe(true)
    expect(progress.length).toBeGreaterThan(1)
    expect(progress.at(-1)).toEqual({ id: 'good', receivedBytes: body.length, totalBytes: body.length, done: true })
    expect(await svc.path('good')).toBe(join(dir, 'good.txt'))
    await svc.download({ id: 'moved' }) // follows the redirect
    expect((await svc.list()).map((d) => d.status)).toEqual(['ready', 'ready'])
  })

  it('refuses a file whose checksum does not match, keeping nothing', async () => {
    const { dir, progress, svc } = service([entry('bad', '/wrong-sum.txt', { sha256: 'f'.repeat(64) })])
    await expect(svc.download({ id: 'bad' })).rejects.toMatchObject({ code: 'CORRUPT_DOWNLOAD' })
    expect(readdirSync(dir)).toEqual([])
    expect(progress.at(-1)).toMatchObject({ done: true, error: { code: 'CORRUPT_DOWNLOAD' } })
  })

  it('says what went wrong for a 404, a closed port and a connection cut mid-file', async () => {
    const { dir, svc } = service([
      entry('gone', '/gone.txt'),
      entry('closed', '/x', { url: `http://127.0.0.1:${closedPort}/x` }),
      entry('cut', '/cut.txt'),
    ])
    await expect(svc.download({ id: 'gone' })).rejects.toMatchObject({ code: 'NETWORK', message: expect.stringContaining('404') })
    await expect(svc.download({ id: 'closed' })).rejects.toMatchObject({ code: 'NETWORK', message: expect.stringContaining('ECONNREFUSED'), hint: expect.stringContaining('internet') })
    await expect(svc.download({ id: 'cut' })).rejects.toMatchObject({ code: 'NETWORK' })
    expect(readdirSync(dir)).toEqual([])
    await expect(svc.path('cut')).rejects.toMatchObject({ code: 'NOT_FOUND', hint: expect.stringContaining('download') })
  })

  it('cancels a download in progress', async () => {
    const { dir, svc } = service([entry('slow', '/slow.txt')])
    const pending = svc.download({ id: 'slow' })
    await new Promise((r) => setTimeout(r, 100))
    expect((await svc.list())[0].status).toBe('downloading')
    await expect(svc.download({ id: 'slow' })).rejects.toMatchObject({ code: 'BUSY' })
    await svc.cancelDownload({ id: 'slow' })
    await expect(pending).rejects.toMatchObject({ code: 'CANCELLED' })
    expect(readdirSync(dir)).toEqual([])
  })

  it('imports a pasted text, lists and removes it', async () => {
    const { dir, svc } = service([])
    const d = await svc.import({ name: 'My poems', text: corpus(5000) })
    expect(d).toMatchObject({ name: 'My poems', source: 'imported', status: 'ready' })
    expect(existsSync(join(dir, `${d.id}.txt`))).toBe(true)
    expect((await svc.list()).map((x) => x.id)).toEqual([d.id])
    await svc.remove({ id: d.id })
    expect(await svc.list()).toEqual([])
    await expect(svc.remove({ id: d.id })).rejects.toMatchObject({ code: 'NOT_FOUND' })
  })

  it('rejects malformed requests', async () => {
    const { svc } = service([])
    await expect(svc.import({ name: 'x', text: 'short' })).rejects.toMatchObject({ code: 'BAD_REQUEST' })
    await expect(svc.import({ name: '', text: corpus(500) })).rejects.toMatchObject({ code: 'BAD_REQUEST' })
    await expect(svc.import(null)).rejects.toMatchObject({ code: 'BAD_REQUEST' })
    await expect(svc.path('../../etc/passwd')).rejects.toMatchObject({ code: 'BAD_REQUEST' })
    await expect(svc.remove({ id: '../x' })).rejects.toMatchObject({ code: 'BAD_REQUEST' })
    await expect(svc.download({ id: 'nope' })).rejects.toMatchObject({ code: 'NOT_FOUND' })
  })
})
