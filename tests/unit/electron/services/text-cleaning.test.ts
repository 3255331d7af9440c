// The cleaning steps against texts written here in the formats they meet: a Gutenberg book with
// its licence (modern and older markers, CRLF, curly quotes), WikiText's tokenised lines, and
// broken line endings. Every expectation is the exact output, written out by hand.
import { describe, expect, it } from 'vitest'
import {
  cleanText,
  createTextCleaner,
  detokenizeWikitext,
  foldTypography,
  gutenbergHeaderLines,
  normaliseLineEndings,
  stripGutenberg,
  type CleaningRecipe,
} from '../../../../electron/services/text-cleaning'

const crlf = (lines: string[]): string => lines.map((l) => l + '\r\n').join('')

const licenceHeader = [
  '\uFEFFThe Project Gutenberg eBook of A Small Test Book',
  '    ',
  'This ebook is for the use of anyone anywhere in the United States and',
  'most other parts of the world at no cost and with almost no restrictions',
  'whatsoever. You may copy it, give it away or re-use it under the terms',
  'of the Project Gutenberg License included with this ebook or online',
  'at www.gutenberg.org.',
  '',
  'Title: A Small Test Book',
  'Author: Nobody in Particular',
  '',
]
const bookBody = [
  'CHAPTER I.   ',
  '',
  '“Is it you?” she asked—twice… ‘Yes,’ said he.',
  'It cost 5\u00A0shillings, pages 10–12.',
  '',
  '',
  '',
  '',
  '',
  'CHAPTER II.',
  '',
  'The end\u2014almost.\t',
]
const licenceFooter = [
  'Updated editions will replace the previous one—the old editions will',
  'be renamed.',
  '',
  '*** START: FULL LICENSE ***',
  'THE FULL PROJECT GUTENBERG LICENSE',
]
const startLine = '*** START OF THE PROJECT GUTENBERG EBOOK A SMALL TEST BOOK ***'
const endLine = '*** END OF THE PROJECT GUTENBERG EBOOK A SMALL TEST BOOK ***'
const book = crlf([
  ...licenceHeader,
  startLine,
  '',
  '',
  'Produced by A. Volunteer and the Online Distributed',
  'Proofreading Team at https://www.pgdp.net',
  '',
  '',
  '',
  ...bookBody,
  '',
  '',
  '',
  endLine,
  '',
  ...licenceFooter,
])

