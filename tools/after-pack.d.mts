export declare function packedAddon(appOutDir: string): string
/** electron-builder's afterPack context, the part the hook reads (arch: electron-builder's Arch enum). */
export declare function afterPack(context: { appOutDir: string; arch: number }): Promise<void>
