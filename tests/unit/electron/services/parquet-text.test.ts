// Reading WikiText-style Parquet files: fixtures written here with hyparquet-writer the way the
// Hugging Face set stores WikiText-2 raw (one `text` row per line, "\n" kept, blank lines as ""),
// in several row groups; read back exactly, cleaned exactly, and refused clearly when they are
// not what they should be.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { parquetMetadata } from 'hyparquet'
import { parquetWriteBuffer } from 'hyparquet-writer'
import { beforeAll, describe, expect, it } from 'vitest'
import { ApiError } from '../../../../electron/common/errors'
import { parquetTextChunks, readParquetText } from '../../../../electron/services/parquet-text'
import { cleanText } from '../../../../electron/services/text-cleaning'
import { tempDir } from '../../../support/engine'

const rows = [
  '',
  ' = Valkyria Tactics = \n',
  '',
  ' Valkyria Tactics : The Second Front is a role @-@ playing game . \n',
  ' It sold 1 @,@ 024 copies at 3 @.@ 5 % off . \n',
  '',
  ' = = Reception = = \n',
  '',
  ' Critics did n\'t mind , calling it " a one @-@ off " . \n',
  '',
  ' 戦場のヴァルキュリア 😀 \n',
]
const rawText =
  '\n = Valkyria Tactics = \n\n Valkyria Tactics : The Second Front is a role @-@ playing game . \n' +
  ' It sold 1 @,@ 024 copies at 3 @.@ 5 % off . \n\n = = Reception = = \n\n' +
  ' Critics did n\'t mind , calling it " a one @-@ off " . \n\n 戦場のヴァルキュリア 😀 \n'

function writeParquet(columnData: Parameters<typeof parquetWriteBuffer>[0]['columnData'], rowGroupSize = 3): ArrayBuffer {
  return parquetWriteBuffer({ columnData, rowGroupSize })
}

const dir = tempDir('mg-parquet-')
let wikiPath = ''
let wikiBuffer: ArrayBuffer

beforeAll(() => {
  wikiBuffer = writeParquet([{ name: 'text', data: rows, type: 'STRING' }])
  wikiPath = join(dir, 'train-00000-of-00001.parquet')
  writeFileSync(wikiPath, new Uint8Array(wikiBuffer))
})

describe('readParquetText', () => {
  it('gives back every row as a line, the blank ones included, across several row groups', async () => {
    expect(parquetMetadata(wikiBuffer).row_groups.map((g) => Number(g.num_rows))).toEqual([3, 3, 3, 2])
    expect(await readParquetText(wikiPath)).toBe(rawText)
  })

  it('reads an ArrayBuffer, and a Uint8Array that views part of a larger buffer', async () => {
    expect(await readParquetText(wikiBuffer)).toBe(rawText)
    const padded = new Uint8Array(wikiBuffer.byteLength + 20)
    padded.set(new Uint8Array(wikiBuffer), 7)
    expect(await readParquetText(padded.subarray(7, 7 + wikiBuffer.byteLength))).toBe(rawText)
  })

  it('yields one chunk per row group, each of whole lines', async () => {
    const chunks: string[] = []
    for await (const chunk of parquetTextChunks(wikiPath)) chunks.push(chunk)
    expect(chunks).toEqual([
      '\n = Valkyria Tactics = \n\n',
      ' Valkyria Tactics : The Second Front is a role @-@ playing game . \n It sold 1 @,@ 024 copies at 3 @.@ 5 % off . \n\n',
      ' = = Reception = = \n\n Critics did n\'t mind , calling it " a one @-@ off " . \n',
      '\n 戦場のヴァルキュリア 😀 \n',
    ])
  })

  it('ends rows without "\\n" with one and reads a null row as a blank line', async () => {
    const buffer = writeParquet([
      { name: 'id', data: [1, 2, 3, 4], type: 'INT32' },
      { name: 'text', data: ['a', null, 'b\n', 'c'], type: 'STRING' },
    ], 2)
    expect(await readParquetText(buffer)).toBe('a\n\nb\nc\n')
  })

  it('reads another column when asked', async () => {
    const buffer = writeParquet([{ name: 'body', data: ['x', 'y'], type: 'STRING' }])
    expect(await readParquetText(buffer, { column: 'body' })).toBe('x\ny\n')
  })
})

