// A transfer's speed for progress bars: bytes per second over windows of at least half a second,
// smoothed exponentially (time constant about 3 s) so that the shown speed and ETA move calmly
// instead of jumping with every chunk.
export class TransferRate {
  private lastBytes = -1
  private lastAt = 0
  private rate: number | null = null

  constructor(
    private readonly windowMs = 500,
    private readonly timeConstantMs = 3000,
  ) {}

  /** Records that `bytes` have arrived by `now` (ms); returns the smoothed rate, or null before the first window. */
  add(bytes: number, now = Date.now()): number | null {
    if (this.lastBytes < 0 || bytes < this.lastBytes) {
      // the first sample, or a transfer that started over: measure from here
      this.lastBytes = bytes
      this.lastAt = now
      return this.rate
    }
    const dt = now - this.lastAt
    if (dt < this.windowMs) return this.rate
    const instant = ((bytes - this.lastBytes) * 1000) / dt
    const alpha = 1 - Math.exp(-dt / this.timeConstantMs)
    this.rate = this.rate === null ? instant : this.rate + alpha * (instant - this.rate)
    this.lastBytes = bytes
    this.lastAt = now
    return this.rate
  }

  current(): number | null {
    return this.rate
  }
}
