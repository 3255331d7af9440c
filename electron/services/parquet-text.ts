// The text of a Parquet file's string column, for datasets published as Parquet: WikiText-2 raw
// comes from the Hugging Face Hub (Salesforce/wikitext, wikitext-2-raw-v1/{train,validation,
// test}-00000-of-00001.parquet) with one column `text` and one row per line of the original
// wiki.*.raw file. Their loading script stored each line as read, "\n" included, and every blank
// line (" \n" in the raw file) as "": so a row that does not end in "\n" gets one, and "" becomes
// an empty line, giving back the original file (blank lines without their lone space).
//
// hyparquet reads it, one row group at a time: only the column asked for, and only one row
// group's values in memory at once.
import { basename } from 'node:path'
import { asyncBufferFromFile, parquetMetadataAsync, parquetScan, parquetSchema, type AsyncBuffer, type FileMetaData } from 'hyparquet'
import { ApiError } from '../common/errors'

/** A file path, or the file's bytes. */
export type ParquetInput = string | ArrayBuffer | Uint8Array

export interface ParquetTextOptions {
  column?: string // default 'text'
  what?: string // for messages, e.g. "WikiText-2 (train)"; default the file's name
}

const notParquetHint = 'the download may have been a web page or cut short: delete the dataset and download it again'

function nameOf(input: ParquetInput, what: string | undefined): string {
  return what ?? (typeof input === 'string' ? basename(input) : 'the data')
}

async function openInput(input: ParquetInput, what: string): Promise<AsyncBuffer> {
  if (typeof input === 'string') {
    try {
      return await asyncBufferFromFile(input)
    } catch (e) {
      if ((e as NodeJS.ErrnoException)?.code === 'ENOENT') throw new ApiError('NOT_FOUND', `${what} does not exist: ${input}`)
      throw new ApiError('IO', `cannot read ${what}: ${e instanceof Error ? e.message : String(e)}`)
    }
  }
  if (input instanceof ArrayBuffer) return input
  // A view (a Node Buffer may sit inside a shared pool): hand over exactly its bytes.
  const whole = input.byteOffset === 0 && input.byteLength === input.buffer.byteLength && input.buffer instanceof ArrayBuffer
  return whole ? (input.buffer as ArrayBuffer) : input.slice().buffer
}

function notParquet(what: string): ApiError {
  return new ApiError('NOT_PARQUET', `${what} is not a Parquet file`, notParquetHint)
}

/** hyparquet's errors (plain Errors starting "parquet ...") in this app's terms. */
function parquetError(e: unknown, what: string): ApiError {
  if (e instanceof ApiError) return e
  const message = e instanceof Error ? e.message : String(e)
  const code = (e as NodeJS.ErrnoException)?.code
  if (code && /^E[A-Z]+$/.test(code)) return new ApiError('IO', `cannot read ${what}: ${message}`)
  if (/footer != PAR1/.test(message)) return notParquet(what)
  const codec = /unsupported compression codec: (\w+)/.exec(message)
  if (codec)
    return new ApiError('BAD_PARQUET', `${what} is compressed with ${codec[1]}, which this app cannot read`,
      'only uncompressed and Snappy-compressed Parquet files are read (Hugging Face publishes Snappy)')
  return new ApiError('BAD_PARQUET', `${what} could not be read as Parquet: ${message}`, notParquetHint)
}

function checkColumn(metadata: FileMetaData, column: string, what: string): void {
  const columns = parquetSchema(metadata).children
  const found = columns.find((c) => c.element.name === column)
  if (!found) {
    const names = columns.map((c) => `"${c.element.name}"`).join(', ') || 'none'
    throw new ApiError('BAD_PARQUET', `${what} has no "${column}" column (its columns: ${names})`,
      'WikiText\'s Parquet files (Salesforce/wikitext) have one string column "text"; this file has another layout')
  }
  if (found.children.length > 0 || found.element.type !== 'BYTE_ARRAY')
    throw new ApiError('BAD_PARQUET', `${what}'s "${column}" column is not a string column (it holds ${found.element.type ?? 'nested groups'})`,
      'the column must hold one line of text per row')
}

function rowsAsLines(values: ArrayLike<unknown>, what: string, firstRow: number): string {
  const lines = new Array<string>(values.length)
  for (let i = 0; i < values.length; i++) {
    const v = values[i]
    if (v === null || v === undefined) lines[i] = '\n' // a missing line reads as a blank one
    else if (typeof v === 'string') lines[i] = v.endsWith('\n') ? v : v + '\n'
    else throw new ApiError('BAD_PARQUET', `${what}: row ${firstRow + i} is not text`, 'the column must hold one line of text per row')
  }
  return lines.join('')
}

/**
 * The column's text, one chunk per row group (in file order), each chunk whole lines ending in
 * "\n". Throws ApiError: NOT_FOUND or IO (the file), NOT_PARQUET (not a Parquet file at all),
 * BAD_PARQUET (no such column, not strings, an unsupported codec, damaged data).
 */
export async function* parquetTextChunks(input: ParquetInput, options: ParquetTextOptions = {}): AsyncGenerator<string> {
  const what = nameOf(input, options.what)
  const column = options.column ?? 'text'
  const file = await openInput(input, what)
  // The smallest Parquet file is "PAR1", a footer length and "PAR1"; hyparquet would read shorter
  // ones at a negative offset.
  if (file.byteLength < 12) throw notParquet(what)
  let scan: Awaited<ReturnType<typeof parquetScan>>
  try {
    const metadata = await parquetMetadataAsync(file)
    checkColumn(metadata, column, what)
    scan = await parquetScan({ file, metadata, columns: [column] })
  } catch (e) {
    throw parquetError(e, what)
  }
  for (const range of scan.ranges) {
    let values: ArrayLike<unknown>
    try {
      values = await scan.readColumn({ column, rowStart: range.rowStart, rowEnd: range.rowEnd })
    } catch (e) {
      throw parquetError(e, what)
    }
    yield rowsAsLines(values, what, range.rowStart)
  }
}

/** The column's whole text: parquetTextChunks joined. */
export async function readParquetText(input: ParquetInput, options: ParquetTextOptions = {}): Promise<string> {
  const chunks: string[] = []
  for await (const chunk of parquetTextChunks(input, options)) chunks.push(chunk)
  return chunks.join('')
}
