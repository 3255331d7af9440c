// `npm run data -- <ids...>`: prepares datasets without the app (it replaces the original
// download_data.sh): downloads, cleans, generates or combines each id, with a progress bar, into
// the same data folder the app uses, and prints where each text is, ready for
// `microgpt --train --data <file>`.
//   --list                print the catalog
//   --catalog <file>      another catalog (tests point it at a local server)
//   --data-dir <dir>      another data folder, as in serve mode
//   --fold-typography     curly quotes and dashes to ASCII (a smaller vocabulary)
//   --combine [name]      also combine the given datasets into one
// Exits 1 with the error's message when a dataset cannot be prepared, 2 for a wrong argument.
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { ApiError, toErrorShape } from '../common/errors'
import type { DatasetEntry, DownloadProgress } from '../common/types'
import { readCatalog } from '../services/catalog'
import { DatasetsService } from '../services/datasets'
import { dataPaths, defaultDataRoot } from '../services/paths'

const mb = (n: number): string => `${(n / 1e6).toFixed(n < 1e7 ? 2 : 1)} MB`
const secs = (s: number): string => (s >= 60 ? `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${Math.round(s)}s`)

/** One line of progress: a bar where the total is known, the bytes, speed and ETA. */
export function progressLine(p: DownloadProgress, width = 24): string {
  const part = p.parts && p.parts > 1 ? ` (part ${p.part}/${p.parts})` : ''
  if (p.stage !== 'downloading') return `${p.id}: ${p.stage}${p.receivedBytes ? ` ${mb(p.receivedBytes)}` : ''}...`
  const total = p.totalBytes
  const bar = total ? `[${'#'.repeat(Math.round((width * Math.min(p.receivedBytes, total)) / total)).padEnd(width, '.')}] ${String(Math.floor((100 * p.receivedBytes) / total)).padStart(3)}% ` : ''
  const speed = p.bytesPerSec ? ` ${mb(p.bytesPerSec)}/s` : ''
  const eta = p.etaSeconds !== null && p.etaSeconds !== undefined && total ? ` ETA ${secs(p.etaSeconds)}` : ''
  return `${p.id}${part}: ${bar}${mb(p.receivedBytes)}${total ? ` of ${mb(total)}` : ''}${speed}${eta}`
}

function printReady(d: DatasetEntry, file: string): void {
  const s = d.stats
  console.log(`${d.id}: ready, ${s ? `${s.characters.toLocaleString('en')} characters, ${s.lines.toLocaleString('en')} lines, vocabulary ${s.vocabularySize}` : ''}`)
  for (const w of d.warnings ?? []) console.log(`  warning: ${w}`)
  console.log(`  ${file}`)
}

async function main(): Promise<number> {
  let parsed
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: {
        list: { type: 'boolean' }, catalog: { type: 'string' }, 'data-dir': { type: 'string' },
        'fold-typography': { type: 'boolean' }, combine: { type: 'string' }, help: { type: 'boolean', short: 'h' },
      },
    })
  } catch (e) {
    console.error(`error: ${e instanceof Error ? e.message : String(e)}`)
    return 2
  }
  const { values, positionals: ids } = parsed
  const catalog = readCatalog(values.catalog ?? join(__dirname, '..', '..', 'data', 'catalog.json'))
  if (values.help || (!values.list && ids.length === 0)) {
    console.log('usage: npm run data -- [--list] [--catalog <file>] [--data-dir <dir>] [--fold-typography] [--combine <name>] <id> [<id> ...]')
    return values.help ? 0 : 2
  }
  if (values.list) {
    for (const c of catalog) console.log(`${c.id.padEnd(22)} ${c.kind.padEnd(9)} ${c.title}`)
    return 0
  }
  const tty = process.stdout.isTTY
  let lastLine = ''
  let lastPrint = 0
  const svc = new DatasetsService(dataPaths(values['data-dir'] ?? defaultDataRoot()).datasets, catalog, (p) => {
    if (p.done) return
    const line = progressLine(p)
    if (tty) process.stdout.write(`\r${line.padEnd(lastLine.length)}`)
    else if (Date.now() - lastPrint > 2000 || line.split(':')[0] !== lastLine.split(':')[0]) {
      console.log(line) // a log, not a terminal: a line now and then
      lastPrint = Date.now()
    }
    lastLine = line
  })
  const endLine = (): void => {
    if (tty && lastLine) process.stdout.write(`\r${' '.repeat(lastLine.length)}\r`)
    lastLine = ''
  }
  const cancel = (): void => {
    for (const id of ids) void svc.cancelDownload({ id }).catch(() => {})
  }
  process.on('SIGINT', cancel)
  try {
    for (const id of ids) {
      if (!catalog.some((c) => c.id === id)) throw new ApiError('NOT_FOUND', `there is no dataset '${id}' in the catalog`, 'npm run data -- --list shows them')
      const d = await svc.download({ id, foldTypography: values['fold-typography'] ?? false })
      endLine()
      printReady(d, await svc.path(id))
    }
    if (values.combine !== undefined) {
      const d = await svc.combine({ ids, name: values.combine || undefined })
      endLine()
      printReady(d, await svc.path(d.id))
    }
    return 0
  } catch (e) {
    endLine()
    const err = toErrorShape(e)
    console.error(`error: ${err.message}`)
    if (err.hint) console.error(`hint: ${err.hint}`)
    return 1
  }
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(`error: ${e instanceof Error ? e.message : String(e)}`)
    process.exit(1)
  },
)
