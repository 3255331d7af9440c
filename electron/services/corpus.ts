// Texts made of other texts: the combined corpus (several datasets one after another) and the
// code corpus (the source files under a folder). Documents are separated by the engine's
// end-of-text marker, which the tokenizer reads as one special token: a model learns where one
// document ends and the next begins, and generation can stop there.
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs'
import { lstat, readdir, readFile, rename, unlink } from 'node:fs/promises'
import { extname, join, relative, sep } from 'node:path'
import { finished } from 'node:stream/promises'
import { ApiError } from '../common/errors'
import { fileError } from './atomic-file'
import { Utf8Validator } from './text-import'

export const documentSeparator = '\n<|eot|>\n'

async function write(out: WriteStream, data: string | Buffer): Promise<void> {
  if (!out.write(data)) await new Promise<void>((r) => out.once('drain', () => r()))
}

/** Writes to a temp file renamed over dest when `fill` succeeds; nothing is left on failure. */
async function writeThrough(dest: string, what: string, fill: (out: WriteStream) => Promise<void>): Promise<void> {
  const tmp = `${dest}.build-${process.pid}-${Date.now()}`
  const out = createWriteStream(tmp)
  const failed = new Promise<never>((_, reject) => out.once('error', reject))
  failed.catch(() => {})
  try {
    await Promise.race([fill(out), failed])
    out.end()
    await Promise.race([finished(out), failed])
    await rename(tmp, dest)
  } catch (e) {
    out.destroy()
    await unlink(tmp).catch(() => {})
    throw e instanceof ApiError ? e : fileError(e, what)
  }
}

/** The given text files, in order, each followed by the separator but the last. */
export async function combineTexts(files: string[], dest: string, what: string): Promise<number> {
  let bytes = 0
  await writeThrough(dest, what, async (out) => {
    for (const [i, f] of files.entries()) {
      if (i > 0) {
        await write(out, documentSeparator)
        bytes += Buffer.byteLength(documentSeparator)
      }
      for await (const chunk of createReadStream(f)) {
        await write(out, chunk as Buffer)
        bytes += (chunk as Buffer).length
      }
    }
  })
  return bytes
}

export interface CodeCorpusOptions {
  folder: string
  extensions: string[] // ".py", ".ts", ...
  maxBytes: number // the corpus stops before it would pass this
}

export interface CodeCorpusResult {
  bytes: number
  files: number // included
  skipped: { path: string; reason: string }[] // not UTF-8, too large, unreadable (the first 50)
  skippedCount: number
  truncated: boolean // the size cap was reached
}

// Folders that hold generated or vendored files rather than anyone's source.
const skipDirs = new Set(['node_modules', '.git', '.hg', '.svn', 'build', 'dist', 'out', 'target', '__pycache__', '.venv', 'venv'])

/** Source files under the folder, in a stable order; links are not followed. */
async function sourceFiles(root: string, extensions: Set<string>): Promise<string[]> {
  const found: string[] = []
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => [])
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    for (const e of entries) {
      if (e.name.startsWith('.') && e.name !== '.') continue
      const p = join(dir, e.name)
      if (e.isDirectory() && !skipDirs.has(e.name)) await walk(p)
      else if (e.isFile() && extensions.has(extname(e.name).toLowerCase())) found.push(p)
    }
  }
  await walk(root)
  return found
}

/** Each source file as "=== path ===" and its text, separated by the end-of-text marker. */
export async function buildCodeCorpus(o: CodeCorpusOptions, dest: string): Promise<CodeCorpusResult> {
  const s = await lstat(o.folder).catch(() => null)
  if (!s?.isDirectory()) throw new ApiError('NOT_FOUND', `${o.folder} is not a folder`, 'choose the folder that holds your source files')
  const files = await sourceFiles(o.folder, new Set(o.extensions.map((x) => x.toLowerCase())))
  const result: CodeCorpusResult = { bytes: 0, files: 0, skipped: [], skippedCount: 0, truncated: false }
  const skip = (path: string, reason: string): void => {
    result.skippedCount++
    if (result.skipped.length < 50) result.skipped.push({ path, reason })
  }
  await writeThrough(dest, 'the code corpus', async (out) => {
    for (const f of files) {
      const rel = relative(o.folder, f).split(sep).join('/')
      const data = await readFile(f).catch(() => null)
      if (!data) {
        skip(rel, 'unreadable')
        continue
      }
      const v = new Utf8Validator()
      if (v.feed(data) >= 0 || v.end() >= 0 || data.includes(0)) {
        skip(rel, 'not UTF-8 text')
        continue
      }
      const piece = Buffer.concat([Buffer.from(`${result.files ? documentSeparator : ''}=== ${rel} ===\n`), data])
      if (result.bytes + piece.length > o.maxBytes) {
        result.truncated = true
        skip(rel, 'past the size cap')
        continue
      }
      await write(out, piece)
      result.bytes += piece.length
      result.files++
    }
  })
  if (result.files === 0) {
    await unlink(dest).catch(() => {})
    throw new ApiError('NOT_FOUND', `no ${o.extensions.join(', ')} files were found under ${o.folder}`, 'choose another folder or other extensions')
  }
  return result
}
