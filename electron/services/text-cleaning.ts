// Cleaning a downloaded text before training: Project Gutenberg's licence header and footer cut
// off, WikiText's tokenisation undone, typography optionally folded to ASCII (a smaller
// vocabulary for a character model), and line endings and blank lines normalised.
//
// Every step works on one line at a time, so a text of hundreds of MB can be cleaned while it
// streams from disk (createTextCleaner) without holding it twice. The string functions run the
// same line code over one string. Every pattern is written to take time linear in its input
// (no backtracking over runs of spaces), since a hostile or broken file is still a file we read.

export interface CleaningRecipe {
  gutenberg?: boolean
  wikitext?: boolean
  foldTypography?: boolean
}

export interface CleaningReport {
  /** The Gutenberg marker lines found (null: none found). Present only when the recipe asked. */
  gutenberg?: { start: string | null; end: string | null }
  /** Sentences for the user, e.g. that no START marker was found so licence text may remain. */
  warnings: string[]
}

export interface CleanedText {
  text: string
  report: CleaningReport
}

export interface TextCleaner {
  /** Cleans the next chunk; returns the cleaned text that is final so far (possibly ''). */
  push(chunk: string): string
  /** Flushes what is held back (a partial last line, a Gutenberg header still being searched). */
  end(): CleanedText
}

// --- lines -------------------------------------------------------------------------------------

type LineSink = (line: string, eol: string) => void

// Splits chunks into lines at CRLF, CR or LF. A CR at the very end of a chunk is held until the
// next one shows whether it is half of a CRLF. A line longer than a chunk is kept as pieces and
// joined once, so one enormous line costs linear time, not a re-copy per chunk.
class LineSplitter {
  private pieces: string[] = []
  private pendingCR = false

  push(chunk: string, sink: LineSink): void {
    if (chunk === '') return
    let start = 0
    if (this.pendingCR) {
      this.pendingCR = false
      const crlf = chunk.charCodeAt(0) === 10
      this.emit('', crlf ? '\r\n' : '\r', sink)
      start = crlf ? 1 : 0
    }
    const lineBreak = /\r\n|\r|\n/g
    lineBreak.lastIndex = start
    for (let m = lineBreak.exec(chunk); m; m = lineBreak.exec(chunk)) {
      if (m[0] === '\r' && m.index === chunk.length - 1) {
        this.pieces.push(chunk.slice(start, m.index))
        this.pendingCR = true
        return
      }
      this.emit(chunk.slice(start, m.index), m[0], sink)
      start = lineBreak.lastIndex
    }
    if (start < chunk.length) this.pieces.push(chunk.slice(start))
  }

  end(sink: LineSink): void {
    if (this.pendingCR) this.emit('', '\r', sink)
    else if (this.pieces.length > 0) this.emit('', '', sink)
    this.pendingCR = false
  }

  private emit(tail: string, eol: string, sink: LineSink): void {
    const line = this.pieces.length > 0 ? this.pieces.join('') + tail : tail
    this.pieces = []
    sink(line, eol)
  }
}

function isSpaceCode(c: number): boolean {
  return c === 32 || c === 9
}

/** The line without leading and trailing spaces and tabs, by index (linear on any input). */
function trimSpaces(s: string): string {
  let a = 0
  let b = s.length
  while (a < b && isSpaceCode(s.charCodeAt(a))) a++
  while (b > a && isSpaceCode(s.charCodeAt(b - 1))) b--
  return a === 0 && b === s.length ? s : s.slice(a, b)
}

// --- Project Gutenberg -------------------------------------------------------------------------

