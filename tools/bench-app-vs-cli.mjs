#!/usr/bin/env node
// `npm run bench:app`: does training started from the app run as fast as `microgpt --train`?
// The same model, data, batch, threads, evaluations, autosaves and samples, trained both ways:
//   app: serve mode (node out/main/serve.js: the app's back end and its engine process), driven
//        over its WebSocket as the renderer drives it, every step event received as the window
//        receives it;
//   cli: native/out/microgpt --train, a progress line every step.
// Throughput is wall-clock tokens per second as the receiver sees the steps arrive (a step event,
// a progress line), from the end of the warm-up steps to the last step, so whatever the path
// costs (events, IPC, JSON, the history file, the threads) is in it. The two run in turn,
// alternating which goes first, and the report gives each pair's ratio app/cli, its median, the
// fastest run of each side against the other's (a shared machine's neighbours only slow runs
// down), and the share of the cores the app's JavaScript took (back end, client, the engine
// process's JS thread: /proc CPU times), which is what the app path can cost the training.
//   node tools/bench-app-vs-cli.mjs [--preset 8gb,micro] [--steps 400] [--reps 3] [--threads N]
//        [--batch 16] [--eval-interval 100] [--save-interval 200] [--sample-interval 200]
//        [--data FILE] [--json FILE]
// Needs `npm run build` (out/main/serve.js) and `npm run build:native` (native/out/microgpt).
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import WebSocket from 'ws'

const root = resolve(import.meta.dirname, '..')
const serveScript = join(root, 'out', 'main', 'serve.js')
const cliBinary = join(root, 'native', 'out', 'microgpt')

const { values: a } = parseArgs({
  options: {
    preset: { type: 'string', default: '8gb,micro' },
    steps: { type: 'string', default: '400' },
    reps: { type: 'string', default: '3' },
    threads: { type: 'string', default: String(cpus().length) },
    batch: { type: 'string', default: '16' },
    'eval-interval': { type: 'string', default: '100' },
    'eval-batches': { type: 'string', default: '8' },
    'save-interval': { type: 'string', default: '200' },
    'sample-interval': { type: 'string', default: '200' },
    warmup: { type: 'string', default: '0.1' }, // the share of the steps left out at the start
    data: { type: 'string' },
    json: { type: 'string' },
  },
})
const int = (k) => {
  const v = Number(a[k])
  if (!Number.isInteger(v) || v < 0) throw new Error(`--${k} must be a whole number (got ${a[k]})`)
  return v
}
const cfg = {
  steps: int('steps'), reps: int('reps'), threads: int('threads'), batch: int('batch'), evalInterval: int('eval-interval'),
  evalBatches: int('eval-batches'), saveInterval: int('save-interval'), sampleInterval: int('sample-interval'), warmup: Number(a.warmup),
}
for (const f of [serveScript, cliBinary])
  if (!existsSync(f)) throw new Error(`${f} is missing: run npm run build and npm run build:native first`)

// The default text: the test suite's generated words (deterministic), 0.9 MB.
function corpus(chars) {
  const words = ['the', 'a', 'pi', 'model', 'learns', 'small', 'text', 'from', 'data', 'and', 'runs', 'on', 'cpu']
  let seed = 7, s = '', i = 0
  while (s.length < chars) {
    seed = (seed * 1103515245 + 12345) % 2147483648
    s += words[Math.floor((seed / 2147483648) * words.length)] + (++i % 11 === 0 ? '.\n' : ' ')
  }
  return s
}

// CPU seconds a process has used (Linux: /proc/<pid>/stat, utime + stime in clock ticks of 1/100 s)
function cpuSeconds(pid, thread = null) {
  try {
    const f = readFileSync(thread === null ? `/proc/${pid}/stat` : `/proc/${pid}/task/${thread}/stat`, 'utf8').split(') ')[1].split(' ')
    return (Number(f[11]) + Number(f[12])) / 100
  } catch {
    return NaN
  }
}

