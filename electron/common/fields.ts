// Every field of a model, a training run and a sampling request, written once. The payload
// types (types.ts), the back end's validation (checkFields), the Model window's form and its
// inline checks (modelProblems) all come from these tables, and a test holds them to the
// engine: the Node binding reports the keys and bounds it reads (its own table in
// native/binding/convert.cpp) and the sampling defaults of its config structs, which must be
// exactly these.

export interface IntField {
  kind: 'int'
  min: number
  max: number
  label: string
  help: string // one line, shown under the input
  engineDefault?: number // what the engine uses when the field is not given (sampling; a test holds it)
}
export interface NumberField {
  kind: 'number'
  min: number
  max: number
  label: string
  help: string
  engineDefault?: number
}
export interface BoolField {
  kind: 'bool'
  label: string
  help: string
}
export interface ChoiceField<C extends string = string> {
  kind: 'choice'
  choices: readonly C[]
  label: string
  help: string
}
export interface StringListField {
  kind: 'strings'
  label: string
  help: string
}
export type FieldSpec = IntField | NumberField | BoolField | ChoiceField | StringListField
export type FieldTable = Record<string, FieldSpec>

type ValueOf<F> = F extends IntField | NumberField
  ? number
  : F extends BoolField
    ? boolean
    : F extends ChoiceField<infer C>
      ? C
      : F extends StringListField
        ? string[]
        : never
export type FieldValues<T extends FieldTable> = { [K in keyof T]: ValueOf<T[K]> }

const INT_MAX = 2147483647
const SAFE_SEED = 9007199254740991

// The model's shape. vocabSize is not here: it comes from the training text.
export const modelFields = {
  embedDim: { kind: 'int', min: 1, max: 8192, label: 'Embedding width', help: 'Numbers per character position; must be a multiple of the heads.' },
  numLayers: { kind: 'int', min: 1, max: 256, label: 'Layers', help: 'Transformer blocks in all: prelude + core + coda.' },
  numHeads: { kind: 'int', min: 1, max: 256, label: 'Attention heads', help: 'Parallel attention heads per layer; must divide the embedding width.' },
  maxSeqLen: { kind: 'int', min: 1, max: 4096, label: 'Context length', help: 'The most characters the model sees at once.' },
  hiddenDim: { kind: 'int', min: 1, max: 65536, label: 'MLP width', help: 'Width of each block\'s feed-forward layer, usually 4 x the embedding width.' },
  preludeLayers: { kind: 'int', min: 0, max: 255, label: 'Prelude layers', help: 'Layers run once before the shared core, to read the input.' },
  codaLayers: { kind: 'int', min: 0, max: 255, label: 'Coda layers', help: 'Layers run once after the core, to turn its state into predictions.' },
  meanPasses: { kind: 'number', min: 1, max: 64, label: 'Mean passes', help: 'How many times the core runs on average in training; also the default when generating.' },
  maxPasses: { kind: 'int', min: 1, max: 64, label: 'Max passes', help: 'The most core passes a training step samples; 1 (the default) makes a plain GPT.' },
  backpropPasses: { kind: 'int', min: 1, max: 64, label: 'Backprop passes', help: 'Gradients flow through the last k passes only, which bounds memory and time.' },
} as const satisfies FieldTable

