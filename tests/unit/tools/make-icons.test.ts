// The committed icons are the source's: each build/icons/NxN.png (and build/icon.png) exists at its
// size with an alpha channel and matches a fresh render of build/icon.svg, so an edited drawing
// cannot ship with stale PNGs. Pixels are compared decoded, within 2 per channel, because another
// machine's libvips (the Pi's arm64 build) may round its scaling differently.
import { rmSync } from 'node:fs'
import { join, relative } from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { repoRoot, tempDir } from '../../support/engine'
// @ts-expect-error: a plain .mjs tool, without type declarations
import { iconSizes, renderIcons } from '../../../tools/make-icons.mjs'

const build = join(repoRoot, 'build')
const svg = join(build, 'icon.svg')
const regenerate = 'run `node tools/make-icons.mjs` and commit build/'
const tolerance = 2

const fresh = tempDir('mg-icons-')
let written: string[] = []
beforeAll(async () => {
  written = ((await renderIcons(svg, fresh)) as string[]).map((f) => relative(fresh, f))
})
afterAll(() => rmSync(fresh, { recursive: true, force: true }))

const committed: [string, number][] = [...(iconSizes as number[]).map((n): [string, number] => [join('icons', `${n}x${n}.png`), n]), ['icon.png', 512]]

async function decoded(file: string) {
  const { data, info } = await sharp(file).raw().toBuffer({ resolveWithObject: true })
  return { data, width: info.width, height: info.height, channels: info.channels }
}

/** The largest per-channel difference between two decoded images of the same shape. */
function maxAbsDiff(a: Buffer, b: Buffer): number {
  let max = 0
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]))
  return max
}

describe('make-icons', () => {
  it('writes every size, and the committed icons are a fresh render of build/icon.svg', async () => {
    expect([...written].sort()).toEqual(committed.map(([f]) => f).sort())

    for (const [file, n] of committed) {
      const path = join(build, file)
      const meta = await sharp(path).metadata().catch(() => {
        throw new Error(`build/${file} is missing or unreadable: ${regenerate}`)
      })
      expect({ width: meta.width, height: meta.height, hasAlpha: meta.hasAlpha }, `build/${file}: ${regenerate}`).toEqual({ width: n, height: n, hasAlpha: true })

      const [ours, theirs] = [await decoded(path), await decoded(join(fresh, file))]
      expect(ours.channels, `build/${file}: ${regenerate}`).toBe(theirs.channels)
      expect(maxAbsDiff(ours.data, theirs.data), `build/${file} differs from build/icon.svg: ${regenerate}`).toBeLessThanOrEqual(tolerance)
    }
  })

  it('draws something: the 512 tile is mostly opaque, with transparent corners and many colours', async () => {
    const { data, channels } = await decoded(join(fresh, 'icon.png'))
    expect(channels).toBe(4)
    let opaque = 0
    const colours = new Set<number>()
    for (let i = 0; i < data.length; i += 4) {
      if (data[i + 3] === 255) opaque++
      colours.add(data.readUInt32BE(i))
    }
    const pixels = data.length / 4
    expect(opaque / pixels).toBeGreaterThan(0.8)
    expect(data[3], 'the top-left corner is outside the rounded tile').toBe(0)
    expect(colours.size).toBeGreaterThan(100)
  })
})
