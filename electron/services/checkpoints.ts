// Checkpoints: one per training run, described from the run's record (no need to open the file).
import { unlink } from 'node:fs/promises'
import { ApiError } from '../common/errors'
import type { CheckpointEntry } from '../common/types'
import type { TrainingService } from './training'
import { object } from './validate'

export class CheckpointsService {
  constructor(private readonly training: TrainingService) {}

  async list(): Promise<CheckpointEntry[]> {
    const out: CheckpointEntry[] = []
    for (const r of this.training.records()) {
      const file = await this.training.checkpointExists(r)
      if (!file) continue
      out.push({
        id: r.runId, name: r.name, datasetId: r.datasetId, path: r.checkpointPath, bytes: file.bytes, modifiedAt: file.modifiedAt,
        model: r.model, params: r.params, trainedSteps: r.lastSavedStep, valLoss: r.metrics.valLoss,
      })
    }
    return out.sort((a, b) => b.modifiedAt.localeCompare(a.modifiedAt))
  }

  async remove(payload: unknown): Promise<void> {
    const r = this.training.run(object(payload, 'the request').id)
    if (r.status === 'running' || r.status === 'paused') throw new ApiError('BUSY', `run ${r.name} is training; stop it first`)
    await unlink(r.checkpointPath).catch(() => {})
    await this.training.discard(r.runId) // the run's record and history go with it
  }
}