// A training run's settings (TrainConfig in the engine).
export const trainFields = {
  steps: { kind: 'int', min: 1, max: INT_MAX, label: 'Steps', help: 'Optimizer steps; the learning-rate schedule spans them.' },
  batchSize: { kind: 'int', min: 1, max: 65536, label: 'Batch size', help: 'Sequences per micro-batch; memory grows with it.' },
  seqLen: { kind: 'int', min: 0, max: 4096, label: 'Sequence length', help: 'Characters per training sequence; 0 uses the context length.' },
  gradAccum: { kind: 'int', min: 1, max: 4096, label: 'Gradient accumulation', help: 'Micro-batches per step: a larger batch without its memory.' },
  lr: { kind: 'number', min: 1e-9, max: 1, label: 'Learning rate', help: "The peak, reached after warmup; left empty, the preset's, shown here." },
  minLr: { kind: 'number', min: 0, max: 1, label: 'Final learning rate', help: 'Where the cosine schedule ends; at most the learning rate.' },
  warmupSteps: { kind: 'int', min: 0, max: INT_MAX, label: 'Warmup steps', help: 'Steps of linear warmup from 0.' },
  weightDecay: { kind: 'number', min: 0, max: 1, label: 'Weight decay', help: 'AdamW\'s decoupled decay on matrices and embeddings.' },
  beta1: { kind: 'number', min: 0, max: 1, label: 'Adam beta1', help: 'Momentum of the gradient average.' },
  beta2: { kind: 'number', min: 0, max: 1, label: 'Adam beta2', help: 'Momentum of the squared-gradient average.' },
  gradClip: { kind: 'number', min: 0, max: 1e6, label: 'Gradient clip', help: 'Largest gradient norm; 0 turns clipping off.' },
  dropout: { kind: 'number', min: 0, max: 1, label: 'Dropout', help: 'Share of activations zeroed while training, against overfitting a small text; 0 is off.' },
  evalInterval: { kind: 'int', min: 0, max: INT_MAX, label: 'Eval every', help: 'Steps between validation losses; 0 only at the end.' },
  evalBatches: { kind: 'int', min: 1, max: 100000, label: 'Eval batches', help: 'Batches of held-out text per validation.' },
  valFraction: { kind: 'number', min: 0, max: 0.5, label: 'Validation share', help: 'The part of the text held out to measure the model: its tail, or whole lines.' },
  splitLines: { kind: 'bool', label: 'Hold out whole lines', help: 'Measure on whole lines chosen at random (with the seed) instead of the end of the text: right for lists such as names, which are often sorted.' },
  lineSequences: { kind: 'bool', label: 'Each line its own sequence', help: 'Train and measure every line alone, from its first character, instead of windows across lines: better for lists such as names. A row is then one line, so raise the batch size (about 4 x for names) to train on as many characters per step; every line must fit the context.' },
  seed: { kind: 'number', min: 0, max: SAFE_SEED, label: 'Seed', help: 'Initialisation, batches and passes; the same seed repeats a run.' },
} as const satisfies FieldTable

// Sampling, for generation and chat.
export const samplingFields = {
  maxTokens: { kind: 'int', min: 1, max: 1000000, engineDefault: 200, label: 'Max tokens', help: 'The most characters to generate.' },
  temperature: { kind: 'number', min: 0, max: 10, engineDefault: 0.8, label: 'Temperature', help: '0 always picks the likeliest; higher is more varied.' },
  topK: { kind: 'int', min: 0, max: 1000000, engineDefault: 40, label: 'Top-k', help: 'Sample from the k likeliest; 0 is off.' },
  topP: { kind: 'number', min: 0, max: 1, engineDefault: 0.95, label: 'Top-p', help: 'Sample from the smallest set holding this much probability; 1 is off.' },
  repetitionPenalty: { kind: 'number', min: 1, max: 10, engineDefault: 1.1, label: 'Repetition penalty', help: 'Discourages recent characters; 1 is off.' },
  repetitionWindow: { kind: 'int', min: 0, max: 1000000, engineDefault: 64, label: 'Repetition window', help: 'How many recent characters the penalty looks at.' },
  seed: { kind: 'number', min: 0, max: SAFE_SEED, engineDefault: 42, label: 'Seed', help: 'The same seed gives the same text.' },
  passes: { kind: 'int', min: 0, max: 64, engineDefault: 0, label: 'Passes', help: 'Core passes per token; more is slower and often better; 0 uses the model\'s default.' },
  adaptive: { kind: 'bool', label: 'Adaptive passes', help: 'Stop passing early once the prediction stops changing.' },
  klThreshold: { kind: 'number', min: 0, max: 1e6, engineDefault: 0.001, label: 'Adaptive threshold', help: 'How little the prediction must change (KL divergence) to stop early.' },
  weights: { kind: 'choice', choices: ['fp16', 'fp32'] as const, label: 'Weights', help: 'fp16 reads half the bytes per token; fp32 is exact.' },
  stop: { kind: 'strings', label: 'Stop strings', help: 'Generation ends when one of these appears.' },
} as const satisfies FieldTable

