// What a dataset is made of, for the datasets view: its size in bytes, lines and characters, and
// the vocabulary a character model will learn (every distinct code point, with its count). One
// pass over the text; TextStatsCounter takes the text in chunks, so a file of hundreds of MB is
// measured while it streams from disk instead of being read whole.
import { createReadStream } from 'node:fs'
import { ApiError } from '../common/errors'

export interface CharCount {
  char: string // one code point (a string of length 1 or 2)
  count: number
}

export interface TextStats {
  bytes: number // UTF-8 bytes (of the file itself when it was fed as bytes)
  lines: number // "\n"s, plus one for a last line without one; '' has 0
  longestLine: number // characters of the longest line with its line break (a last line without one counts one)
  characters: number // code points
  vocabularySize: number // distinct code points
  histogram: CharCount[] // every distinct code point, by count descending, then by code point
}

function utf8Length(codeUnit: number): number {
  return codeUnit < 0x80 ? 1 : codeUnit < 0x800 ? 2 : 3
}

// Without { stream: true } every call decodes its bytes completely, so the counter's state is
// plain data (it can be copied to read the stats mid-stream) and one decoder serves all.
const utf8 = new TextDecoder('utf-8')

/**
 * Where a multi-byte sequence begins that the end of `bytes` cuts short (bytes.length if none).
 * Holding those bytes back to the next chunk decodes exactly as the whole file would: a lead
 * byte can never continue what precedes it, so the bytes before it decode the same either way.
 */
function incompleteTailStart(bytes: Uint8Array): number {
  const n = bytes.length
  for (let i = n - 1; i >= 0 && i >= n - 3; i--) {
    const b = bytes[i]
    if (b < 0x80) return n // ASCII: nothing is cut
    if (b >= 0xc0) {
      const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2
      return n - i < need ? i : n
    }
    // 0x80..0xbf: a continuation byte, look further back for its lead
  }
  return n
}

/**
 * Feed chunks, read the stats at any time. Strings are counted as they are (bytes as their
 * UTF-8 encoding); Uint8Array chunks (a file's bytes, split anywhere) are counted as the bytes
 * they are and decoded as UTF-8, an invalid sequence counting as one U+FFFD character.
 * A surrogate pair split between two string chunks is still one character; a lone surrogate
 * counts as a character of its own (3 bytes, as UTF-8 encoders write it as U+FFFD).
 */
export class TextStatsCounter {
  // Counts of the Basic Multilingual Plane by code unit (512 KiB); the rest, rarer, in a map.
  private readonly bmp = new Float64Array(0x10000)
  private readonly astral = new Map<number, number>()
  private bytes = 0
  private characters = 0
  private newlines = 0
  private lineChars = 0 // of the line being read, its break not yet seen
  private longestLine = 0
  private lastCodePoint = -1
  private pendingHigh = -1 // a high surrogate waiting for the next chunk's first code unit
  private heldBytes: Uint8Array = new Uint8Array(0) // a UTF-8 sequence the next chunk may finish

  push(chunk: string | Uint8Array): this {
    if (typeof chunk === 'string') this.count(chunk, true)
    else {
      this.bytes += chunk.byteLength
      let bytes = chunk
      if (this.heldBytes.length > 0) {
        bytes = new Uint8Array(this.heldBytes.length + chunk.length)
        bytes.set(this.heldBytes)
        bytes.set(chunk, this.heldBytes.length)
      }
      const cut = incompleteTailStart(bytes)
      this.heldBytes = bytes.slice(cut)
      this.count(utf8.decode(bytes.subarray(0, cut)), false)
    }
    return this
  }

  /** The stats of everything pushed so far; pushing may continue afterwards. */
  result(): TextStats {
    // A sequence cut off at the end, and a trailing high surrogate, are final only if nothing
    // follows, so they are counted in a copy.
    const snapshot = this.copy()
    if (snapshot.heldBytes.length > 0) snapshot.count(utf8.decode(snapshot.heldBytes), false)
    if (snapshot.pendingHigh >= 0) snapshot.countLoneSurrogate(true)
    return snapshot.stats()
  }

  private count(s: string, countBytes: boolean): void {
    const bmp = this.bmp
    let bytes = 0
    let characters = 0
    let newlines = 0
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i)
      if (this.pendingHigh >= 0) {
        if (c >= 0xdc00 && c <= 0xdfff) {
          const cp = ((this.pendingHigh - 0xd800) << 10) + (c - 0xdc00) + 0x10000
          this.pendingHigh = -1
          this.astral.set(cp, (this.astral.get(cp) ?? 0) + 1)
          this.lastCodePoint = cp
          characters++
          this.lineChars++
          bytes += 4
          continue
        }
        this.countLoneSurrogate(countBytes)
      }
      if (c >= 0xd800 && c <= 0xdbff) {
        this.pendingHigh = c
        continue
      }
      bmp[c]++
      characters++
      bytes += utf8Length(c)
      this.lineChars++
      if (c === 10) {
        newlines++
        if (this.lineChars > this.longestLine) this.longestLine = this.lineChars
        this.lineChars = 0
      }
      this.lastCodePoint = c
    }
    this.characters += characters
    this.newlines += newlines
    if (countBytes) this.bytes += bytes
  }

  private countLoneSurrogate(countBytes: boolean): void {
    this.bmp[this.pendingHigh]++
    this.lastCodePoint = this.pendingHigh
    this.pendingHigh = -1
    this.characters++
    this.lineChars++
    if (countBytes) this.bytes += 3
  }

  private copy(): TextStatsCounter {
    const c = new TextStatsCounter()
    c.bmp.set(this.bmp)
    for (const [k, v] of this.astral) c.astral.set(k, v)
    c.bytes = this.bytes
    c.characters = this.characters
    c.newlines = this.newlines
    c.lineChars = this.lineChars
    c.longestLine = this.longestLine
    c.lastCodePoint = this.lastCodePoint
    c.pendingHigh = this.pendingHigh
    c.heldBytes = this.heldBytes
    return c
  }

  private stats(): TextStats {
    const histogram: CharCount[] = []
    for (let c = 0; c < 0x10000; c++) if (this.bmp[c] > 0) histogram.push({ char: String.fromCharCode(c), count: this.bmp[c] })
    for (const [cp, count] of [...this.astral].sort((a, b) => a[0] - b[0])) histogram.push({ char: String.fromCodePoint(cp), count })
    // Stable sort: equal counts stay in code point order.
    histogram.sort((a, b) => b.count - a.count)
    const lines = this.newlines + (this.characters > 0 && this.lastCodePoint !== 10 ? 1 : 0)
    const longestLine = Math.max(this.longestLine, this.lineChars > 0 ? this.lineChars + 1 : 0)
    return { bytes: this.bytes, lines, longestLine, characters: this.characters, vocabularySize: histogram.length, histogram }
  }
}

/** The stats of a whole string. */
export function textStats(text: string): TextStats {
  return new TextStatsCounter().push(text).result()
}

/** The stats of a file, read as a stream of bytes (memory stays at one chunk plus the counts). */
export async function textStatsOfFile(path: string, what = path): Promise<TextStats> {
  const counter = new TextStatsCounter()
  try {
    for await (const chunk of createReadStream(path)) counter.push(chunk as Buffer)
  } catch (e) {
    const code = (e as NodeJS.ErrnoException)?.code
    if (code === 'ENOENT') throw new ApiError('NOT_FOUND', `${what} does not exist: ${path}`)
    throw new ApiError('IO', `cannot read ${what}: ${e instanceof Error ? e.message : String(e)}`)
  }
  return counter.result()
}
