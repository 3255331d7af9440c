import { chmodSync, mkdirSync, writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parseThrottled, SystemMetricsService } from '../../../../electron/services/system-metrics'
import { tempDir } from '../../../support/engine'

function thermalTree(zones: [string, string][]): string {
  const root = tempDir('mg-thermal-')
  zones.forEach(([type, temp], i) => {
    mkdirSync(join(root, `thermal_zone${i}`))
    writeFileSync(join(root, `thermal_zone${i}`, 'type'), `${type}\n`)
    writeFileSync(join(root, `thermal_zone${i}`, 'temp'), `${temp}\n`)
  })
  return root
}

function vcgencmd(output: string): string {
  const p = join(tempDir('mg-vcgencmd-'), 'vcgencmd')
  writeFileSync(p, `#!/bin/sh\n[ "$1" = get_throttled ] || exit 2\necho '${output}'\n`)
  chmodSync(p, 0o755)
  return p
}

describe('system metrics', () => {
  it('reads the flags of vcgencmd get_throttled', () => {
    expect(parseThrottled('throttled=0x0')).toEqual({ raw: '0x0', now: [], sinceBoot: [] })
    expect(parseThrottled('throttled=0x50005')).toEqual({ raw: '0x50005', now: ['under-voltage', 'throttled'], sinceBoot: ['under-voltage', 'throttled'] })
    expect(parseThrottled('throttled=0x80008')?.now).toEqual(['soft temperature limit'])
    expect(parseThrottled('error=1 error_msg="Command not registered"')).toBeNull()
  })

  it('reports load per core, memory, the CPU zone\'s temperature and a Pi\'s throttling from their sources', async () => {
    const m = new SystemMetricsService({
      thermalRoot: thermalTree([['acpitz', '27800'], ['cpu-thermal', '61350']]),
      vcgencmd: vcgencmd('throttled=0x20002'),
      engineMemory: async () => ({ pid: 42, rssBytes: 50e6, peakRssBytes: 60e6 }),
    })
    const end = Date.now() + 200
    while (Date.now() < end); // load a core between the samples
    const s = await m.sample()
    expect(s.cpuLoad).toHaveLength(cpus().length)
    for (const l of s.cpuLoad) expect(l).toBeGreaterThanOrEqual(0), expect(l).toBeLessThanOrEqual(1)
    expect(Math.max(...s.cpuLoad)).toBeGreaterThan(0.3)
    expect(s.memoryAvailableBytes).toBeGreaterThan(0)
    expect(s.memoryAvailableBytes).toBeLessThanOrEqual(s.memoryTotalBytes)
    expect(s.temperatureC).toBe(61.4)
    expect(s.throttling).toEqual({ raw: '0x20002', now: ['frequency capped'], sinceBoot: ['frequency capped'] })
    expect(s.engine).toEqual({ pid: 42, rssBytes: 50e6, peakRssBytes: 60e6 })
  })

  it('says "not available" (null) for what a machine lacks, and survives a failing engine', async () => {
    const m = new SystemMetricsService({
      thermalRoot: join(tempDir(), 'none'),
      vcgencmd: join(tempDir(), 'no-vcgencmd'),
      engineMemory: async () => {
        throw new Error('engine gone')
      },
    })
    const s = await m.sample()
    expect(s).toMatchObject({ temperatureC: null, throttling: null, engine: null })
    expect((await m.sample()).throttling).toBeNull() // and does not look for the tool again
    const broken = new SystemMetricsService({ thermalRoot: thermalTree([['cpu-thermal', 'garbage']]), vcgencmd: vcgencmd('nonsense') })
    expect(await broken.sample()).toMatchObject({ temperatureC: null, throttling: null })
  })
})