export type ModelShape = FieldValues<typeof modelFields>
export type TrainSettings = Partial<FieldValues<typeof trainFields>>
export type SamplingSettings = Partial<FieldValues<typeof samplingFields>>

// Which model fields make up the recursion, for the form's grouping.
export const recursionKeys = ['preludeLayers', 'codaLayers', 'meanPasses', 'maxPasses', 'backpropPasses'] as const
// Fields that fix a checkpoint's architecture: a loaded model keeps them.
export const architectureKeys = ['embedDim', 'numLayers', 'numHeads', 'maxSeqLen', 'hiddenDim', 'preludeLayers', 'codaLayers'] as const

export type FieldProblem = { key: string; message: string }

/** The problem with one value against its field, or null. */
export function fieldProblem(key: string, spec: FieldSpec, value: unknown): string | null {
  switch (spec.kind) {
    case 'int':
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) return `${spec.label} must be a number`
      if (spec.kind === 'int' && !Number.isInteger(value)) return `${spec.label} must be a whole number`
      if (value < spec.min || value > spec.max) return `${spec.label} must be between ${spec.min} and ${spec.max}`
      return null
    case 'bool':
      return typeof value === 'boolean' ? null : `${spec.label} must be true or false`
    case 'choice':
      return spec.choices.includes(value as string) ? null : `${spec.label} must be one of ${spec.choices.join(', ')}`
    case 'strings':
      return Array.isArray(value) && value.every((s) => typeof s === 'string' && s.length > 0)
        ? null
        : `${spec.label} must be a list of non-empty strings`
  }
  return `${key} is not a field`
}

/**
 * The fields of `value` that `table` (plus `extra` keys, passed through) knows, checked. Throws a
 * FieldError naming the first unknown key or bad value; undefined values are dropped.
 */
export function checkFields<T extends FieldTable, E extends string = never>(
  table: T,
  value: unknown,
  what: string,
  extra: readonly E[] = [],
): Partial<FieldValues<T>> & { [K in E]?: unknown } {
  if (value === undefined || value === null) return {}
  if (typeof value !== 'object' || Array.isArray(value)) throw new FieldError(what, `${what} must be an object`)
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value)) {
    if (v === undefined) continue
    if ((extra as readonly string[]).includes(k)) {
      out[k] = v
      continue
    }
    const spec = Object.hasOwn(table, k) ? table[k] : undefined
    if (!spec) throw new FieldError(k, `${what} has no field '${k}'`)
    const problem = fieldProblem(k, spec, v)
    if (problem) throw new FieldError(k, problem)
    out[k] = v
  }
  return out as Partial<FieldValues<T>> & { [K in E]?: unknown }
}

export class FieldError extends Error {
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(message)
  }
}

/** Each given value of `table`'s fields that is out of its field's bounds or kind. */
function boundProblems<T extends FieldTable>(table: T, values: Partial<FieldValues<T>>): FieldProblem[] {
  const out: FieldProblem[] = []
  for (const [k, spec] of Object.entries(table)) {
    const v = values[k as keyof T]
    if (v === undefined) continue
    const p = fieldProblem(k, spec, v)
    if (p) out.push({ key: k, message: p })
  }
  return out
}

/**
 * What is wrong with a whole model shape, field by field: the bounds, then the rules that tie
 * fields together (the engine's validate_config, said for a form).
 */
