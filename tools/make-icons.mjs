// Renders the app icon's one source, build/icon.svg, into the PNGs the packager reads:
// build/icons/<N>x<N>.png (electron-builder takes a Linux icon folder of NxN.png files) and
// build/icon.png (512, for the window and the other targets). The SVG is rasterised once, at a
// fixed density four times its 512-unit viewBox, and each size is scaled down from that, so the
// output does not depend on the library's default density and small sizes are smoothed, not aliased.
// Usage: node tools/make-icons.mjs   (regenerates the committed files; npm run icons)
import { mkdirSync, renameSync, writeFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import sharp from 'sharp'

export const iconSizes = [16, 32, 48, 64, 128, 256, 512]
const viewBox = 512
const supersample = 4
const density = 72 * supersample // SVG user units are px at 72 dpi: this renders 2048 × 2048

// Written beside the target and renamed over it, so a failed run never leaves a half-written icon.
function writeAtomically(file, data) {
  const tmp = `${file}.${process.pid}.tmp`
  writeFileSync(tmp, data)
  renameSync(tmp, file)
}

/** Renders svgPath into outDir/icons/<N>x<N>.png for each of iconSizes and outDir/icon.png; returns the files written. */
export async function renderIcons(svgPath, outDir) {
  const master = await sharp(svgPath, { density }).ensureAlpha().png().toBuffer()
  const { width, height } = await sharp(master).metadata()
  if (width !== viewBox * supersample || height !== viewBox * supersample) {
    throw new Error(`${svgPath} rendered as ${width}x${height}, not ${viewBox * supersample}: its viewBox must be 0 0 ${viewBox} ${viewBox} with no width/height`)
  }
  mkdirSync(join(outDir, 'icons'), { recursive: true })
  const written = []
  for (const n of iconSizes) {
    const png = await sharp(master).resize(n, n).png().toBuffer()
    const targets = [join(outDir, 'icons', `${n}x${n}.png`), ...(n === 512 ? [join(outDir, 'icon.png')] : [])]
    for (const file of targets) {
      writeAtomically(file, png)
      written.push(file)
    }
  }
  return written
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
  const build = join(root, 'build')
  const files = await renderIcons(join(build, 'icon.svg'), build)
  for (const f of files) console.log(`wrote ${relative(root, f)}`)
}
