// The engine addon as the engine process sees it: its types, and where to find the .node file.
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { basename, join } from 'node:path'
import { elfArch } from './elf.mjs'
import type { HostEvalResult, HostEvaluateParams, HostFieldSpec, HostMemoryPlan, HostMethods, HostModelInfo, HostTrainParams } from '../common/engine-protocol'
import type { EngineInfo, GenerationResult, ModelShape, SamplingSettings } from '../common/types'

/** What TrainingJob takes: the engine-process request without its job id (saving is optional). */
export type AddonTrainRequest = Omit<HostTrainParams, 'jobId' | 'checkpointPath'> & { checkpointPath?: string }

export interface AddonTrainResult {
  status: 'finished' | 'stopped'
  step: number
  steps: number
  checkpointPath: string | null
  valLoss: number | null
}

export interface AddonTrainingJob {
  readonly done: Promise<AddonTrainResult>
  pause(): void
  resume(): void
  stop(): void
}

export interface AddonModel {
  info(): HostModelInfo
  generate(
    request: SamplingSettings & { prompt?: string; history?: { role: string; text: string }[]; threads?: number },
    onText: (piece: string, passes: number[]) => void, // passes: one per code point of piece
  ): { done: Promise<GenerationResult>; cancel(): void } // a chat reply's result has trimmedTurns
}

export interface Addon {
  version(): string
  buildInfo(): Omit<EngineInfo, 'pid'>
  presets(): { name: string; model: ModelShape & { vocabSize: number }; train: { lr: number } }[]
  countParams(config: Partial<ModelShape> & { preset?: string; vocabSize: number }): number
  fieldSpecs(): { model: HostFieldSpec[]; train: HostFieldSpec[]; sampling: HostFieldSpec[] }
  planMemory(request: HostMethods['engine.planMemory'][0]): HostMemoryPlan
  calibrate(request: HostMethods['engine.calibrate'][0]): Promise<HostMethods['engine.calibrate'][1]>
  /** Runs on the libuv pool; cancel() makes done reject with code CANCELLED. */
  evaluate(request: HostEvaluateParams): { done: Promise<HostEvalResult>; cancel(): void }
  TrainingJob: new (request: AddonTrainRequest, onEvent: (event: Record<string, unknown> & { type: string }) => void) => AddonTrainingJob
  loadModel(path: string): Promise<AddonModel>
}

/**
 * Candidate locations, first match wins: an explicit override, the packaged app, the source tree.
 * hostDir is out/main inside the app: in the packaged app that is inside resources/app.asar, and
 * the addon is beside the archive in app.asar.unpacked (electron-builder.yml's asarUnpack).
 */
export function addonCandidates(hostDir: string): string[] {
  const appRoot = join(hostDir, '..', '..')
  const list: string[] = []
  if (process.env.MICROGPT_ADDON) list.push(process.env.MICROGPT_ADDON)
  if (basename(appRoot) === 'app.asar') list.push(join(`${appRoot}.unpacked`, 'native', 'microgpt.node'))
  list.push(join(appRoot, 'native', 'out', 'Release', 'microgpt.node'))
  return list
}

export function loadAddon(hostDir: string): Addon {
  const candidates = addonCandidates(hostDir)
  const found = candidates.find((p) => existsSync(p))
  if (!found)
    throw Object.assign(new Error(`the engine addon (microgpt.node) was not found; looked in: ${candidates.join(', ')}`), {
      code: 'ENGINE_MISSING',
      hint: 'run `npm install` (or `npm run build:native`) to build it',
    })
  try {
    return createRequire(__filename)(found) as Addon
  } catch (e) {
    throw Object.assign(new Error(`the engine addon (${found}) cannot be loaded: ${(e as Error).message}`), loadFailure(found, e as Error))
  }
}

/**
 * Why the addon would not load, and what fixes it. The loader's own words are unhelpful for the
 * commonest case: for a binary of another architecture glibc says the file itself "cannot be
 * opened", so the header is read to say so.
 */
export function loadFailure(file: string, e: Error, arch: string = process.arch): { code: string; hint: string } {
  const code = 'ENGINE_LOAD_FAILED'
  let built: string | null = null
  try {
    built = elfArch(file)
  } catch {
    return { code, hint: 'the file is damaged or not an engine addon: reinstall the app, or rebuild it from source with `npm run build:native`' }
  }
  if (built !== arch)
    return { code, hint: `it is built for ${built}, but this machine is ${arch}: install the app's ${arch} package instead, or rebuild it here with \`npm run build:native\`` }
  const missing = /([\w.+-]+\.so[\w.]*): cannot open shared object file/.exec(e.message)?.[1]
  if (missing?.startsWith('libgomp')) return { code, hint: `the OpenMP runtime (${missing}) is not installed: \`sudo apt install libgomp1\`, then start the app again` }
  if (missing) return { code, hint: `a library it needs (${missing}) is not installed: install the package that provides it (\`apt-file search ${missing}\`), then start the app again` }
  if (/GLIBC(XX)?_[\d.]+' not found/.test(e.message))
    return { code, hint: 'it was built for a newer system than this one (its glibc or libstdc++ is older): install the package for Raspberry Pi OS Bookworm, or rebuild it here with `npm run build:native`' }
  return { code, hint: 'reinstall the app, or rebuild the engine with `npm run build:native`' }
}
