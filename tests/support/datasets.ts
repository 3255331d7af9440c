// Test support for datasets: the real catalog with every source served by a local HTTP server
// from fixtures made here (a Gutenberg-formatted book per book, WikiText-2 splits as Parquet
// files written with a Parquet writer, plain texts), so every entry goes through the app's own
// download, cleaning and counting path without the network.
import { createHash } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { parquetWriteBuffer } from 'hyparquet-writer'
import { catalogFile, corpus, tempDir } from './engine'

/** A book as Project Gutenberg formats it: licence header, START marker, the text, END marker, licence footer (CRLF). */
export function gutenbergBook(title: string): string {
  const body = [
    `CHAPTER I.`, '', `\u201cIt is a truth,\u201d said ${title}\u2019s narrator \u2014 and so it began.`, corpus(20_000), '', 'CHAPTER II.', '', corpus(8_000),
  ].join('\n')
  return [
    `The Project Gutenberg eBook of ${title}`, '', 'This ebook is for the use of anyone anywhere in the United States and most other parts of the world at no cost.',
    '', `*** START OF THE PROJECT GUTENBERG EBOOK ${title.toUpperCase()} ***`, '', body, '',
    `*** END OF THE PROJECT GUTENBERG EBOOK ${title.toUpperCase()} ***`, '', 'Updated editions will replace the previous one\u2014the old editions will be renamed.',
    'START: FULL LICENSE', 'THE FULL PROJECT GUTENBERG LICENSE',
  ].join('\r\n')
}

/** Rows of a WikiText raw split as the Hugging Face set stores them: each line with its "\n", blank lines as "". */
export function wikitextRows(n: number): string[] {
  const rows: string[] = []
  for (let i = 0; i < n; i++) {
    rows.push('', ` = Article ${i} = \n`, '', ` The 2 @,@ 500 @-@ metre tower , built in 19 @.@ 5 months , is " tall " ( really ) . ${corpus(400).replace(/\n/g, ' ')}\n`)
  }
  return rows
}

export function parquetOf(rows: string[]): Buffer {
  return Buffer.from(parquetWriteBuffer({ columnData: [{ name: 'text', data: rows, type: 'STRING' }], rowGroupSize: 50 }))
}

export interface FixtureCatalog {
  file: string // the catalog, rewritten to the local server
  server: Server
  base: string
  bodies: Map<string, Buffer> // by path on the local server
  hits: Map<string, number>
  close(): Promise<void>
}

/**
 * The shipped catalog with each source moved to http://127.0.0.1:<port><original path>, served
 * with an ETag and Range support, and with its size and checksum replaced by the fixture's.
 */
export async function fixtureCatalog(): Promise<FixtureCatalog> {
  const catalog = JSON.parse(readFileSync(catalogFile, 'utf8')) as { datasets: Record<string, any>[] }
  const bodies = new Map<string, Buffer>()
  const hits = new Map<string, number>()
  const server = createServer((req, res) => {
    const path = req.url ?? ''
    hits.set(path, (hits.get(path) ?? 0) + 1)
    const body = bodies.get(path)
    if (!body) return void res.writeHead(404).end()
    const etag = `"${createHash('sha256').update(body).digest('hex').slice(0, 16)}"`
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '')
    if (m && req.headers['if-range'] === etag && Number(m[1]) < body.length) {
      const from = Number(m[1])
      res.writeHead(206, { etag, 'content-range': `bytes ${from}-${body.length - 1}/${body.length}`, 'content-length': body.length - from })
      return void res.end(body.subarray(from))
    }
    // in pieces, so that progress has something to report
    res.writeHead(200, { etag, 'content-length': body.length })
    let i = 0
    const tick = (): void => {
      if (i >= body.length) return void res.end()
      res.write(body.subarray(i, i + 64 * 1024))
      i += 64 * 1024
      setImmediate(tick)
    }
    tick()
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  for (const d of catalog.datasets) {
    for (const s of d.sources ?? []) {
      const path = new URL(s.url).pathname
      const body = s.format === 'parquet' ? parquetOf(wikitextRows(path.includes('train') ? 60 : 10))
        : d.recipe?.gutenberg ? Buffer.from(gutenbergBook(d.title)) : Buffer.from(corpus(50_000))
      bodies.set(path, body)
      s.url = `${base}${path}`
      if (s.bytes !== undefined) s.bytes = body.length
      if (s.sha256 !== undefined) s.sha256 = createHash('sha256').update(body).digest('hex')
    }
  }
  const file = join(tempDir('mg-catalog-'), 'catalog.json')
  writeFileSync(file, JSON.stringify(catalog, null, 2))
  return {
    file, server, base, bodies, hits,
    close: () => {
      server.closeAllConnections()
      return new Promise((r) => server.close(() => r()))
    },
  }
}
