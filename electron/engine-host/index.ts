// The engine process: runs the addon off the app's main process so the window never waits on
// training, and so a crash here (or an OOM kill) costs the run, not the app. Runs as an Electron
// utilityProcess in the app and as a Node child process in serve mode and tests.
import { statSync } from 'node:fs'
import { toErrorShape } from '../common/errors'
import type { HostMessage, HostMethod, HostMethods, HostRequest, HostTrainEvent } from '../common/engine-protocol'
import { loadAddon, type Addon, type AddonModel, type AddonTrainingJob } from './addon'
import { PieceBatcher } from './piece-batcher'
import { connectPort } from './port'

const port = connectPort()
const send = (m: HostMessage): void => port.send(m)

let addon: Addon | null = null
let loadError: unknown = null
try {
  addon = loadAddon(__dirname)
} catch (e) {
  loadError = e
}
function engine(): Addon {
  if (!addon) throw loadError
  return addon
}

const trainings = new Map<string, AddonTrainingJob>()
const generations = new Map<string, { cancel(): void; done: Promise<unknown> }>()
// Loaded models, keyed by path and reused while the file is unchanged (a running training
// replaces its checkpoint on every autosave).
const models = new Map<string, { mtimeMs: number; model: Promise<AddonModel> }>()
// Calibrations run on the libuv pool like training, so losing the parent waits for them too.
const calibrations = new Set<Promise<unknown>>()
// Evaluations too, keyed by their job id (or a private one); losing the parent cancels them.
const evaluations = new Map<string, { cancel(): void; done: Promise<unknown> }>()
let unnamedEvaluations = 0

function loadModel(path: string): Promise<AddonModel> {
  let mtimeMs: number
  try {
    mtimeMs = statSync(path).mtimeMs
  } catch {
    return engine().loadModel(path) // let the engine report the missing file in its words
  }
  const cached = models.get(path)
  if (cached && cached.mtimeMs === mtimeMs) return cached.model
  const model = engine().loadModel(path)
  models.set(path, { mtimeMs, model })
  model.catch(() => models.delete(path))
  return model
}

function job<T>(map: Map<string, T>, jobId: string): T {
  const j = map.get(jobId)
  if (!j) throw Object.assign(new Error(`no job ${jobId} is running`), { code: 'NOT_FOUND' })
  return j
}

const handlers: { [M in HostMethod]: (params: HostMethods[M][0]) => HostMethods[M][1] | Promise<HostMethods[M][1]> } = {
  'engine.info': () => ({ ...engine().buildInfo(), pid: process.pid }),
  'engine.presets': () => engine().presets(),
  'engine.countParams': (p) => engine().countParams(p),
  'engine.fieldSpecs': () => engine().fieldSpecs(),
  'engine.planMemory': (p) => engine().planMemory(p),
  'engine.calibrate': (p) => {
    const c = engine().calibrate(p)
    calibrations.add(c)
    c.finally(() => calibrations.delete(c)).catch(() => {})
    return c
  },
  // maxRSS is this process's peak resident set (VmHWM), in KiB on Linux
  'engine.memory': () => ({ pid: process.pid, rssBytes: process.memoryUsage.rss(), peakRssBytes: process.resourceUsage().maxRSS * 1024 }),
  'train.start': (p) => {
    const { jobId, ...request } = p
    const emit = (event: HostTrainEvent): void => send({ kind: 'train', jobId, event })
    const training = new (engine().TrainingJob)(request, (e) => emit(e as unknown as HostTrainEvent))
    trainings.set(jobId, training)
    training.done.then(
      (r) => emit({ type: r.status, step: r.step, steps: r.steps, checkpointPath: r.checkpointPath, valLoss: r.valLoss }),
      (e) => emit({ type: 'failed', error: toErrorShape(e) }),
    )
    training.done.finally(() => trainings.delete(jobId)).catch(() => {})
  },
  'train.pause': (p) => job(trainings, p.jobId).pause(),
  'train.resume': (p) => job(trainings, p.jobId).resume(),
  'train.stop': (p) => job(trainings, p.jobId).stop(),
  'model.info': async (p) => (await loadModel(p.checkpointPath)).info(),
  'model.evaluate': (p) => {
    const { jobId = `unnamed ${++unnamedEvaluations}`, ...request } = p
    if (evaluations.has(jobId)) throw Object.assign(new Error(`evaluation ${jobId} is already running`), { code: 'BUSY' })
    const e = engine().evaluate(request)
    evaluations.set(jobId, e)
    e.done.finally(() => evaluations.delete(jobId)).catch(() => {})
    return e.done
  },
  'evaluate.cancel': (p) => job(evaluations, p.jobId).cancel(),
  'generate.start': async (p) => {
    const { jobId, checkpointPath, ...request } = p
    const model = await loadModel(checkpointPath)
    const pieces = new PieceBatcher((text, passes) => send({ kind: 'generate', jobId, event: { type: 'token', text, passes } }))
    const g = model.generate(request, (text, passes) => pieces.push(text, passes))
    generations.set(jobId, g)
    g.done.then(
      (result) => {
        pieces.flush()
        send({ kind: 'generate', jobId, event: { type: 'done', result } })
      },
      (e) => {
        pieces.flush()
        send({ kind: 'generate', jobId, event: { type: 'error', error: toErrorShape(e) } })
      },
    )
    g.done.finally(() => generations.delete(jobId)).catch(() => {})
  },
  'generate.cancel': (p) => job(generations, p.jobId).cancel(),
}

port.onMessage(async (raw) => {
  const req = raw as HostRequest
  if (!req || typeof req.id !== 'number' || !(req.method in handlers)) return
  try {
    const handler = handlers[req.method] as (params: unknown) => unknown
    const value = await handler(req.params)
    send({ kind: 'response', id: req.id, ok: true, value })
  } catch (e) {
    // TypeError / RangeError from the addon are the caller's mistake, not the engine's
    const shape = toErrorShape(e)
    if (e instanceof TypeError || e instanceof RangeError) shape.code = 'BAD_REQUEST'
    send({ kind: 'response', id: req.id, ok: false, error: shape })
  }
})
// The parent is gone: stop every job (a training saves its checkpoint on the way out, under its
// lock, into a temp file renamed into place, so the file is whole whenever this process ends),
// give them a moment, then end. process.exit cannot end a process whose training still runs on
// the libuv pool, so a job that is slow to stop is cut off with SIGKILL: the checkpoint then
// stays at its last autosave, and its stale temp file is removed by the next writer.
const parentLossGraceMs = 1500
port.onParentGone(() => {
  for (const t of trainings.values()) t.stop()
  for (const g of generations.values()) g.cancel()
  for (const e of evaluations.values()) e.cancel()
  const running = [...trainings.values(), ...generations.values(), ...evaluations.values()].map((j) => j.done.catch(() => {}))
  for (const c of calibrations) running.push(c.catch(() => {}))
  const grace = new Promise<'late'>((resolve) => setTimeout(() => resolve('late'), parentLossGraceMs))
  void Promise.race([Promise.all(running), grace]).then((r) => {
    if (r === 'late') process.kill(process.pid, 'SIGKILL')
    else process.exit(0)
  })
})
send({ kind: 'ready', pid: process.pid })
