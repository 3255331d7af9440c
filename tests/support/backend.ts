// Test support: the whole back end with the real engine process (a Node child) on a data folder,
// every event it emits kept per channel in the order it came; and a tiny run trained to its end.
import type { GenerationEvent, PassesQualityProgress, RunInfo, TrainingEvent } from '../../electron/common/types'
import { createBackend, type Backend, type BackendOptions } from '../../electron/services/backend'
import { forkEngine } from '../../electron/services/node-engine'
import { catalogFile, hostScript, tinyModel, tinyTrain, waitFor } from './engine'

export interface BackendEvents {
  training: TrainingEvent[]
  generation: GenerationEvent[]
  evaluation: PassesQualityProgress[]
}

export const backendEvents = (): BackendEvents => ({ training: [], generation: [], evaluation: [] })

/** A back end on `dataRoot` whose events land in `events` (shared across restarts of a test). */
export async function realBackend(dataRoot: string, events: BackendEvents, o: Partial<BackendOptions> = {}): Promise<Backend> {
  const b = await createBackend({ dataRoot, catalogFile, spawnEngine: () => forkEngine(hostScript), appVersion: 'test', transport: 'websocket', ...o })
  b.events.subscribe((channel, data) => {
    if (channel === 'training.onEvent') events.training.push(data as TrainingEvent)
    if (channel === 'generation.onEvent') events.generation.push(data as GenerationEvent)
    if (channel === 'checkpoints.onEvaluation') events.evaluation.push(data as PassesQualityProgress)
  })
  return b
}

/** The tiny model trained `steps` steps on a dataset, once it has finished. */
export async function trainedRun(backend: Backend, events: BackendEvents, datasetId: string, steps = 8, name?: string): Promise<RunInfo> {
  const run = await backend.handlers.training.start({ datasetId, ...(name ? { name } : {}), model: tinyModel, train: { ...tinyTrain, steps } })
  const done = await waitFor(
    () => events.training.find((e) => e.runId === run.runId && e.type === 'finished'),
    `run ${name ?? run.runId}`,
  )
  return done.type === 'finished' ? done.run : run
}

/** The end (done or error) of a generation or a chat reply. */
export const generationEnd = (events: BackendEvents, generationId: string) =>
  waitFor(() => events.generation.find((g) => g.generationId === generationId && g.type !== 'token'), `generation ${generationId}`)
