export declare const ELF_MACHINES: { arm64: { id: number; name: string }; x64: { id: number; name: string } }
export declare function elfArch(file: string): string