describe('stripGutenberg', () => {
  it('keeps the book between the markers, with its own CRLF line endings', () => {
    const r = stripGutenberg(book)
    expect(r.start).toBe(startLine)
    expect(r.end).toBe(endLine)
    expect(r.text).toBe(
      'CHAPTER I.   \r\n\r\n“Is it you?” she asked—twice… ‘Yes,’ said he.\r\nIt cost 5\u00A0shillings, pages 10–12.\r\n' +
        '\r\n\r\n\r\n\r\n\r\nCHAPTER II.\r\n\r\nThe end\u2014almost.\t\r\n',
    )
  })

  it('ends at "End of the Project Gutenberg EBook" before a 2000s "*** END OF THIS" marker', () => {
    const text = [
      'The Project Gutenberg EBook of Pride, by Someone',
      'This eBook is for the use of anyone anywhere at no cost.',
      '*** START OF THIS PROJECT GUTENBERG EBOOK PRIDE ***',
      '',
      'It is a truth universally acknowledged.',
      '',
      'End of the Project Gutenberg EBook of Pride, by Someone',
      '',
      '*** END OF THIS PROJECT GUTENBERG EBOOK PRIDE ***',
      'This file should be named 1342.txt',
      '',
    ].join('\n')
    const r = stripGutenberg(text)
    expect(r).toEqual({
      text: 'It is a truth universally acknowledged.\n',
      start: '*** START OF THIS PROJECT GUTENBERG EBOOK PRIDE ***',
      end: 'End of the Project Gutenberg EBook of Pride, by Someone',
    })
  })

  it('reads the 1990s small print: "*END*THE SMALL PRINT!" to "End of Project Gutenberg\'s"', () => {
    const text = [
      '**The Project Gutenberg Etext of Old Book**',
      '**Welcome To The World of Free Plain Vanilla Electronic Texts**',
      '*****SMALL PRINT!*****',
      'LIMITED WARRANTY; DISCLAIMER OF DAMAGES',
      '*END*THE SMALL PRINT! FOR PUBLIC DOMAIN ETEXTS*Ver.04.29.93*END*',
      '',
      'This etext was prepared by A. Typist.',
      '',
      'Once upon a time.',
      '',
      'The end.',
      'End of Project Gutenberg\'s Etext of Old Book, by An Author',
      'more licence',
    ].join('\n')
    expect(stripGutenberg(text)).toEqual({
      text: 'Once upon a time.\n\nThe end.\n',
      start: '*END*THE SMALL PRINT! FOR PUBLIC DOMAIN ETEXTS*Ver.04.29.93*END*',
      end: "End of Project Gutenberg's Etext of Old Book, by An Author",
    })
    const later = text.replace('*END*THE SMALL PRINT! FOR PUBLIC DOMAIN ETEXTS*Ver.04.29.93*END*', '*END THE SMALL PRINT! FOR PUBLIC DOMAIN EBOOKS*Ver.02/11/02*END*')
    expect(stripGutenberg(later).text).toBe('Once upon a time.\n\nThe end.\n')
  })

  it('takes a START marker wrapped over two lines, and "***START OF THE COPYRIGHTED" without a space', () => {
    const wrapped = ['header', '*** START OF THE PROJECT GUTENBERG EBOOK THE VERY LONG TITLE OF', 'A BOOK ***', '', 'Text.', '*** END OF THE PROJECT GUTENBERG EBOOK THE VERY', 'LONG TITLE ***', 'licence'].join('\n')
    expect(stripGutenberg(wrapped)).toEqual({
      text: 'Text.\n',
      start: '*** START OF THE PROJECT GUTENBERG EBOOK THE VERY LONG TITLE OF A BOOK ***',
      end: '*** END OF THE PROJECT GUTENBERG EBOOK THE VERY',
    })
    const copyrighted = 'licence\n***START OF THE COPYRIGHTED PROJECT GUTENBERG EBOOK X***\nText.\n***END OF THE COPYRIGHTED PROJECT GUTENBERG EBOOK X***\nlicence\n'
    expect(stripGutenberg(copyrighted).text).toBe('Text.\n')
  })

  it('returns a text without markers unchanged and says neither was found', () => {
    const text = 'Just a text.\r\n\r\n*** START: FULL LICENSE ***\r\nNot a marker: the licence section of a footer.\r\n\r\n'
    expect(stripGutenberg(text)).toEqual({ text, start: null, end: null })
  })

  it('cuts only the footer when there is an END marker but no START', () => {
    const text = 'Title page\nText.\n\n*** END OF THE PROJECT GUTENBERG EBOOK X ***\nlicence\n'
    expect(stripGutenberg(text)).toEqual({ text: 'Title page\nText.\n', start: null, end: '*** END OF THE PROJECT GUTENBERG EBOOK X ***' })
  })

  it(`looks for the START marker in the first ${gutenbergHeaderLines} lines only`, () => {
    const filler = Array.from({ length: gutenbergHeaderLines }, (_, i) => `line ${i}`)
    const late = [...filler, startLine, 'Text.', endLine, 'licence'].join('\n')
    const r = stripGutenberg(late)
    expect(r.start).toBeNull()
    expect(r.end).toBe(endLine)
    expect(r.text).toBe([...filler, startLine, 'Text.'].join('\n') + '\n')
    const inTime = [...filler.slice(1), startLine, 'Text.', endLine].join('\n')
    expect(stripGutenberg(inTime).text).toBe('Text.\n')
  })
})

