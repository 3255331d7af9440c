// The built-in chat corpus: the same text for a seed, the size asked for, every turn in the
// engine's chat template (parsed back here, independently of the generator), correct sums, and
// the real engine reading its markers as special tokens.
import { spawnSync } from 'node:child_process'
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  CHAT_MARKERS, DEFAULT_CHAT_CORPUS_BYTES, chatCorpusChunks, formatConversation, generateChatCorpus,
} from '../../../../electron/services/chat-corpus'
import { repoRoot, tempDir } from '../../../support/engine'

const cli = join(repoRoot, 'native', 'out', 'microgpt')
// chat_prompt keeps max_seq_len - max_seq_len/4 tokens of prompt: 48 for the 64 of micro and 8gb
const promptBudget = 64 - 64 / 4
const defaultMaxTokens = 200 // the engine's --max_tokens default

interface Exchange { user: string; assistant: string }

/** Reads the text back as the engine's template: user, assistant, user, ... each closed by <|eot|>. */
function parse(text: string): Exchange[] {
  const parts = text.split(/(<\|user\|>|<\|assistant\|>|<\|eot\|>)/)
  expect(parts[0]).toBe('') // nothing before the first marker
  const out: Exchange[] = []
  // after the split: '', marker, body, marker, '', marker, body, marker, '', ...
  for (let i = 1; i < parts.length; i += 8) {
    const turn = parts.slice(i, i + 8)
    expect(turn.length, `a conversation ends mid-exchange at part ${i}`).toBeGreaterThanOrEqual(7)
    const [userMark, user, eot1, gap, assistantMark, assistant, eot2, after = ''] = turn
    expect([userMark, eot1, gap, assistantMark, eot2, after]).toEqual(
      ['<|user|>', '<|eot|>', '', '<|assistant|>', '<|eot|>', ''])
    expect(user.length * assistant.length, `an empty turn at part ${i}`).toBeGreaterThan(0)
    out.push({ user, assistant })
  }
  return out
}

/** Tokens the engine should make of the text: one per marker, one per character between them. */
function engineTokens(text: string): { tokens: number; chars: string[] } {
  const bodies = text.split(/<\|user\|>|<\|assistant\|>|<\|eot\|>/)
  const markers = bodies.length - 1
  const body = bodies.join('')
  return { tokens: markers + body.length, chars: [...new Set(body)].sort() }
}

