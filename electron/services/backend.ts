// The back end: every service, built once, behind the contract's handlers and one event bus.
// The Electron main process and serve mode each create one and wire it to their transport.
import type { Readable } from 'node:stream'
import type { Handlers } from '../common/contract'
import type { DatasetEntry } from '../common/types'
import { ChatsService } from './chats'
import { CheckpointsService } from './checkpoints'
import { readCatalog } from './catalog'
import { DatasetsService, type DatasetsOptions, type Pickers } from './datasets'
import { EngineClient, type SpawnEngine } from './engine-client'
import { EventBus } from './event-bus'
import { GenerationService } from './generation'
import { ModelsService } from './models'
import { lockDataFolder, type DataLock } from './data-lock'
import { dataPaths, type DataPaths } from './paths'
import { SettingsService } from './settings'
import { systemInfo } from './system'
import { SystemMetricsService } from './system-metrics'
import { TrainingService } from './training'

export interface BackendOptions {
  dataRoot: string
  catalogFile: string
  spawnEngine: SpawnEngine
  appVersion: string
  transport: 'ipc' | 'websocket'
  pickers?: Pickers // the Electron app's file and folder dialogs
  datasets?: Omit<DatasetsOptions, 'pickers'> // tests shorten downloads and the chat corpus
}

export interface Backend {
  handlers: Handlers
  events: EventBus
  engine: EngineClient
  paths: DataPaths
  /** A dataset from an HTTP upload (serve mode): the body streamed to disk, never one message. */
  importUpload(name: unknown, body: Readable): Promise<DatasetEntry>
  dispose(): Promise<void>
}

export { readCatalog }

export async function createBackend(o: BackendOptions): Promise<Backend> {
  const paths = dataPaths(o.dataRoot)
  // before anything reads the folder: a second process would take the first's runs for interrupted
  const lock = await lockDataFolder(paths.root, o.transport === 'ipc' ? 'the app' : 'serve mode')
  try {
    return await assemble(o, paths, lock)
  } catch (e) {
    await lock.release()
    throw e
  }
}

async function assemble(o: BackendOptions, paths: DataPaths, lock: DataLock): Promise<Backend> {
  const events = new EventBus()
  const engine = new EngineClient(o.spawnEngine)
  engine.onStatus((s) => events.emit('engine.onStatus', s))
  const settings = new SettingsService(paths.settings)
  const datasets = new DatasetsService(paths.datasets, readCatalog(o.catalogFile), (p) => events.emit('datasets.onProgress', p), { ...o.datasets, pickers: o.pickers })
  const training = new TrainingService(paths, engine, datasets, settings, events)
  await training.init()
  const checkpoints = new CheckpointsService(training, engine, datasets, settings, events)
  const generation = new GenerationService(engine, checkpoints, settings, events)
  const chats = new ChatsService(paths.chats, generation, checkpoints)
  const models = new ModelsService(engine, datasets, settings)
  const metrics = new SystemMetricsService({ engineMemory: () => engine.call('engine.memory', undefined) })

  const handlers: Handlers = {
    system: { info: async () => systemInfo(paths.root, o.appVersion, o.transport), metrics: () => metrics.sample() },
    engine: { info: () => engine.call('engine.info', undefined) },
    settings: { get: () => settings.get(), update: (p) => settings.update(p) },
    datasets: {
      list: () => datasets.list(),
      download: (p) => datasets.download(p),
      cancelDownload: (p) => datasets.cancelDownload(p),
      import: (p) => datasets.import(p),
      importFiles: () => datasets.importFiles(),
      buildCode: (p) => datasets.buildCode(p),
      combine: (p) => datasets.combine(p),
      preview: (p) => datasets.preview(p),
      remove: (p) => datasets.remove(p),
    },
    models: {
      presets: () => models.presets(),
      estimate: (p) => models.estimate(p),
      calibrate: (p) => models.calibrate(p),
    },
    training: {
      start: (p) => training.start(p),
      pause: (p) => training.pause(p),
      resume: (p) => training.resume(p),
      stop: (p) => training.stop(p),
      continue: (p) => training.continue(p),
      list: async () => training.list(),
      history: (p) => training.runHistory(p),
      remove: (p) => training.remove(p),
    },
    checkpoints: {
      list: () => checkpoints.list(),
      remove: (p) => checkpoints.remove(p),
      evaluatePasses: (p) => checkpoints.evaluatePasses(p),
      cancelEvaluation: (p) => checkpoints.cancelEvaluation(p),
    },
    generation: { start: (p) => generation.start(p), cancel: (p) => generation.cancel(p) },
    chats: {
      list: () => chats.list(),
      get: (p) => chats.get(p),
      create: (p) => chats.create(p),
      remove: (p) => chats.remove(p),
      reply: (p) => chats.reply(p),
      update: (p) => chats.update(p),
      regenerate: (p) => chats.regenerate(p),
      edit: (p) => chats.edit(p),
      export: (p) => chats.export(p),
    },
  }

  return {
    handlers,
    events,
    engine,
    paths,
    importUpload: (name, body) => datasets.importStream(name, body),
    async dispose() {
      await training.stopAll(15_000) // every running run saves before the engine goes
      await training.flushHistories()
      await engine.shutdown()
      await lock.release()
    },
  }
}