describe('cleanText with the Gutenberg recipe', () => {
  it('gives the book alone, LF endings, no trailing spaces, at most two blank lines', () => {
    const r = cleanText(book, { gutenberg: true })
    expect(r.text).toBe(
      'CHAPTER I.\n\n“Is it you?” she asked—twice… ‘Yes,’ said he.\nIt cost 5\u00A0shillings, pages 10–12.\n\n\nCHAPTER II.\n\nThe end\u2014almost.\n',
    )
    expect(r.report).toEqual({ gutenberg: { start: startLine, end: endLine }, warnings: [] })
  })

  it('folds the typography to ASCII when asked', () => {
    expect(cleanText(book, { gutenberg: true, foldTypography: true }).text).toBe(
      'CHAPTER I.\n\n"Is it you?" she asked--twice... \'Yes,\' said he.\nIt cost 5 shillings, pages 10-12.\n\n\nCHAPTER II.\n\nThe end--almost.\n',
    )
  })

  it('warns, rather than keeping the licence silently, when the markers are missing', () => {
    const r = cleanText('A text with\r\nno markers.\r\n', { gutenberg: true })
    expect(r.text).toBe('A text with\nno markers.\n')
    expect(r.report.gutenberg).toEqual({ start: null, end: null })
    expect(r.report.warnings).toEqual([
      `no Project Gutenberg START marker in the first ${gutenbergHeaderLines} lines: the beginning was kept as it is, so any licence header is still in the text`,
      'no Project Gutenberg END marker: the end was kept as it is, so any licence footer is still in the text',
    ])
    expect(cleanText('plain', {}).report).toEqual({ warnings: [] })
  })
})

// WikiText-2 raw lines as the Hugging Face set stores them: a space at each end, blank lines " ".
const wikiRaw = [
  ' = Valkyria Tactics = ',
  ' ',
  ' Valkyria Tactics : The Second Front ( Japanese : 戦場 , lit . " Battlefield " ) is a role @-@ playing game released on 1 @,@ 024 systems , at 3 @.@ 5 % of the usual price . ',
  ' ',
  ' = = Reception = = ',
  ' ',
  ' Critics did n\'t mind ; the game \'s cast [ see below ] was praised , and the players \' union called it " a one @-@ off " ! Was it " good " ? ',
  ' = = = Sales = = = ',
  ' It sold " well " , he said " for ',
  ' ',
]
const wikiClean = [
  'Valkyria Tactics',
  '',
  'Valkyria Tactics: The Second Front (Japanese: 戦場, lit. "Battlefield") is a role-playing game released on 1,024 systems, at 3.5% of the usual price.',
  '',
  'Reception',
  '',
  'Critics didn\'t mind; the game\'s cast [see below] was praised, and the players\' union called it "a one-off"! Was it "good"?',
  'Sales',
  'It sold "well", he said " for',
  '',
]

describe('detokenizeWikitext', () => {
  it('undoes the tokenisation line by line, headings becoming their titles', () => {
    expect(detokenizeWikitext(wikiRaw.join('\n') + '\n')).toBe(wikiClean.join('\n') + '\n')
  })

  it('keeps CRLF endings and leaves what is not a heading alone', () => {
    expect(detokenizeWikitext(' = not closed \r\n = = uneven = \r\n x = y \r\n')).toBe('= not closed\r\n= = uneven =\r\nx = y\r\n')
  })

  it('cleanText with the WikiText recipe also normalises the blank lines', () => {
    expect(cleanText(wikiRaw.join('\n') + '\n', { wikitext: true }).text).toBe(
      'Valkyria Tactics\n\n' + wikiClean[2] + '\n\nReception\n\n' + wikiClean[6] + '\n' + 'Sales\n' + wikiClean[8] + '\n',
    )
  })
})

