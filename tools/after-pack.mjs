// electron-builder's afterPack hook (electron-builder.yml): the packed app's engine addon must be
// built for the package's architecture and need nothing newer than Bookworm's glibc and libstdc++,
// or the build stops here, before a .deb or an AppImage that would not load on the Pi is made.
import { Arch } from 'electron-builder'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { assertPackable } from './check-binary.mjs'

/** Where the packed addon is: unpacked beside the app's archive (asarUnpack). */
export const packedAddon = (appOutDir) => join(appOutDir, 'resources', 'app.asar.unpacked', 'native', 'microgpt.node')

export async function afterPack(context) {
  const arch = Arch[context.arch] ?? String(context.arch) // the context's arch is electron-builder's enum
  const addon = packedAddon(context.appOutDir)
  if (!existsSync(addon)) throw new Error(`the packed app has no engine addon at ${addon}: build it first (npm run dist:linux${arch === 'arm64' ? ':arm64' : ''})`)
  if (arch !== 'x64' && arch !== 'arm64') throw new Error(`no engine addon is made for ${arch}: package for x64 or arm64`)
  console.log(`  • engine addon checked  ${assertPackable(addon, arch)}`)
}
