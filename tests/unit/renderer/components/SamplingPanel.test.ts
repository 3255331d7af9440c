// @vitest-environment happy-dom
// The Generate window's sampling controls: the passes dial says what 0 means for this model,
// adaptive passes reveal their threshold, stop strings take \n for a newline.
import { mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it, vi } from 'vitest'

const fake = await vi.hoisted(async () => (await import('../../../support/fake-api')).createFakeApi())
vi.mock('../../../../renderer/src/lib/api', () => ({ api: fake.api, transport: fake.transport }))

import { defaultSettings } from '../../../../electron/services/settings'
import SamplingPanel from '../../../../renderer/src/components/generate/SamplingPanel.vue'
import { useSettingsStore } from '../../../../renderer/src/stores/settings'

describe('SamplingPanel', () => {
  beforeEach(() => {
    setActivePinia(createPinia())
    for (const g of Object.values(fake.api)) for (const f of Object.values(g)) f.mockReset()
  })

  it('turns the passes dial, and shows the model\'s own passes at 0', async () => {
    const w = mount(SamplingPanel, { props: { sampling: {}, defaults: { temperature: 0.7 }, modelPasses: 2 } })
    expect(w.get('[data-sampling="passes"]').text()).toBe('model default (2)')
    // an empty field shows the window's default, or else the engine's own
    expect(w.get('#f-temperature').attributes('placeholder')).toBe('0.7')
    expect(w.get('#f-topK').attributes('placeholder')).toBe('40')
    const dial = w.get('#passes-dial')
    expect(w.get('label[for="passes-dial"]').text()).toContain('Passes')
    await dial.setValue('4')
    expect(w.emitted('set')).toEqual([['passes', 4]])
    await w.setProps({ sampling: { passes: 4 } })
    expect(w.get('[data-sampling="passes"]').text()).toBe('4')
    await dial.setValue('0')
    expect(w.emitted('set')!.at(-1)).toEqual(['passes', undefined])
  })

  it('shows the adaptive threshold only with adaptive passes, and reads stop strings one per line', async () => {
    const w = mount(SamplingPanel, { props: { sampling: {}, defaults: {}, modelPasses: 1 } })
    expect(w.find('[data-field="klThreshold"]').exists()).toBe(false)
    await w.get('input[type=checkbox]').setValue(true)
    expect(w.emitted('set')).toEqual([['adaptive', true]])
    await w.setProps({ sampling: { adaptive: true, klThreshold: 0.05 } })
    expect(w.find('[data-field="klThreshold"] [role=alert]').exists()).toBe(false)
    await w.setProps({ sampling: { adaptive: true, klThreshold: -1 } })
    expect(w.get('[data-field="klThreshold"] [role=alert]').text()).toBe('Adaptive threshold must be between 0 and 1000000')
    await w.get('#stop-strings').setValue('\\n\\n\nThe end')
    expect(w.emitted('set')!.at(-1)).toEqual(['stop', ['\n\n', 'The end']])
  })

  it('saves the settings as a named preset, loads one back, and deletes it', async () => {
    const settings = useSettingsStore()
    settings.settings = { ...defaultSettings }
    fake.api.settings.update.mockImplementation(async (patch: object) => (settings.settings = { ...settings.settings!, ...patch }))
    const w = mount(SamplingPanel, { props: { sampling: { temperature: 0.3, passes: 4 }, defaults: {}, modelPasses: 2 } })
    await w.get('button:not([disabled])').trigger('click') // Save as…
    await w.get('#preset-name').setValue('Precise')
    await w.get('form').trigger('submit')
    expect(fake.api.settings.update).toHaveBeenLastCalledWith({ samplingPresets: [{ name: 'Precise', settings: { temperature: 0.3, passes: 4 } }] })
    await w.vm.$nextTick()
    expect((w.get('[data-sampling-preset]').element as HTMLSelectElement).value).toBe('Precise') // the settings are that preset
    // other settings: picking the preset applies it whole
    await w.setProps({ sampling: { temperature: 1.2 } })
    expect((w.get('[data-sampling-preset]').element as HTMLSelectElement).value).toBe('')
    await w.get('[data-sampling-preset]').setValue('Precise')
    expect(w.emitted('replace')).toEqual([[{ temperature: 0.3, passes: 4 }]])
    // saving under the same name (any case) replaces it; delete removes it
    await w.setProps({ sampling: { temperature: 0.3, passes: 4 } })
    await w.get('button[aria-label="Delete the preset Precise"]').trigger('click')
    expect(fake.api.settings.update).toHaveBeenLastCalledWith({ samplingPresets: [] })
  })
})