// Markers are matched on the trimmed line, case-insensitively. START: the modern
// "*** START OF THE PROJECT GUTENBERG EBOOK <TITLE> ***", the 2000s "*** START OF THIS PROJECT
// GUTENBERG EBOOK", "***START OF THE COPYRIGHTED PROJECT GUTENBERG", and the 1990s small print's
// last line "*END*THE SMALL PRINT! ..." / "*END THE SMALL PRINT! ...". END: "*** END OF THE/THIS
// PROJECT GUTENBERG ...", and the older closing lines "End of the Project Gutenberg EBook of ...",
// "End of Project Gutenberg's ...", "End of this Project Gutenberg Etext ...". The first END after
// the START wins: in 2000s files "End of the Project Gutenberg EBook" comes just before "*** END".
const startMarker = /^\*{3}\s*START OF (?:THE |THIS )?(?:COPYRIGHTED )?PROJECT GUTENBERG|^\*END\*?\s*THE SMALL PRINT/i
const endMarker = /^\*{3}\s*END OF (?:THE |THIS )?(?:COPYRIGHTED )?PROJECT GUTENBERG|^END OF (?:THE |THIS )?PROJECT GUTENBERG/i
// The volunteers' credit paragraph that many books open with right after the START marker.
const creditLine = /^(?:Produced by|E-?text prepared by|This e-?(?:book|text) was (?:prepared|produced) by|Transcribed (?:by|from))\b/i
/** How far into a book the START marker is looked for (the 1990s small print runs a few hundred). */
export const gutenbergHeaderLines = 2000

type GutenbergState = 'header' | 'markerTail' | 'leading' | 'credit' | 'body' | 'footer'

// A line-wise state machine. Lines may carry their line ending (stripGutenberg keeps the text's
// own) or not (the cleaner); markers are tested on the trimmed line either way. Until a START
// marker is seen the header is held back, because without one it is the book itself.
class GutenbergStripper {
  start: string | null = null
  end: string | null = null
  private state: GutenbergState = 'header'
  private header: string[] = []
  private blanks: string[] = [] // blank body lines, dropped if the END marker follows them

  constructor(private readonly sink: (line: string) => void) {}

  line(line: string): void {
    const t = line.trim()
    switch (this.state) {
      case 'header':
        if (startMarker.test(t)) {
          this.start = t
          this.header = []
          // A long title can wrap the marker: "*** START OF ... EBOOK THE LONG" / "TITLE ***".
          this.state = t.startsWith('***') && !t.slice(3).endsWith('***') ? 'markerTail' : 'leading'
          return
        }
        this.header.push(line)
        if (this.header.length >= gutenbergHeaderLines) this.giveUpOnStart()
        return
      case 'markerTail':
        this.state = 'leading'
        if (t !== '' && t.endsWith('***')) {
          this.start += ' ' + t
          return
        }
        return this.line(line)
      case 'leading': // blank lines and credit paragraphs between the START marker and the text
        if (t === '') return
        if (creditLine.test(t)) {
          this.state = 'credit'
          return
        }
        this.state = 'body'
        return this.bodyLine(line, t)
      case 'credit':
        if (t === '') this.state = 'leading'
        return
      case 'body':
        return this.bodyLine(line, t)
      case 'footer':
        return
    }
  }

  finish(): void {
    if (this.state === 'header') this.giveUpOnStart()
    // No END marker: the end of the text is kept exactly, blank lines included.
    if (this.state === 'body') for (const b of this.blanks) this.sink(b)
    this.blanks = []
  }

  private giveUpOnStart(): void {
    const held = this.header
    this.header = []
    this.state = 'body'
    for (const l of held) if (this.state === 'body') this.bodyLine(l, l.trim())
  }

  private bodyLine(line: string, t: string): void {
    if (endMarker.test(t)) {
      this.end = t
      this.state = 'footer'
      this.blanks = []
      return
    }
    if (t === '') return void this.blanks.push(line)
    for (const b of this.blanks) this.sink(b)
    this.blanks = []
    this.sink(line)
  }
}

function gutenbergWarnings(start: string | null, end: string | null): string[] {
  const warnings: string[] = []
  if (start === null)
    warnings.push(`no Project Gutenberg START marker in the first ${gutenbergHeaderLines} lines: the beginning was kept as it is, so any licence header is still in the text`)
  if (end === null) warnings.push('no Project Gutenberg END marker: the end was kept as it is, so any licence footer is still in the text')
  return warnings
}

export interface GutenbergResult {
  text: string
  start: string | null // the START marker line found, or null
  end: string | null // the END marker line found, or null
}

/**
 * The book between Project Gutenberg's START and END markers, with the text's own line endings.
 * Dropped: everything up to and including the START marker, then blank lines and a credit
 * paragraph ("Produced by ...") before the first line of text; blank lines before the END marker,
 * the marker and everything after it. A missing marker cuts nothing on its side and is reported
 * as null: with neither marker the text comes back unchanged, and the caller must say so.
 */
