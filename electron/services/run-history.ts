// A training run's history: every step's point and every sample, one JSON object a line in
// runs/<runId>.history.ndjson, so the charts redraw after a restart.
//   - Lines are appended in batches: at most a second after they arrive, and at once (fsynced)
//     on every save, pause, stop, finish or failure, so the file always covers the checkpoint.
//   - An append that fails is cut back to the file's previous end and retried with the next one;
//     until then its lines stay in memory and read() still returns them.
//   - A crash mid-append leaves a torn last line: read() ignores it, and the next session of the
//     run rewrites the file without it (temp file + rename) before appending.
//   - A session that starts from step N drops the lines after N: the run continues from its
//     checkpoint, and the series must agree with it.
// Operations on one file run one after another, in the order they were asked for.
import { open, readFile, unlink } from 'node:fs/promises'
import { ApiError } from '../common/errors'
import type { HistoryPoint, TrainingSample } from '../common/types'
import { fileError, writeFileAtomic } from './atomic-file'

type Line = ({ type: 'point' } & HistoryPoint) | ({ type: 'sample' } & TrainingSample)

export interface HistoryContents {
  points: HistoryPoint[]
  samples: TrainingSample[]
}

const flushAfterMs = 1000

export class RunHistoryLog {
  private pending: string[] = []
  private timer: NodeJS.Timeout | null = null
  private tail: Promise<unknown> = Promise.resolve()
  private removed = false

  constructor(
    readonly path: string,
    private readonly what: string, // 'the history of run <name>', for errors
  ) {}

  addPoint(p: HistoryPoint): void {
    this.add({ type: 'point', ...p })
  }

  addSample(s: TrainingSample): void {
    this.add({ type: 'sample', ...s })
  }

  /** Writes what is pending now; `durable` fsyncs it too. Never rejects: a failure is retried later. */
  flush(durable = false): Promise<void> {
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    return this.queue(() => this.append(durable)).then(
      () => {},
      () => this.schedule(), // the lines are back in pending: try again in a second
    )
  }

  /**
   * Drops every line after `step` (a session starting from that step's checkpoint) and a torn
   * last line, rewriting the file only when something goes. Returns the elapsed seconds of the
   * last point at or before `step`, or null when there is none.
   */
  keepUpTo(step: number): Promise<number | null> {
    return this.queue(async () => {
      const text = await this.readText()
      if (text === null) return null
      const { lines, torn } = parseLines(text, this.what, true)
      const kept = lines.filter((l) => l.step <= step)
      if (kept.length !== lines.length || torn)
        await writeFileAtomic(this.path, kept.map((l) => JSON.stringify(l) + '\n').join(''), this.what)
      const last = kept.filter((l) => l.type === 'point').at(-1)
      return last && last.type === 'point' ? last.elapsedSeconds : null
    })
  }

  /** Everything, the lines not yet written included. A torn last line is ignored. */
  read(): Promise<HistoryContents> {
    return this.queue(async () => {
      const text = (await this.readText()) ?? ''
      const lines = parseLines(text, this.what, false).lines.concat(parseLines(this.pending.join(''), this.what, false).lines)
      const out: HistoryContents = { points: [], samples: [] }
      for (const l of lines) {
        if (l.type === 'point') {
          const { type: _t, ...p } = l
          out.points.push(p)
        } else {
          const { type: _t, ...s } = l
          out.samples.push(s)
        }
      }
      return out
    })
  }

  /** Deletes the file; lines still pending are dropped and later ones ignored. */
  remove(): Promise<void> {
    this.removed = true
    this.pending = []
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    return this.queue(async () => {
      await unlink(this.path).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== 'ENOENT') throw fileError(e, this.what)
      })
    })
  }

  private add(line: Line): void {
    if (this.removed) return
    this.pending.push(JSON.stringify(line) + '\n')
    this.schedule()
  }

  private schedule(): void {
    if (this.timer || !this.pending.length || this.removed) return
    this.timer = setTimeout(() => {
      this.timer = null
      void this.flush()
    }, flushAfterMs)
    this.timer.unref?.()
  }

  private queue<T>(op: () => Promise<T>): Promise<T> {
    const next = this.tail.catch(() => {}).then(op)
    this.tail = next
    return next
  }

  private async append(durable: boolean): Promise<void> {
    if (!this.pending.length || this.removed) return
    const lines = this.pending
    this.pending = []
    let fh
    try {
      fh = await open(this.path, 'a+')
    } catch (e) {
      this.pending = lines.concat(this.pending)
      throw fileError(e, this.what)
    }
    const size = (await fh.stat().catch(() => null))?.size
    try {
      // after a torn line that no session start has cut off yet, begin on a line of our own
      let text = lines.join('')
      if (size) {
        const last = Buffer.alloc(1)
        await fh.read(last, 0, 1, size - 1)
        if (last[0] !== 0x0a) text = '\n' + text
      }
      await fh.writeFile(text)
      if (durable) await fh.sync()
    } catch (e) {
      // a part written (a full disk) would be a torn line in the middle: cut it off, keep the lines
      if (size !== undefined) await fh.truncate(size).catch(() => {})
      this.pending = lines.concat(this.pending)
      throw fileError(e, this.what)
    } finally {
      await fh.close().catch(() => {})
    }
  }

  private async readText(): Promise<string | null> {
    try {
      return await readFile(this.path, 'utf8')
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null
      throw new ApiError('IO', `cannot read ${this.what}: ${(e as Error).message}`)
    }
  }
}

/**
 * The file's lines. The last one may be torn (a crash mid-append): it is left out and reported.
 * A damaged line anywhere else is an error, unless `lenient` (the rewrite at a session's start,
 * which keeps what it can read).
 */
function parseLines(text: string, what: string, lenient: boolean): { lines: Line[]; torn: boolean } {
  const raw = text.split('\n')
  const complete = raw.pop() === '' // text ends with a newline: the last element is empty
  const lines: Line[] = []
  let torn = !complete
  for (let i = 0; i < raw.length; i++) {
    const line = parseLine(raw[i])
    if (line) lines.push(line)
    else if (lenient) torn = true
    else throw new ApiError('CORRUPT', `${what} is damaged at line ${i + 1}`, 'remove the run to start its history afresh')
  }
  return { lines, torn }
}

function parseLine(s: string): Line | null {
  let v: unknown
  try {
    v = JSON.parse(s)
  } catch {
    return null
  }
  if (!v || typeof v !== 'object') return null
  const l = v as Line
  if (!Number.isInteger(l.step)) return null
  if (l.type === 'point' && typeof l.trainLoss === 'number' && typeof l.elapsedSeconds === 'number') return l
  if (l.type === 'sample' && typeof l.text === 'string') return l
  return null
}
