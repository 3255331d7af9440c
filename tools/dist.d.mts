export declare const releaseCpuFlags: { x64: string; arm64: string }
export declare function stagedAddon(arch: string): string
export declare function stageAddon(arch: string, built: string): string
export declare function buildAddon(arch: string, cpuFlags?: string): string