describe('cleaning what was read', () => {
  it('gives the exact prose for the WikiText recipe', async () => {
    expect(cleanText(await readParquetText(wikiPath), { wikitext: true }).text).toBe(
      'Valkyria Tactics\n\nValkyria Tactics: The Second Front is a role-playing game.\nIt sold 1,024 copies at 3.5% off.\n\n' +
        'Reception\n\nCritics didn\'t mind, calling it "a one-off".\n\n戦場のヴァルキュリア 😀\n',
    )
  })
})

async function readError(input: Parameters<typeof readParquetText>[0], options?: Parameters<typeof readParquetText>[1]): Promise<ApiError> {
  try {
    await readParquetText(input, options)
  } catch (e) {
    expect(e).toBeInstanceOf(ApiError)
    return e as ApiError
  }
  throw new Error('expected an error')
}

describe('refusals', () => {
  it('refuses a file that is not Parquet, short or long, by name and with a hint', async () => {
    const page = join(dir, 'validation-00000-of-00001.parquet')
    writeFileSync(page, '<!DOCTYPE html><html><body>Sign in to continue</body></html>\n')
    const e = await readError(page)
    expect(e.code).toBe('NOT_PARQUET')
    expect(e.message).toBe('validation-00000-of-00001.parquet is not a Parquet file')
    expect(e.hint).toBe('the download may have been a web page or cut short: delete the dataset and download it again')
    const tiny = join(dir, 'tiny.parquet')
    writeFileSync(tiny, 'PAR1')
    expect((await readError(tiny, { what: 'WikiText-2 (test)' })).message).toBe('WikiText-2 (test) is not a Parquet file')
    expect((await readError(new ArrayBuffer(0))).message).toBe('the data is not a Parquet file')
  })

  it('refuses a download cut short (the footer lost)', async () => {
    const cut = new Uint8Array(wikiBuffer).subarray(0, wikiBuffer.byteLength - 100)
    expect((await readError(cut)).code).toBe('NOT_PARQUET')
  })

  it('refuses a Parquet file without a "text" column, naming the columns it has', async () => {
    const buffer = writeParquet([
      { name: 'title', data: ['a'], type: 'STRING' },
      { name: 'views', data: [3], type: 'INT32' },
    ])
    const e = await readError(buffer, { what: 'WikiText-2 (train)' })
    expect(e.code).toBe('BAD_PARQUET')
    expect(e.message).toBe('WikiText-2 (train) has no "text" column (its columns: "title", "views")')
    expect(e.hint).toMatch(/Salesforce\/wikitext/)
  })

  it('refuses a "text" column that holds numbers', async () => {
    const e = await readError(writeParquet([{ name: 'text', data: [1, 2], type: 'INT32' }]))
    expect(e.code).toBe('BAD_PARQUET')
    expect(e.message).toBe('the data\'s "text" column is not a string column (it holds INT32)')
  })

  it('names a compression codec it cannot read', async () => {
    const buffer = parquetWriteBuffer({
      columnData: [{ name: 'text', data: ['a\n', 'b\n'], type: 'STRING' }],
      codec: 'GZIP',
      compressors: { GZIP: (bytes: Uint8Array) => new Uint8Array(gzipSync(bytes)) },
    })
    const e = await readError(buffer)
    expect(e.code).toBe('BAD_PARQUET')
    expect(e.message).toBe('the data is compressed with GZIP, which this app cannot read')
  })

  it('names a missing file', async () => {
    const path = join(dir, 'missing.parquet')
    const e = await readError(path)
    expect(e.code).toBe('NOT_FOUND')
    expect(e.message).toBe(`missing.parquet does not exist: ${path}`)
  })
})
