// The app's settings (the settings namespace): threads, autosave and sample intervals, the theme,
// the named sampling presets, and what the window restores after a restart (the open window,
// the Model window's draft).
import { defaultWindow } from '../lib/windows'
import type { ModelDraft, SamplingPreset, SamplingSettings, Settings, UiState } from '@common/types'
import { acceptHMRUpdate, defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { api } from '../lib/api'
import { toShownError, type ShownError } from '../lib/errors'

export const useSettingsStore = defineStore('settings', () => {
  const settings = ref<Settings | null>(null)
  const error = ref<ShownError | null>(null)
  let loading: Promise<void> | null = null

  const theme = computed(() => settings.value?.theme ?? 'system')
  const ui = computed<UiState>(() => settings.value?.ui ?? { view: defaultWindow, draft: null })

  function load(): Promise<void> {
    loading ??= api.settings.get().then(
      (s) => {
        settings.value = s
      },
      (e) => {
        error.value = toShownError(e)
        loading = null
      },
    )
    return loading
  }

  async function update(patch: Partial<Settings>): Promise<boolean> {
    try {
      settings.value = await api.settings.update(patch)
      error.value = null
      return true
    } catch (e) {
      error.value = toShownError(e)
      return false
    }
  }

  // The window state changes often (every edit of the draft): written at most every 500 ms.
  let pendingUi: UiState | null = null
  let timer: ReturnType<typeof setTimeout> | null = null
  function rememberUi(patch: Partial<UiState>): void {
    pendingUi = { ...ui.value, ...pendingUi, ...patch }
    if (settings.value) settings.value = { ...settings.value, ui: pendingUi }
    timer ??= setTimeout(() => void flushUi(), 500)
  }
  async function flushUi(): Promise<void> {
    if (timer) clearTimeout(timer)
    timer = null
    const next = pendingUi
    pendingUi = null
    if (next) await update({ ui: next })
  }
  // Named sampling presets: saving under an existing name (any case) replaces that preset.
  const samplingPresets = computed<SamplingPreset[]>(() => settings.value?.samplingPresets ?? [])
  function savePreset(name: string, sampling: SamplingSettings): Promise<boolean> {
    const n = name.trim()
    const others = samplingPresets.value.filter((p) => p.name.toLowerCase() !== n.toLowerCase())
    return update({ samplingPresets: [...others, { name: n, settings: { ...sampling } }] })
  }
  const removePreset = (name: string): Promise<boolean> =>
    update({ samplingPresets: samplingPresets.value.filter((p) => p.name !== name) })

  const rememberView = (view: string): void => rememberUi({ view })
  const rememberDraft = (draft: ModelDraft): void => rememberUi({ draft })

  return { settings, error, theme, ui, samplingPresets, load, update, savePreset, removePreset, rememberView, rememberDraft, flushUi }
})

if (import.meta.hot) import.meta.hot.accept(acceptHMRUpdate(useSettingsStore, import.meta.hot))