export function stripGutenberg(text: string): GutenbergResult {
  const out: string[] = []
  const stripper = new GutenbergStripper((line) => out.push(line))
  const splitter = new LineSplitter()
  const sink: LineSink = (line, eol) => stripper.line(line + eol)
  splitter.push(text, sink)
  splitter.end(sink)
  stripper.finish()
  return { text: out.join(''), start: stripper.start, end: stripper.end }
}

// --- WikiText ----------------------------------------------------------------------------------

/** " = Title = ", " = = Section = = " ...: the title, or null for any other line. */
function wikitextHeading(t: string): string | null {
  let level = 0
  let a = 0
  while (t.charCodeAt(a) === 61 && t.charCodeAt(a + 1) === 32) {
    level++ // another "= " opening
    a += 2
  }
  if (level === 0) return null
  let closing = 0
  let b = t.length
  while (closing < level && b - 2 >= a && t.charCodeAt(b - 1) === 61 && t.charCodeAt(b - 2) === 32) {
    closing++ // another " =" closing
    b -= 2
  }
  if (closing !== level) return null
  const title = trimSpaces(t.slice(a, b))
  return title === '' ? null : title
}

/** Spaces inside each pair of double quotes dropped: ` " Calamity Raven " ` → ` "Calamity Raven" `. */
function attachDoubleQuotes(s: string): string {
  if (!s.includes('"')) return s
  const parts = s.split('"')
  // parts[2k+1] lies inside the k-th pair; a last unpaired quote is left as it is.
  for (let i = 1; i + 1 < parts.length; i += 2) parts[i] = trimSpaces(parts[i])
  return parts.join('"')
}

/**
 * One line of WikiText (raw) as ordinary prose. Headings become their plain title on a line of
 * their own (the blank lines around them keep them apart), so no "=" markup reaches the model.
 * Then: the padding space at each end of the line dropped; " @-@ " → "-", " @,@ " → ",",
 * " @.@ " → "."; double quotes paired along the line with the spaces inside each pair dropped;
 * spaces before , . ; : ! ? ) ] and after ( [ dropped; spaces before n't 's 're 've 'll 'd 'm
 * dropped ("did n't" → "didn't", "Gallia 's" → "Gallia's"), and before a lone ' that follows
 * an s (the plural possessive "players ' union" → "players' union"); "5 %" → "5%".
 * Other single quotes are left alone: WikiText does not tell a quotation from a possessive.
 */
