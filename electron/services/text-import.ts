// A user's own text, streamed from disk or from an upload, never held whole: checked to be UTF-8
// text as it passes (a bad byte or a NUL is refused with the file's name and the byte offset),
// written to a temp file that is renamed into place only when all of it was good.
import { createWriteStream } from 'node:fs'
import { rename, unlink } from 'node:fs/promises'
import { Transform, type Readable, type TransformCallback } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { ApiError } from '../common/errors'
import { fileError } from './atomic-file'

/**
 * UTF-8 checked a chunk at a time (RFC 3629: no overlong forms, no surrogates, nothing past
 * U+10FFFF), keeping the state of a sequence split across chunks.
 */
export class Utf8Validator {
  offset = 0 // bytes seen so far
  private need = 0 // continuation bytes still expected
  private lower = 0x80 // the allowed range of the next continuation byte
  private upper = 0xbf
  private start = 0 // offset of the sequence being read

  /** Returns the offset of the first bad byte, or -1 when the chunk is fine so far. */
  feed(chunk: Uint8Array): number {
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i]
      const at = this.offset + i
      if (this.need === 0) {
        this.start = at
        if (b < 0x80) continue
        if (b >= 0xc2 && b <= 0xdf) this.need = 1
        else if (b >= 0xe0 && b <= 0xef) {
          this.need = 2
          this.lower = b === 0xe0 ? 0xa0 : 0x80 // no overlong 3-byte forms
          this.upper = b === 0xed ? 0x9f : 0xbf // no surrogates
          continue
        } else if (b >= 0xf0 && b <= 0xf4) {
          this.need = 3
          this.lower = b === 0xf0 ? 0x90 : 0x80 // no overlong 4-byte forms
          this.upper = b === 0xf4 ? 0x8f : 0xbf // nothing past U+10FFFF
          continue
        } else return at
        this.lower = 0x80
        this.upper = 0xbf
        continue
      }
      if (b < this.lower || b > this.upper) return this.start
      this.lower = 0x80
      this.upper = 0xbf
      this.need--
    }
    this.offset += chunk.length
    return -1
  }

  /** At the end of the input: the offset of a sequence cut short, or -1. */
  end(): number {
    return this.need > 0 ? this.start : -1
  }
}

function badText(what: string, why: string, offset: number): ApiError {
  return new ApiError('NOT_TEXT', `${what} is not UTF-8 text: ${why} at byte offset ${offset}`,
    'save it as UTF-8 plain text (most editors offer this under "Save with encoding"), or choose a text file')
}

/** A Transform that passes bytes through unchanged and fails on the first one that is not UTF-8 text. */
export function utf8Check(what: string, maxBytes = Infinity, onBytes?: (read: number) => void): Transform {
  const utf8 = new Utf8Validator()
  let read = 0
  return new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      const startOffset = read
      read += chunk.length
      if (read > maxBytes)
        return done(new ApiError('TOO_LARGE', `${what} is larger than ${Math.round(maxBytes / 1024 / 1024)} MiB`, 'split it, or import a smaller file'))
      const bad = utf8.feed(chunk)
      if (bad >= 0) return done(badText(what, `invalid byte 0x${chunk[bad - startOffset].toString(16).padStart(2, '0').toUpperCase()}`, bad))
      const nul = chunk.indexOf(0)
      if (nul >= 0) return done(badText(what, 'a NUL byte (a binary file?)', startOffset + nul))
      onBytes?.(read)
      done(null, chunk)
    },
    flush(done: TransformCallback) {
      const cut = utf8.end()
      done(cut >= 0 ? badText(what, 'a character cut short by the end of the file', cut) : null)
    },
  })
}

/**
 * Streams `source` into `dest` unchanged, checked as UTF-8 text on the way; `what` names the
 * input in errors ("notes.txt"). Past `maxBytes` it stops with TOO_LARGE. Nothing is left
 * behind on any failure. Returns the bytes copied.
 */
export async function copyCheckedText(source: Readable, dest: string, o: { what: string; maxBytes: number; onBytes?: (read: number) => void }): Promise<number> {
  let bytes = 0
  const tmp = `${dest}.import-${process.pid}-${Date.now()}`
  try {
    await pipeline(source, utf8Check(o.what, o.maxBytes, (n) => {
      bytes = n
      o.onBytes?.(n)
    }), createWriteStream(tmp))
    await rename(tmp, dest)
  } catch (e) {
    await unlink(tmp).catch(() => {})
    if (e instanceof ApiError) throw e
    const code = (e as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'EISDIR' || code === 'EACCES')
      throw new ApiError('NOT_FOUND', `cannot read ${o.what}: ${code === 'EISDIR' ? 'it is a folder' : code === 'EACCES' ? 'permission denied' : 'no such file'}`)
    throw fileError(e, o.what)
  }
  return bytes
}
