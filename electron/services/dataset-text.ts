// Turning a dataset's raw material (downloaded files, the user's own files, generated text) into
// the text the engine trains on: streamed through the cleaning recipe (text-cleaning.ts) into a
// temp file renamed into place, measured on the way (text-stats.ts). One code path for every
// kind of dataset, so a book, WikiText and an imported file are cleaned and counted alike.
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs'
import { rename, unlink } from 'node:fs/promises'
import { StringDecoder } from 'node:string_decoder'
import { finished } from 'node:stream/promises'
import { ApiError } from '../common/errors'
import { fileError } from './atomic-file'
import { createTextCleaner, type CleaningRecipe } from './text-cleaning'
import { utf8Check } from './text-import'
import { TextStatsCounter, type TextStats } from './text-stats'

/** A text file's contents as strings, checked as UTF-8 on the way (a bad byte names its offset). */
export async function* textFileChunks(path: string, what: string): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8')
  for await (const chunk of createReadStream(path).pipe(utf8Check(what))) yield decoder.write(chunk as Buffer)
  const rest = decoder.end()
  if (rest) yield rest
}

export interface PreparedText {
  stats: TextStats
  warnings: string[] // from cleaning, e.g. no Gutenberg marker found
}

async function write(out: WriteStream, text: string): Promise<void> {
  if (text && !out.write(text)) await new Promise<void>((r) => out.once('drain', () => r()))
}

/**
 * Cleans `inputs` (one text after another, as if one) into `dest`. `onChars` hears how many
 * characters went in so far, for progress. Nothing is left behind when it fails.
 */
export async function prepareText(
  inputs: AsyncIterable<string>[],
  recipe: CleaningRecipe,
  dest: string,
  what: string,
  onChars?: (n: number) => void,
): Promise<PreparedText> {
  const cleaner = createTextCleaner(recipe)
  const stats = new TextStatsCounter()
  const tmp = `${dest}.clean-${process.pid}-${Date.now()}`
  const out = createWriteStream(tmp)
  const failed = new Promise<never>((_, reject) => out.once('error', reject))
  failed.catch(() => {})
  let chars = 0
  try {
    const run = async (): Promise<string[]> => {
      for (const input of inputs)
        for await (const chunk of input) {
          chars += chunk.length
          onChars?.(chars)
          const clean = cleaner.push(chunk)
          stats.push(clean)
          await write(out, clean)
        }
      const last = cleaner.end()
      stats.push(last.text)
      await write(out, last.text)
      return last.report.warnings
    }
    const warnings = await Promise.race([run(), failed])
    out.end()
    await Promise.race([finished(out), failed])
    const result = stats.result()
    if (result.characters === 0) throw new ApiError('EMPTY', `${what} has no text left after cleaning`, 'choose another file')
    await rename(tmp, dest)
    return { stats: result, warnings }
  } catch (e) {
    out.destroy()
    await unlink(tmp).catch(() => {})
    throw e instanceof ApiError ? e : fileError(e, what)
  }
}