export function modelProblems(m: Partial<ModelShape>): FieldProblem[] {
  const out = boundProblems(modelFields, m)
  const bad = new Set(out.map((p) => p.key))
  const ok = (k: keyof ModelShape): boolean => m[k] !== undefined && !bad.has(k)
  if (ok('embedDim') && ok('numHeads') && m.embedDim! % m.numHeads! !== 0)
    out.push({ key: 'numHeads', message: `${m.numHeads} heads do not divide the embedding width ${m.embedDim}` })
  if (ok('numLayers') && ok('preludeLayers') && ok('codaLayers') && m.preludeLayers! + m.codaLayers! >= m.numLayers!)
    out.push({ key: 'codaLayers', message: `prelude + coda (${m.preludeLayers! + m.codaLayers!}) must leave at least one core layer of ${m.numLayers}` })
  // a plain model (max passes 1) leaves the other passes knobs waiting for recursion
  const recursive = ok('maxPasses') && m.maxPasses! > 1
  if (recursive && ok('meanPasses') && m.meanPasses! > m.maxPasses!)
    out.push({ key: 'meanPasses', message: `mean passes (${m.meanPasses}) cannot exceed max passes (${m.maxPasses})` })
  if (recursive && ok('backpropPasses') && m.backpropPasses! > m.maxPasses!)
    out.push({ key: 'backpropPasses', message: `backprop passes (${m.backpropPasses}) cannot exceed max passes (${m.maxPasses})` })
  return out
}

/** The same for a training run's settings (the engine's validate_train_config). */
/**
 * How a run treats lines, where the settings leave it open. A list of lines (the catalog's names)
 * holds out whole lines: its tail would flatter, as it is sorted. Each line its own sequence is
 * asked for, not a default: it learns names better for the same work per step, but a row is then
 * one short line, so at the same batch size a step trains on a quarter of the characters
 * (docs/quality.md §5). It holds out whole lines. The back end resolves a run's settings with
 * it, and the Model form shows the same.
 */
export function lineSettings(t: TrainSettings, listOfLines: boolean): { splitLines: boolean; lineSequences: boolean } {
  const lineSequences = t.lineSequences ?? false
  return { splitLines: t.splitLines ?? (listOfLines || lineSequences), lineSequences }
}

/**
 * The sequence length a run trains at, as the engine resolves it: the settings' seqLen, else,
 * each line its own sequence, the longest line (its break included) when it fits the context,
 * else the context. longestLine comes from the dataset's statistics (unknown: the context).
 */
export function trainSequenceLength(t: TrainSettings, maxSeqLen: number, listOfLines: boolean, longestLine?: number): number {
  if (t.seqLen) return t.seqLen
  const fits = longestLine !== undefined && longestLine > 0 && longestLine <= maxSeqLen
  return fits && lineSettings(t, listOfLines).lineSequences ? longestLine : maxSeqLen
}

export function trainProblems(t: TrainSettings): FieldProblem[] {
  const out = boundProblems(trainFields, t)
  const bad = new Set(out.map((p) => p.key))
  if (t.lr !== undefined && !bad.has('lr') && t.lr >= 1) out.push({ key: 'lr', message: 'Learning rate must be below 1' })
  if (t.minLr !== undefined && t.lr !== undefined && !bad.has('minLr') && t.minLr > t.lr)
    out.push({ key: 'minLr', message: 'Final learning rate cannot exceed the learning rate' })
  if (t.valFraction !== undefined && !bad.has('valFraction') && (t.valFraction <= 0 || t.valFraction >= 0.5))
    out.push({ key: 'valFraction', message: 'Validation share must be above 0 and below 0.5' })
  for (const k of ['weightDecay', 'beta1', 'beta2', 'dropout'] as const)
    if (t[k] !== undefined && !bad.has(k) && t[k] >= 1) out.push({ key: k, message: `${trainFields[k].label} must be below 1` })
  if (t.lineSequences === true && t.splitLines === false)
    out.push({ key: 'lineSequences', message: `${trainFields.lineSequences.label} needs "${trainFields.splitLines.label}" on` })
  return out
}
