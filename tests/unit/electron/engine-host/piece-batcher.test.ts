// Streamed pieces in batches: the first at once, then at most one message per interval holding
// everything since, in order, with one entry of passes per code point; flush() sends the rest.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { PieceBatcher } from '../../../../electron/engine-host/piece-batcher'

describe('PieceBatcher', () => {
  beforeEach(() => vi.useFakeTimers())
  afterEach(() => vi.useRealTimers())

  it('sends the first piece at once and then one batch per interval, nothing lost or reordered', () => {
    const sent: [string, number[]][] = []
    const b = new PieceBatcher((t, p) => sent.push([t, p]), 50)
    b.push('H', [2])
    expect(sent).toEqual([['H', [2]]]) // the first token is not delayed
    b.push('e', [1])
    b.push('llo', [1, 2, 3])
    expect(sent).toHaveLength(1)
    vi.advanceTimersByTime(49)
    expect(sent).toHaveLength(1)
    vi.advanceTimersByTime(1)
    expect(sent).toEqual([['H', [2]], ['ello', [1, 1, 2, 3]]])
    vi.advanceTimersByTime(200) // quiet: nothing to send
    expect(sent).toHaveLength(2)
    b.push(' 😀', [4, 4]) // after a pause, at once again
    expect(sent.at(-1)).toEqual([' 😀', [4, 4]])
  })

  it('flushes what is waiting before the result, and sends nothing empty', () => {
    const sent: string[] = []
    const b = new PieceBatcher((t) => sent.push(t), 50)
    b.flush()
    b.push('a', [1])
    b.push('b', [1])
    b.flush()
    expect(sent).toEqual(['a', 'b'])
    vi.advanceTimersByTime(100)
    expect(sent).toEqual(['a', 'b']) // the timer went with the flush
  })
})
