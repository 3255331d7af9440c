export interface GlibcLimits { glibc: string; glibcxx: string }
export declare const BOOKWORM: GlibcLimits
export declare function checkBinary(file: string, arch: string, limits?: GlibcLimits): { machine: string; need: { GLIBC: string; GLIBCXX: string } | null; problems: string[] }
export declare function assertPackable(file: string, arch: string, limits?: GlibcLimits): string
