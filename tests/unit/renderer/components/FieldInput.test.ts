// @vitest-environment happy-dom
// A field of the Model window's form: named for screen readers, its help and problem linked,
// a typing mistake shown inline, a change from the preset marked and resettable.
import { mount } from '@vue/test-utils'
import { describe, expect, it } from 'vitest'
import { modelFields } from '../../../../electron/common/fields'
import FieldInput from '../../../../renderer/src/components/common/FieldInput.vue'

describe('FieldInput', () => {
  it('is labelled, described by its help, and reports what was typed', async () => {
    const w = mount(FieldInput, { props: { id: 'embedDim', spec: modelFields.embedDim, value: 64, base: 64 } })
    const input = w.get('input')
    expect(w.get('label').attributes('for')).toBe(input.attributes('id'))
    expect(w.get('label').text()).toBe('Embedding width')
    expect(w.get(`#${input.attributes('aria-describedby')}`).text()).toContain('multiple of the heads')
    expect(w.find('button').exists()).toBe(false) // unchanged: nothing to reset
    await input.setValue('96')
    expect(w.emitted('change')).toEqual([[96]])
    await input.setValue('9x')
    expect(input.attributes('aria-invalid')).toBe('true')
    expect(w.get('[role=alert]').text()).toBe('Embedding width must be a number')
    expect(w.emitted('change')).toHaveLength(1) // nothing sent while it is not a number
  })

  it('shows the store\'s problem, marks a change from the preset and resets it', async () => {
    const w = mount(FieldInput, { props: { id: 'numHeads', spec: modelFields.numHeads, value: 3, base: 2, problem: '3 heads do not divide the embedding width 64' } })
    const input = w.get('input')
    expect(input.attributes('aria-invalid')).toBe('true')
    expect(input.attributes('aria-describedby')).toContain('f-numHeads-problem')
    expect(w.get('#f-numHeads-problem').text()).toBe('3 heads do not divide the embedding width 64')
    const reset = w.get('button')
    expect(reset.attributes('aria-label')).toBe('Reset Attention heads to 2')
    await reset.trigger('click')
    expect(w.emitted('change')).toEqual([[2]])
    await w.setProps({ value: 2, problem: undefined })
    expect((input.element as HTMLInputElement).value).toBe('2')
    expect(w.find('button').exists()).toBe(false)
  })
})
