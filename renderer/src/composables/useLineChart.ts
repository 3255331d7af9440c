// A chart.js line chart over series that grow while training. The series are the store's own
// arrays (chart.js parses only what was pushed since the last draw), redrawn at most every
// `minIntervalMs` however many events arrive, without animation; colours come from the theme's
// CSS variables and follow a theme switch.
import {
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  LogarithmicScale,
  PointElement,
  Tooltip,
  type ChartDataset,
} from 'chart.js'
import { onBeforeUnmount, onMounted, watch, type Ref, type WatchSource } from 'vue'

Chart.register(LineController, LineElement, PointElement, LinearScale, LogarithmicScale, CategoryScale, Legend, Tooltip)

export interface SeriesSpec {
  label: string
  data: object[] // e.g. HistoryPoint[]
  x: string // the key of x in each item
  y: string // the key of y
  color: string // a CSS variable, e.g. --chart-1
  dashed?: boolean
  width?: number
  axis?: 'y' | 'y1' // y1: the right-hand axis (LineChartOptions.y1Title)
  pointRadius?: number // default: points only on the validation loss
  showLine?: boolean
}

export interface LineChartOptions {
  xTitle: string
  yTitle: string
  y1Title?: string // a second quantity, on the right
  logY?: Ref<boolean>
  minIntervalMs?: number
}

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888'
}

export function useLineChart(canvas: Ref<HTMLCanvasElement | null>, series: () => SeriesSpec[], changes: WatchSource, o: LineChartOptions) {
  let chart: Chart<'line', object[]> | null = null
  let specs: SeriesSpec[] = []
  let timer: ReturnType<typeof setTimeout> | null = null
  let last = 0
  const minInterval = o.minIntervalMs ?? 250

  function datasets(): ChartDataset<'line', object[]>[] {
    specs = series()
    return specs.map((s) => ({
      label: s.label,
      data: s.data,
      parsing: { xAxisKey: s.x, yAxisKey: s.y },
      borderColor: cssVar(s.color),
      backgroundColor: cssVar(s.color),
      borderWidth: s.width ?? 1.5,
      borderDash: s.dashed ? [5, 4] : [],
      pointRadius: s.pointRadius ?? (s.y === 'valLoss' ? 2 : 0),
      showLine: s.showLine ?? true,
      yAxisID: s.axis ?? 'y',
      spanGaps: true,
    }))
  }

  function themeColors(c: Chart<'line', object[]>): void {
    const text = cssVar('--muted')
    const grid = cssVar('--chart-grid')
    for (const axis of o.y1Title ? ['x', 'y', 'y1'] : ['x', 'y']) {
      const scale = c.options.scales![axis]!
      scale.ticks = { ...scale.ticks, color: text }
      scale.grid = { ...scale.grid, color: grid }
      ;(scale as { title: { color: string } }).title.color = text
    }
    c.options.plugins!.legend!.labels = { ...c.options.plugins!.legend!.labels, color: text }
    c.data.datasets.forEach((d, i) => {
      d.borderColor = d.backgroundColor = cssVar(specs[i]!.color)
    })
  }

  function draw(): void {
    timer = null
    last = Date.now()
    if (!chart) return
    chart.update('none')
  }
  /** Asks for a redraw; several asks within the interval make one. */
  function schedule(): void {
    if (timer) return
    const wait = Math.max(0, minInterval - (Date.now() - last))
    timer = setTimeout(() => requestAnimationFrame(draw), wait)
  }
  /** The series themselves changed (another run, a run added to the comparison). */
  function rebuild(): void {
    if (!chart) return
    chart.data.datasets = datasets()
    schedule()
  }

  let observer: MutationObserver | null = null
  onMounted(() => {
    if (!canvas.value) return
    const c = new Chart<'line', object[]>(canvas.value, {
      type: 'line',
      data: { datasets: datasets() },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        normalized: true,
        interaction: { mode: 'nearest', axis: 'x', intersect: false },
        scales: {
          x: { type: 'linear', title: { display: true, text: o.xTitle }, ticks: { maxTicksLimit: 8 } },
          y: { type: o.logY?.value ? 'logarithmic' : 'linear', title: { display: true, text: o.yTitle }, ticks: { maxTicksLimit: 6 } },
          ...(o.y1Title
            ? { y1: { type: 'linear' as const, position: 'right' as const, title: { display: true, text: o.y1Title }, ticks: { maxTicksLimit: 6 }, grid: { drawOnChartArea: false } } }
            : {}),
        },
        plugins: { legend: { display: true, position: 'bottom', labels: { boxWidth: 14, boxHeight: 2 } }, tooltip: { enabled: true } },
      },
    })
    chart = c
    themeColors(c)
    c.update('none')
    observer = new MutationObserver(() => {
      if (!chart) return
      themeColors(chart)
      chart.update('none')
    })
    observer.observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] })
  })
  watch(changes, schedule)
  if (o.logY)
    watch(o.logY, (log) => {
      if (!chart) return
      chart.options.scales!.y!.type = log ? 'logarithmic' : 'linear'
      chart.update('none')
    })
  onBeforeUnmount(() => {
    observer?.disconnect()
    if (timer) clearTimeout(timer)
    chart?.destroy()
    chart = null
  })
  return { rebuild, schedule, chart: () => chart }
}
