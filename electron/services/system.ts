// Facts about the machine, for the model picker and the About page.
import { cpus, freemem, totalmem } from 'node:os'
import type { SystemInfo } from '../common/types'

export function systemInfo(dataDir: string, appVersion: string, transport: SystemInfo['transport']): SystemInfo {
  const cpu = cpus()
  return {
    platform: process.platform,
    arch: process.arch,
    cpuModel: cpu[0]?.model?.trim() || 'unknown',
    cpuCores: cpu.length,
    totalMemoryBytes: totalmem(),
    freeMemoryBytes: freemem(),
    dataDir,
    appVersion,
    nodeVersion: process.versions.node,
    transport,
  }
}