export function detokenizeWikitextLine(line: string): string {
  let s = trimSpaces(line)
  s = wikitextHeading(s) ?? s
  s = s.replace(/ @([-,.])@ /g, '$1')
  s = attachDoubleQuotes(s)
  // (?<! ) starts each match at the first space of a run: one scan per run, never quadratic.
  s = s.replace(/(?<! ) +(?=[,.;:!?)\]])/g, '')
  s = s.replace(/([([]) +/g, '$1')
  s = s.replace(/(?<! ) +(?=n't\b|'(?:s|re|ve|ll|d|m)\b)/gi, '')
  s = s.replace(/(?<=s) '(?= |$)/g, "'")
  s = s.replace(/(?<=\d) %/g, '%')
  return s
}

/** detokenizeWikitextLine on every line of the text; line endings and blank lines are kept. */
export function detokenizeWikitext(text: string): string {
  return text.replace(/[^\r\n]+/g, detokenizeWikitextLine)
}

// --- typography --------------------------------------------------------------------------------

const typography: Record<string, string> = {
  // single quotes and primes
  '\u2018': "'", '\u2019': "'", '\u201A': "'", '\u201B': "'", '\u2032': "'", '\u2039': "'", '\u203A': "'",
  // double quotes, double primes and guillemets
  '\u201C': '"', '\u201D': '"', '\u201E': '"', '\u201F': '"', '\u2033': '"', '\u00AB': '"', '\u00BB': '"',
  // hyphens, figure and en dashes, minus; em dash and horizontal bar
  '\u2010': '-', '\u2011': '-', '\u2012': '-', '\u2013': '-', '\u2212': '-', '\u2014': '--', '\u2015': '--',
  '\u2026': '...',
  // no-break, figure, thin, hair, en/em... spaces (not the ideographic space, which CJK text needs)
  '\u00A0': ' ', '\u2000': ' ', '\u2001': ' ', '\u2002': ' ', '\u2003': ' ', '\u2004': ' ', '\u2005': ' ',
  '\u2006': ' ', '\u2007': ' ', '\u2008': ' ', '\u2009': ' ', '\u200A': ' ', '\u202F': ' ', '\u205F': ' ',
  // invisible: soft hyphen, zero-width space, word joiner, zero-width no-break space
  '\u00AD': '', '\u200B': '', '\u2060': '', '\uFEFF': '',
  // Latin ligatures from typeset sources
  '\uFB00': 'ff', '\uFB01': 'fi', '\uFB02': 'fl', '\uFB03': 'ffi', '\uFB04': 'ffl',
}
const typographyPattern = new RegExp(`[${Object.keys(typography).join('')}]`, 'g')

/**
 * Typographic punctuation as ASCII: curly quotes, primes and guillemets → ' or "; hyphens,
 * en dashes and the minus sign → "-"; em dashes → "--"; "…" → "..."; Unicode spaces → " ";
 * soft hyphens and zero-width characters removed; ﬀ ﬁ ﬂ ﬃ ﬄ spelled out. Nothing else changes.
 */
export function foldTypography(text: string): string {
  return text.replace(typographyPattern, (c) => typography[c])
}

// --- the whole recipe --------------------------------------------------------------------------

/**
 * A streaming cleaner. Steps, in this fixed order, on every line:
 *   1. lines split at CRLF, CR or LF; a byte-order mark at the start dropped;
 *   2. recipe.gutenberg: the Gutenberg header and footer cut off (see stripGutenberg);
 *   3. recipe.foldTypography: foldTypography (before WikiText, so curly quotes pair up too);
 *   4. recipe.wikitext: detokenizeWikitextLine;
 *   5. always: trailing whitespace dropped; blank lines at the start and the end dropped;
 *      runs of three or more blank lines cut to two (chapter breaks stay distinguishable from
 *      paragraph breaks); every line ends with "\n", so a non-empty result ends with one.
 * Chunks are strings: decode bytes with a streaming decoder (a stream's setEncoding('utf8')).
 */
export function createTextCleaner(recipe: CleaningRecipe = {}): TextCleaner {
  let out: string[] = []
  let firstLine = true
  let wroteLine = false
  let blankRun = 0
  const finalLine = (raw: string): void => {
    let line = recipe.foldTypography ? foldTypography(raw) : raw
    if (recipe.wikitext) line = detokenizeWikitextLine(line)
    line = line.trimEnd()
    if (line === '') {
      if (wroteLine) blankRun++
      return
    }
    if (blankRun > 0) out.push(blankRun >= 2 ? '\n\n' : '\n')
    blankRun = 0
    out.push(line, '\n')
    wroteLine = true
  }
  const stripper = recipe.gutenberg ? new GutenbergStripper(finalLine) : null
  const splitter = new LineSplitter()
  const sink: LineSink = (line) => {
    if (firstLine) {
      firstLine = false
      if (line.charCodeAt(0) === 0xfeff) line = line.slice(1)
    }
    if (stripper) stripper.line(line)
    else finalLine(line)
  }
  const take = (): string => {
    const text = out.join('')
    out = []
    return text
  }
  return {
    push(chunk) {
      splitter.push(chunk, sink)
      return take()
    },
    end() {
      splitter.end(sink)
      const report: CleaningReport = { warnings: [] }
      if (stripper) {
        stripper.finish()
        report.gutenberg = { start: stripper.start, end: stripper.end }
        report.warnings.push(...gutenbergWarnings(stripper.start, stripper.end))
      }
      return { text: take(), report }
    },
  }
}

/** The recipe applied to a whole string; the same steps as createTextCleaner. */
export function cleanText(text: string, recipe: CleaningRecipe = {}): CleanedText {
  const cleaner = createTextCleaner(recipe)
  const head = cleaner.push(text)
  const tail = cleaner.end()
  return { text: head + tail.text, report: tail.report }
}

/**
 * Line endings as LF, the byte-order mark dropped, trailing whitespace dropped, blank lines at
 * the start and the end dropped, runs of three or more blank lines cut to two, and a final "\n".
 */
export function normaliseLineEndings(text: string): string {
  return cleanText(text, {}).text
}