const median = (xs) => {
  const s = [...xs].sort((x, y) => x - y)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

// Tokens per second from (step, arrival time) pairs, the warm-up left out.
function throughput(arrivals, tokensPerStep) {
  const first = Math.max(1, Math.floor(cfg.steps * cfg.warmup))
  const from = arrivals.find((x) => x.step === first), to = arrivals.at(-1)
  if (!from || !to || to.step <= from.step) throw new Error('too few steps to measure')
  return ((to.step - from.step) * tokensPerStep) / ((to.t - from.t) / 1000)
}

// ---------------------------------------------------------------------------- the app

async function startServe(dataDir) {
  const child = spawn(process.execPath, [serveScript, '--port', '0', '--data-dir', dataDir], { stdio: ['ignore', 'pipe', 'inherit'] })
  const url = await new Promise((resolveUrl, reject) => {
    let out = ''
    child.stdout.on('data', (d) => {
      out += d
      const m = /serving at http:\/\/([^/\s]+)/.exec(out)
      if (m) resolveUrl(`ws://${m[1]}/ws`)
    })
    child.on('exit', (code) => reject(new Error(`serve mode exited (${code}): ${out}`)))
  })
  const ws = await new Promise((ok, fail) => {
    const s = new WebSocket(url)
    s.once('open', () => ok(s))
    s.once('error', fail)
  })
  let nextId = 1
  const pending = new Map(), listeners = new Set()
  ws.on('message', (raw) => {
    const msg = JSON.parse(raw.toString())
    if (typeof msg.id === 'number') {
      pending.get(msg.id)?.(msg)
      pending.delete(msg.id)
    } else if (msg.event === 'training.onEvent') {
      for (const l of listeners) l(msg.data)
    }
  })
  const call = (channel, payload) =>
    new Promise((ok, fail) => {
      const id = nextId++
      pending.set(id, (m) => (m.ok ? ok(m.value) : fail(Object.assign(new Error(`${channel}: ${m.error.message}`), m.error))))
      ws.send(JSON.stringify({ id, channel, payload }))
    })
  return {
    call,
    pid: child.pid,
    onTraining: (l) => (listeners.add(l), () => listeners.delete(l)),
    async stop() {
      ws.close()
      await new Promise((done) => {
        if (child.exitCode !== null) return done()
        child.on('exit', done)
        child.kill('SIGTERM')
      })
    },
  }
}

async function runApp(app, datasetId, preset) {
  const arrivals = []
  let tokensPerStep = 0, runId = null, resolveEnd, rejectEnd
  const ended = new Promise((ok, fail) => ((resolveEnd = ok), (rejectEnd = fail)))
  const early = []
  const handle = (e) => {
    if (runId === null) return void early.push(e)
    if (e.runId !== runId) return
    const t = performance.now()
    if (e.type === 'started') tokensPerStep = e.run.train.batchSize * e.run.train.seqLen * e.run.train.gradAccum
    if (e.type === 'step') arrivals.push({ step: e.point.step, t, engineTps: e.point.tokensPerSec })
    if (e.type === 'finished') resolveEnd()
    if (e.type === 'failed' || e.type === 'stopped') rejectEnd(new Error(`the app's run ended ${e.type}: ${e.error?.message ?? ''}`))
  }
  const off = app.onTraining(handle)
  const enginePid = (await app.call('engine.info')).pid
  const cpu0 = { back: cpuSeconds(app.pid), engine: cpuSeconds(enginePid), engineJs: cpuSeconds(enginePid, enginePid), client: process.cpuUsage() }
  const wall0 = performance.now()
  const run = await app.call('training.start', {
    datasetId, name: `bench ${preset}`, model: { preset },
    train: { steps: cfg.steps, batchSize: cfg.batch, evalInterval: cfg.evalInterval, evalBatches: cfg.evalBatches, seed: 1337 },
  })
  runId = run.runId
  for (const e of early.splice(0)) handle(e)
  await ended
  const wall = (performance.now() - wall0) / 1000
  const c = process.cpuUsage(cpu0.client)
  // where the cores went while it trained: the back end's process (events, records, history,
  // the WebSocket), this client (the renderer's part), the engine process (the training) and
  // its JavaScript thread (the events out of the addon, the IPC to the back end)
  const cpu = {
    backEnd: cpuSeconds(app.pid) - cpu0.back, client: (c.user + c.system) / 1e6, engine: cpuSeconds(enginePid) - cpu0.engine,
    engineJs: cpuSeconds(enginePid, enginePid) - cpu0.engineJs, wall,
  }
  off()
  await app.call('training.remove', { runId }) // its record and history; the checkpoint goes next
  await app.call('checkpoints.remove', { id: runId }).catch(() => {})
  return { tps: throughput(arrivals, tokensPerStep), engineTps: median(arrivals.map((x) => x.engineTps)), cpu }
}

// ---------------------------------------------------------------------------- the CLI

function runCli(dataFile, preset, work) {
  const args = ['--train', '--data', dataFile, '--preset', preset, '--steps', String(cfg.steps), '--batch_size', String(cfg.batch),
    '--eval_interval', String(cfg.evalInterval), '--eval_batches', String(cfg.evalBatches), '--threads', String(cfg.threads),
    '--seed', '1337', '--log_interval', '1', '--save_checkpoint', join(work, `cli-${preset}.bin`), '--save_interval', String(cfg.saveInterval)]
  if (cfg.sampleInterval > 0) args.push('--sample_every', String(cfg.sampleInterval))
  return new Promise((ok, fail) => {
    const child = spawn(cliBinary, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    const arrivals = []
    let buf = '', err = '', tokensPerStep = 0
    child.stdout.on('data', (d) => {
      const t = performance.now()
      buf += d
      let nl
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl)
        buf = buf.slice(nl + 1)
        const m = /^step\s+(\d+)\/\d+ .*\| ([\d,]+) tok\/s/.exec(line)
        if (m) arrivals.push({ step: Number(m[1]), t, engineTps: Number(m[2].replace(/,/g, '')) })
        const b = /^training: .*batch (\d+) x (\d+)(?:, accumulate (\d+))?/.exec(line)
        if (b) tokensPerStep = Number(b[1]) * Number(b[2]) * Number(b[3] ?? 1)
      }
    })
    child.stderr.on('data', (d) => (err += d))
    child.on('exit', (code) => {
      if (code !== 0) return fail(new Error(`microgpt exited ${code}: ${err.slice(-500)}`))
      try {
        ok({ tps: throughput(arrivals, tokensPerStep), engineTps: median(arrivals.map((x) => x.engineTps)) })
      } catch (e) {
        fail(e)
      }
    })
  })
}