describe('normaliseLineEndings', () => {
  it('turns CRLF and CR into LF, drops the BOM and trailing spaces, and caps blank runs at two', () => {
    expect(normaliseLineEndings('\uFEFF\r\n\r\n  first  \r\nsecond\rthird\t \n\n\n\n\n\nfourth\n \n\nfifth\r\n\r\n\r\n')).toBe(
      '  first\nsecond\nthird\n\n\nfourth\n\n\nfifth\n',
    )
  })

  it('ends a last line with "\\n" and gives "" for an empty or blank text', () => {
    expect(normaliseLineEndings('no newline')).toBe('no newline\n')
    expect(normaliseLineEndings('')).toBe('')
    expect(normaliseLineEndings(' \r\n\t\n')).toBe('')
    expect(normaliseLineEndings('a\n\nb')).toBe('a\n\nb\n')
  })
})

describe('foldTypography', () => {
  it('maps each typographic character to its ASCII spelling and leaves the rest', () => {
    const input = '‘a’ ‚b‛ ′ ‹c› “d” „e‟ ″ «f» ‐‑‒–− —― … x\u00A0\u2002\u2003\u2009\u200A\u202F\u205Fy so\u00ADft ze\u200Bro jo\u2060in \uFEFF ﬀ ﬁ ﬂ ﬃ ﬄ é ü 中\u3000文 😀'
    expect(foldTypography(input)).toBe('\'a\' \'b\' \' \'c\' "d" "e" " "f" ----- ---- ... x       y soft zero join  ff fi fl ffi ffl é ü 中\u3000文 😀')
  })
})

describe('createTextCleaner (streaming)', () => {
  const recipes: CleaningRecipe[] = [{}, { gutenberg: true, foldTypography: true }, { wikitext: true }]
  const inputs = [book, wikiRaw.join('\r\n') + '\r\n', 'a\rb😀\r\r\rc\r\n\r\nd\r']

  it('gives the same text and report for any chunking, CRLF and surrogate pairs split included', () => {
    for (const recipe of recipes)
      for (const input of inputs) {
        const whole = cleanText(input, recipe)
        for (const size of [1, 2, 3, 7, 64]) {
          const cleaner = createTextCleaner(recipe)
          let text = ''
          for (let i = 0; i < input.length; i += size) text += cleaner.push(input.slice(i, i + size))
          const end = cleaner.end()
          expect(text + end.text, `chunks of ${size}`).toBe(whole.text)
          expect(end.report).toEqual(whole.report)
        }
      }
  })

  it('splits "a\\rb😀\\r\\r\\rc\\r\\n\\r\\nd\\r" into the lines a, b😀, two blanks, c, a blank, d', () => {
    expect(normaliseLineEndings('a\rb😀\r\r\rc\r\n\r\nd\r')).toBe('a\nb😀\n\n\nc\n\nd\n')
  })

  it('hands text on as it goes once the Gutenberg START marker is past', () => {
    const cleaner = createTextCleaner({ gutenberg: true })
    expect(cleaner.push('licence\n' + startLine + '\nFirst line.\n')).toBe('First line.\n')
    expect(cleaner.push('Second')).toBe('')
    expect(cleaner.push(' line.\n' + endLine + '\nlicence\n')).toBe('Second line.\n')
    expect(cleaner.end().text).toBe('')
  })
})

describe('linear time', () => {
  it('cleans lines of a million spaces between words and punctuation in well under a second each', () => {
    const spaces = ' '.repeat(1_000_000)
    const nasty = `w${spaces}.${spaces}n't${spaces}"${spaces}a${spaces}"${spaces}(${spaces}b${spaces}\n= ${'= '.repeat(300_000)}x\n`
    const t0 = performance.now()
    const r = cleanText(nasty, { gutenberg: true, wikitext: true, foldTypography: true })
    expect(performance.now() - t0).toBeLessThan(3000)
    expect(r.text).toBe(`w.n't${spaces}"a"${spaces}(b\n= ${'= '.repeat(300_000)}x\n`)
  })
})
