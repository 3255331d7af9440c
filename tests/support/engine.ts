// Test support: the built engine host, a generated corpus, and waiting for events.
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

export const repoRoot = resolve(__dirname, '..', '..')
export const hostScript = join(repoRoot, 'out', 'main', 'engine-host.js')
export const catalogFile = join(repoRoot, 'data', 'catalog.json')

export function requireBuild(): void {
  if (!existsSync(hostScript)) throw new Error(`${hostScript} is missing: run \`npm run build\` first (npm test does)`)
}

export function tempDir(prefix = 'mg-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix))
}

/** A small English-like text (deterministic), enough for the engine's minimum window counts. */
export function corpus(chars = 30_000): string {
  const words = ['the', 'a', 'pi', 'model', 'learns', 'small', 'text', 'from', 'data', 'and', 'runs', 'on', 'cpu']
  let seed = 7
  const next = (): number => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648
  let s = ''
  let i = 0
  while (s.length < chars) s += words[Math.floor(next() * words.length)] + (++i % 11 === 0 ? '.\n' : ' ')
  return s
}

export function writeCorpus(dir: string, chars?: number): string {
  const p = join(dir, 'corpus.txt')
  writeFileSync(p, corpus(chars))
  return p
}

export async function waitFor<T>(probe: () => T | undefined | false | null, what: string, timeoutMs = 30_000): Promise<T> {
  const start = Date.now()
  for (;;) {
    const v = probe()
    if (v) return v
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

/**
 * Micro-sized training settings that finish in a second or two on this machine. Recursion on
 * (the presets are plain GPTs), so the tests reach passes, adaptive depth and their caches.
 */
export const tinyModel = { preset: 'micro', embedDim: 32, numHeads: 2, hiddenDim: 64, maxSeqLen: 32, maxPasses: 4 }
export const tinyTrain = { batchSize: 4, evalInterval: 10, evalBatches: 2 }
