// @vitest-environment happy-dom
// The Generate window's sampling controls: the passes dial says what 0 means for this model,
// adaptive passes reveal their threshold, stop strings take \n for a newline.
import { mount } from '@vue/test-utils'
import { describe, expect, it } from 'vitest'
import SamplingPanel from '../../../../renderer/src/components/generate/SamplingPanel.vue'

describe('SamplingPanel', () => {
  it('turns the passes dial, and shows the model\'s own passes at 0', async () => {
    const w = mount(SamplingPanel, { props: { sampling: {}, defaults: { temperature: 0.8 }, modelPasses: 2 } })
    expect(w.get('[data-sampling="passes"]').text()).toBe('model default (2)')
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
})
