// Dataset statistics: exact counts for small texts, the same stats however a text (or its
// bytes) is cut into chunks, and a file measured as a stream.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { TextStatsCounter, textStats, textStatsOfFile } from '../../../../electron/services/text-stats'
import { tempDir } from '../../../support/engine'

describe('textStats', () => {
  it('counts bytes, lines, code points and the vocabulary with its histogram', () => {
    // h é l l o \n w ö r l d ␠ 😀 \n : 14 code points, 1+2+1+1+1+1 + 1+2+1+1+1+1+4+1 = 19 bytes
    expect(textStats('héllo\nwörld 😀\n')).toEqual({
      bytes: 19,
      lines: 2,
      longestLine: 8, // "wörld 😀\n"

      characters: 14,
      vocabularySize: 11,
      histogram: [
        { char: 'l', count: 3 },
        { char: '\n', count: 2 },
        { char: ' ', count: 1 },
        { char: 'd', count: 1 },
        { char: 'h', count: 1 },
        { char: 'o', count: 1 },
        { char: 'r', count: 1 },
        { char: 'w', count: 1 },
        { char: 'é', count: 1 },
        { char: 'ö', count: 1 },
        { char: '😀', count: 1 },
      ],
    })
  })

  it('counts a last line without "\\n" and nothing for an empty text', () => {
    expect(textStats('').lines).toBe(0)
    expect(textStats('a').lines).toBe(1)
    expect(textStats('a\n').lines).toBe(1)
    expect(textStats('a\n\nb').lines).toBe(3)
    expect(textStats('\n').lines).toBe(1)
    expect(textStats('')).toEqual({ bytes: 0, lines: 0, longestLine: 0, characters: 0, vocabularySize: 0, histogram: [] })
  })

  it('measures the longest line in characters with its break, a last line without one counting one', () => {
    expect(textStats('ab\nc').longestLine).toBe(3)
    expect(textStats('a\n\nbcd').longestLine).toBe(4)
    expect(textStats('\n').longestLine).toBe(1)
    expect(textStats('😀é\nx\n').longestLine).toBe(3) // code points, not code units or bytes
  })

  it('counts a lone surrogate as one character of 3 bytes, as UTF-8 encoders write it', () => {
    const s = 'a\uD800b\uDC00'
    expect(textStats(s)).toEqual({
      bytes: Buffer.byteLength(s),
      lines: 1,
      longestLine: 5,
      characters: 4,
      vocabularySize: 4,
      histogram: [
        { char: 'a', count: 1 },
        { char: 'b', count: 1 },
        { char: '\uD800', count: 1 },
        { char: '\uDC00', count: 1 },
      ],
    })
    expect(Buffer.byteLength(s)).toBe(8)
  })
})

const sample = 'Ünïcödé 😀 text\r\nwith 中文 and 𝄞 music\n\n  end 😀'

describe('TextStatsCounter', () => {
  it('gives the same stats for a string cut at every code unit, surrogate pairs included', () => {
    const whole = textStats(sample)
    expect(whole.characters).toBe([...sample].length)
    expect(whole.bytes).toBe(Buffer.byteLength(sample))
    for (let cut = 0; cut <= sample.length; cut++) {
      const counter = new TextStatsCounter().push(sample.slice(0, cut))
      expect(counter.push(sample.slice(cut)).result(), `cut at ${cut}`).toEqual(whole)
    }
  })

  it('gives the same stats for the UTF-8 bytes cut at every byte, and counts the bytes as they are', () => {
    const bytes = Buffer.from(sample)
    const whole = textStats(sample)
    for (let cut = 0; cut <= bytes.length; cut++) {
      const counter = new TextStatsCounter().push(bytes.subarray(0, cut)).push(bytes.subarray(cut))
      expect(counter.result(), `cut at ${cut}`).toEqual(whole)
    }
    let oneByOne = new TextStatsCounter()
    for (const b of bytes) oneByOne = oneByOne.push(Uint8Array.of(b))
    expect(oneByOne.result()).toEqual(whole)
  })

  it('counts invalid UTF-8 as U+FFFD characters but the file\'s own bytes', () => {
    const bytes = Uint8Array.of(0x61, 0xff, 0x62, 0xe2, 0x82) // a, invalid, b, a cut-off "€"
    const stats = new TextStatsCounter().push(bytes).result()
    expect(stats.bytes).toBe(5)
    expect(stats.characters).toBe(4)
    expect(stats.histogram).toEqual([
      { char: '\uFFFD', count: 2 },
      { char: 'a', count: 1 },
      { char: 'b', count: 1 },
    ])
  })

  it('can be read mid-stream and go on: a held-back partial sequence is final only at the end', () => {
    const euro = Buffer.from('€') // e2 82 ac
    const counter = new TextStatsCounter().push(euro.subarray(0, 2))
    expect(counter.result().histogram).toEqual([{ char: '\uFFFD', count: 1 }])
    expect(counter.push(euro.subarray(2)).result()).toEqual(textStats('€'))
    const pair = new TextStatsCounter().push('x\uD83D')
    expect(pair.result().characters).toBe(2)
    expect(pair.push('\uDE00').result()).toEqual(textStats('x😀'))
  })
})

describe('textStatsOfFile', () => {
  it('measures a file larger than one read chunk exactly as the text it holds', async () => {
    const text = ('Ça va? 😀 Ünïcödé\n'.repeat(9000) + 'last line').repeat(2)
    const path = join(tempDir(), 'big.txt')
    writeFileSync(path, text)
    const stats = await textStatsOfFile(path)
    expect(stats.bytes).toBeGreaterThan(256 * 1024) // several 64 KiB chunks, cut mid-character
    expect(stats).toEqual(textStats(text))
    expect(stats.lines).toBe(18001)
  })

  it('names a missing file', async () => {
    const path = join(tempDir(), 'missing.txt')
    await expect(textStatsOfFile(path, 'the dataset')).rejects.toMatchObject({ code: 'NOT_FOUND', message: `the dataset does not exist: ${path}` })
  })
})
