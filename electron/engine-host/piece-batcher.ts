// Streamed text goes to the app in batches: the first piece at once (time to first token is not
// delayed), then at most one message per interval with everything written since. A small model
// writes thousands of characters a second; a message for each would flood the two hops to the
// window (engine host, then main or serve, then the renderer), and a stop would wait behind the
// backlog. flush() before the generation's result, so the text is whole when it ends.
export class PieceBatcher {
  private text = ''
  private passes: number[] = []
  private timer: ReturnType<typeof setTimeout> | null = null
  private last = -Infinity

  constructor(
    private readonly send: (text: string, passes: number[]) => void,
    private readonly intervalMs = 50,
  ) {}

  push(text: string, passes: readonly number[]): void {
    this.text += text
    for (const p of passes) this.passes.push(p)
    if (this.timer) return
    const wait = this.last + this.intervalMs - Date.now()
    if (wait <= 0) this.flush()
    else this.timer = setTimeout(() => this.flush(), wait)
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    if (!this.text) return
    const text = this.text
    const passes = this.passes
    this.text = ''
    this.passes = []
    this.last = Date.now()
    this.send(text, passes)
  }
}