// ---------------------------------------------------------------------------- the pairs

const work = mkdtempSync(join(tmpdir(), 'mg-bench-app-'))
const app = await startServe(join(work, 'data'))
const results = { config: cfg, presets: {} }
try {
  await app.call('settings.update', { threads: cfg.threads, saveInterval: cfg.saveInterval, sampleInterval: cfg.sampleInterval })
  const text = a.data ? readFileSync(a.data, 'utf8') : corpus(900_000) // under a WebSocket message's 1 MiB
  const dataset = await app.call('datasets.import', { name: 'bench', text })
  const dataFile = join(work, 'data', 'datasets', `${dataset.id}.txt`) // the app's cleaned text: the CLI trains on the same
  if (!existsSync(dataFile)) throw new Error(`the dataset file is not at ${dataFile}`)
  console.log(`${cfg.steps} steps, batch ${cfg.batch}, ${cfg.threads} threads, eval every ${cfg.evalInterval} (${cfg.evalBatches} batches), ` +
    `autosave every ${cfg.saveInterval}, a sample every ${cfg.sampleInterval || 'never'}; first ${Math.round(cfg.warmup * 100)}% of the steps left out`)
  for (const preset of a.preset.split(',')) {
    const pairs = []
    for (let rep = 0; rep < cfg.reps; rep++) {
      const appFirst = rep % 2 === 0
      const one = appFirst ? await runApp(app, dataset.id, preset) : await runCli(dataFile, preset, work)
      const two = appFirst ? await runCli(dataFile, preset, work) : await runApp(app, dataset.id, preset)
      const [appR, cliR] = appFirst ? [one, two] : [two, one]
      pairs.push({ app: appR, cli: cliR, ratio: appR.tps / cliR.tps, first: appFirst ? 'app' : 'cli' })
      console.log(`  ${preset} #${rep + 1} (${appFirst ? 'app' : 'cli'} first): app ${appR.tps.toFixed(0)} tok/s, cli ${cliR.tps.toFixed(0)} tok/s, ` +
        `app/cli ${(appR.tps / cliR.tps).toFixed(3)}   (engine's own median per step: app ${appR.engineTps.toFixed(0)}, cli ${cliR.engineTps.toFixed(0)}; ` +
        `app CPU s over ${appR.cpu.wall.toFixed(1)} s: engine ${appR.cpu.engine.toFixed(1)} (its JS thread ${appR.cpu.engineJs.toFixed(2)}), back end ${appR.cpu.backEnd.toFixed(2)}, client ${appR.cpu.client.toFixed(2)})`)
    }
    // the app's own share of the machine: what its JavaScript took from the training's cores
    const overhead = median(pairs.map((p) => (p.app.cpu.backEnd + p.app.cpu.client + p.app.cpu.engineJs) / (p.app.cpu.wall * cfg.threads)))
    const summary = {
      pairs,
      overheadShare: overhead,
      medianRatio: median(pairs.map((p) => p.ratio)),
      appMedian: median(pairs.map((p) => p.app.tps)),
      cliMedian: median(pairs.map((p) => p.cli.tps)),
      // a shared machine's neighbours only ever slow a run: each side's fastest is its least disturbed
      bestRatio: Math.max(...pairs.map((p) => p.app.tps)) / Math.max(...pairs.map((p) => p.cli.tps)),
    }
    results.presets[preset] = summary
    console.log(`${preset}: median app/cli ${summary.medianRatio.toFixed(3)} (pairs ${pairs.map((p) => p.ratio.toFixed(3)).join(', ')}); ` +
      `medians app ${summary.appMedian.toFixed(0)} tok/s, cli ${summary.cliMedian.toFixed(0)} tok/s; fastest app / fastest cli ${summary.bestRatio.toFixed(3)}; ` +
      `the app's JavaScript (back end, client, engine's JS thread) took ${(100 * overhead).toFixed(1)}% of ${cfg.threads} cores`)
  }
} finally {
  await app.stop()
  rmSync(work, { recursive: true, force: true })
}
if (a.json) writeFileSync(a.json, JSON.stringify(results, null, 2) + '\n')
