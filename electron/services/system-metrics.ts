// Live facts of the machine for the Train window's system panel: load per core, memory, the
// engine process's RAM, the CPU temperature and, on a Raspberry Pi, its throttling flags. Each
// source that this machine lacks is reported as null ("not available"), never guessed.
import { execFile } from 'node:child_process'
import { readdir, readFile } from 'node:fs/promises'
import { cpus, freemem, totalmem } from 'node:os'
import { join } from 'node:path'
import type { SystemMetrics, ThrottleState } from '../common/types'

export interface MetricsSources {
  thermalRoot?: string // /sys/class/thermal
  vcgencmd?: string // the Pi firmware's tool; looked up on PATH
  engineMemory?: () => Promise<{ pid: number; rssBytes: number; peakRssBytes: number } | null>
}

// vcgencmd get_throttled: bits 0-3 say what holds now, bits 16-19 what happened since boot.
const throttleBits: [number, string][] = [
  [0, 'under-voltage'],
  [1, 'frequency capped'],
  [2, 'throttled'],
  [3, 'soft temperature limit'],
]

/** The flags of `throttled=0x…`, or null when the text is not that. */
export function parseThrottled(text: string): ThrottleState | null {
  const m = /throttled=(0x[0-9a-f]+)/i.exec(text)
  if (!m) return null
  const v = Number.parseInt(m[1], 16)
  return {
    raw: m[1],
    now: throttleBits.filter(([b]) => v & (1 << b)).map(([, name]) => name),
    sinceBoot: throttleBits.filter(([b]) => v & (1 << (b + 16))).map(([, name]) => name),
  }
}

type CpuTimes = { idle: number; total: number }[]
function cpuTimes(): CpuTimes {
  return cpus().map((c) => {
    const t = c.times
    return { idle: t.idle, total: t.user + t.nice + t.sys + t.irq + t.idle }
  })
}

export class SystemMetricsService {
  private last: CpuTimes = cpuTimes()
  private vcgencmdMissing = false
  private readonly thermalRoot: string
  private readonly vcgencmd: string

  constructor(private readonly sources: MetricsSources = {}) {
    this.thermalRoot = sources.thermalRoot ?? '/sys/class/thermal'
    this.vcgencmd = sources.vcgencmd ?? 'vcgencmd'
  }

  async sample(): Promise<SystemMetrics> {
    const now = cpuTimes()
    // a core's load since the previous sample; a core that appeared since counts from boot
    const cpuLoad = now.map((c, i) => {
      const before = this.last[i] ?? { idle: 0, total: 0 }
      const total = c.total - before.total
      return total > 0 ? Math.min(1, Math.max(0, 1 - (c.idle - before.idle) / total)) : 0
    })
    this.last = now
    const [engine, temperatureC, throttling] = await Promise.all([
      this.sources.engineMemory ? this.sources.engineMemory().catch(() => null) : Promise.resolve(null),
      this.temperature(),
      this.throttling(),
    ])
    return { at: Date.now(), cpuLoad, memoryTotalBytes: totalmem(), memoryAvailableBytes: freemem(), engine, temperatureC, throttling }
  }

  // The CPU's thermal zone (a Pi's is "cpu-thermal"; x86 ones say x86_pkg_temp), else the first.
  private async temperature(): Promise<number | null> {
    let zones: string[]
    try {
      zones = (await readdir(this.thermalRoot)).filter((n) => n.startsWith('thermal_zone')).sort()
    } catch {
      return null
    }
    const read = async (zone: string): Promise<{ type: string; celsius: number } | null> => {
      try {
        const [type, temp] = await Promise.all([
          readFile(join(this.thermalRoot, zone, 'type'), 'utf8'),
          readFile(join(this.thermalRoot, zone, 'temp'), 'utf8'),
        ])
        const milli = Number(temp.trim())
        return Number.isFinite(milli) ? { type: type.trim(), celsius: milli / 1000 } : null
      } catch {
        return null
      }
    }
    const found = (await Promise.all(zones.map(read))).filter((z): z is { type: string; celsius: number } => z !== null)
    const cpu = found.find((z) => /cpu|x86_pkg|soc|core/i.test(z.type)) ?? found[0]
    return cpu ? Math.round(cpu.celsius * 10) / 10 : null
  }

  private throttling(): Promise<ThrottleState | null> {
    if (this.vcgencmdMissing) return Promise.resolve(null)
    return new Promise((resolve) => {
      execFile(this.vcgencmd, ['get_throttled'], { timeout: 1000 }, (err, stdout) => {
        if (err) {
          // not a Pi (no such tool): stop asking; a Pi whose call failed once is asked again
          if ((err as NodeJS.ErrnoException).code === 'ENOENT') this.vcgencmdMissing = true
          resolve(null)
          return
        }
        resolve(parseThrottled(stdout))
      })
    })
  }
}