describe('chat corpus', () => {
  it('is the same text for the same seed, and another text for another seed', () => {
    const a = generateChatCorpus({ seed: 7, bytes: 200_000 })
    expect(generateChatCorpus({ seed: 7, bytes: 200_000 })).toBe(a)
    expect([...chatCorpusChunks({ seed: 7, bytes: 200_000, chunkBytes: 1000 })].join('')).toBe(a)
    const b = generateChatCorpus({ seed: 8, bytes: 200_000 })
    expect(b).not.toBe(a)
    expect(b.slice(0, 2000)).not.toBe(a.slice(0, 2000))
    const starts = new Set([0, -1, 1, 2 ** 32, -(2 ** 32), Number.MAX_SAFE_INTEGER].map((seed) => generateChatCorpus({ seed, bytes: 2000 })))
    expect(starts.size).toBe(6)
    expect(generateChatCorpus({ seed: 7, bytes: 50_000 })).toBe(a.slice(0, generateChatCorpus({ seed: 7, bytes: 50_000 }).length))
  })

  it('holds whole conversations up to the size asked, a few MB by default', () => {
    const big = generateChatCorpus()
    expect(DEFAULT_CHAT_CORPUS_BYTES).toBeGreaterThanOrEqual(4 * 1024 * 1024)
    expect(big.length).toBeLessThanOrEqual(DEFAULT_CHAT_CORPUS_BYTES)
    expect(big.length).toBeGreaterThan(DEFAULT_CHAT_CORPUS_BYTES - 2000)
    expect(Buffer.byteLength(big)).toBe(big.length) // ASCII: bytes and characters agree
    expect(big.endsWith(CHAT_MARKERS.endOfTurn)).toBe(true)
    for (const bytes of [1000, 33_333]) {
      const small = generateChatCorpus({ seed: 3, bytes })
      expect(small.length).toBeLessThanOrEqual(bytes)
      expect(small.length).toBeGreaterThan(bytes - 2000)
      parse(small)
    }
    const chunks = [...chatCorpusChunks({ bytes: 300_000, chunkBytes: 50_000 })]
    expect(chunks.length).toBeGreaterThanOrEqual(5)
    for (const c of chunks.slice(0, -1)) expect(c.length).toBeGreaterThanOrEqual(50_000)
    expect(() => generateChatCorpus({ bytes: 0 })).toThrow(RangeError)
    expect(() => generateChatCorpus({ seed: 1.5 })).toThrow(RangeError)
    expect(() => [...chatCorpusChunks({ chunkBytes: -1 })]).toThrow(RangeError)
  })

  it('writes every turn in the chat template, short enough for the 64-character context', () => {
    const exchanges = parse(generateChatCorpus({ seed: 11, bytes: 1_000_000 }))
    expect(exchanges.length).toBeGreaterThan(8000)
    for (const { user, assistant } of exchanges) {
      for (const body of [user, assistant]) {
        expect(body).toMatch(/^[ -~]+$/) // printable ASCII, so the vocabulary stays small
        expect(body).not.toMatch(/[<>|]/) // no piece of a marker
        expect(body).toBe(body.trim())
      }
      // <|user|>text<|eot|><|assistant|> fits the prompt budget whole, so it is never cut
      expect(user.length + 3, user).toBeLessThanOrEqual(promptBudget)
      expect(assistant.length + 1, assistant).toBeLessThanOrEqual(defaultMaxTokens)
    }
    // the markers as native/src/tokenizer/tokenizer.cpp spells them
    expect(CHAT_MARKERS).toEqual({ user: '<|user|>', assistant: '<|assistant|>', endOfTurn: '<|eot|>' })
    expect(formatConversation([{ user: 'Hi', assistant: 'Hello!' }])).toBe('<|user|>Hi<|eot|><|assistant|>Hello!<|eot|>')
  })

  it('covers greetings, time of day, weather, colours, animals, sums and stories, with variety', () => {
    const exchanges = parse(generateChatCorpus({ seed: 5, bytes: 1_000_000 }))
    const replies = (user: RegExp): string[] => exchanges.filter((e) => user.test(e.user)).map((e) => e.assistant)
    const hello = replies(/^hello[.!]*$/i)
    expect(hello.length).toBeGreaterThan(300)
    // the exchange the original README shows is the most common answer to a hello
    expect(hello.filter((a) => a === 'Hello! How are you today?').length / hello.length).toBeGreaterThan(0.4)
    expect(replies(/^how are you\??$/i)).toContain("I'm doing well, thank you! How about you?")
    expect(replies(/^good morning!?$/i).length).toBeGreaterThan(20)
    expect(replies(/weather/i).length).toBeGreaterThan(100)
    expect(replies(/^what colou?r is the sky\??$/i)).toContain('The sky is blue.')
    expect(replies(/^what does a cow say\??$/i)).toContain('A cow says moo.')
    const stories = replies(/story/i)
    expect(stories.length).toBeGreaterThan(300)
    for (const s of stories) expect(s).toMatch(/^Once upon a time, there was an? \w+ (\w+)\. The \1 lived .+\. One day, the \1 .+\.$/)
    expect(new Set(stories).size).toBeGreaterThan(stories.length * 0.9)
    const aboutElephants = replies(/^(can you )?tell me a story about an? elephant/i)
    expect(aboutElephants.length).toBeGreaterThan(0)
    for (const s of aboutElephants) expect(s).toMatch(/^Once upon a time, there was an? \w+ elephant\./)
    expect(new Set(exchanges.map((e) => e.user + '|' + e.assistant)).size).toBeGreaterThan(3000)
  })

  it('answers every sum and count correctly', () => {
    const words = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten', 'eleven', 'twelve',
      'thirteen', 'fourteen', 'fifteen', 'sixteen', 'seventeen', 'eighteen', 'nineteen', 'twenty']
    const num = (s: string): number => (/^\d+$/.test(s) ? Number(s) : words.indexOf(s.toLowerCase()))
    const apply = (a: number, op: string, b: number): number =>
      op === 'plus' || op === '+' ? a + b : op === 'minus' || op === '-' ? a - b : a * b
    const n = '(\\d+|[a-z]+)'
    const question = new RegExp(`^(?:what is|what's|how much is|can you add) ${n} (plus|minus|times|and|[-+x]) ${n}\\??$`, 'i')
    const answer = new RegExp(`^(?:Sure! )?${n} (plus|minus|times|[-+x]) ${n} (?:is|=) ${n}\\.$`, 'i')
    let sums = 0
    let counts = 0
    for (const { user, assistant } of parse(generateChatCorpus({ seed: 9, bytes: 1_000_000 }))) {
      const q = question.exec(user)
      if (q) {
        const m = answer.exec(assistant)
        expect(m, `${user} -> ${assistant}`).not.toBeNull()
        const [, a, op, b, result] = m!
        expect([num(a), num(b)], `${user} -> ${assistant}`).toEqual([num(q[1]), num(q[3])])
        if (q[2] !== 'and') expect(op.toLowerCase()).toBe(q[2].toLowerCase())
        expect(num(result), `${user} -> ${assistant}`).toBe(apply(num(a), op.toLowerCase(), num(b)))
        expect(num(result)).toBeGreaterThanOrEqual(0)
        sums++
      }
      const c = /^count to (\w+)$/i.exec(user)
      if (c) {
        const upTo = num(c[1])
        expect(assistant.replace(/\.$/, '').split(', ').map(num)).toEqual(Array.from({ length: upTo }, (_, i) => i + 1))
        counts++
      }
    }
    expect(sums).toBeGreaterThan(500)
    expect(counts).toBeGreaterThan(50)
  })

  it('is read by the engine with its markers as special tokens, and chats with the trained model', () => {
    if (!existsSync(cli)) throw new Error(`${cli} is missing: run npm run build:native`)
    const dir = tempDir()
    const data = join(dir, 'chat.txt')
    const checkpoint = join(dir, 'chat.bin')
    const text = generateChatCorpus({ seed: 2, bytes: 300_000 })
    writeFileSync(data, text)
    const train = spawnSync(cli, ['--train', '--data', data, '--preset', 'micro', '--steps', '5', '--eval_interval', '0',
      '--threads', '2', '--save_checkpoint', checkpoint], { encoding: 'utf8', timeout: 60_000 })
    expect(train.status, train.stderr + train.stdout).toBe(0)
    const { tokens, chars } = engineTokens(text)
    // markers read as text would add '<', '|', '>' and every letter of the marker names
    const seen = /data: .*?, ([\d,]+) characters, vocabulary (\d+);/.exec(train.stdout)
    expect(seen, train.stdout).not.toBeNull()
    expect(Number(seen![1].replaceAll(',', ''))).toBe(tokens)
    expect(Number(seen![2])).toBe(3 + chars.length)
    expect(chars.length).toBeLessThan(80)
    expect(chars.join('')).not.toMatch(/[<|>]/)

    const info = spawnSync(cli, ['--info', '--checkpoint', checkpoint], { encoding: 'utf8' })
    expect(info.status, info.stderr).toBe(0)
    expect(info.stdout).toContain(`vocabulary: ${3 + chars.length} tokens (3 special + ${chars.length} characters): ${chars.join('')}\n`)

    const chat = spawnSync(cli, ['--chat', '--checkpoint', checkpoint, '--max_tokens', '20'],
      { input: 'Hello\nHow are you?\n', encoding: 'utf8', timeout: 30_000 })
    expect(chat.status, chat.stderr).toBe(0)
    expect(chat.stdout).not.toContain('error:')
    expect(chat.stderr.match(/stopped: (end_of_turn|max_tokens)/g)).toHaveLength(2)
  })
})
