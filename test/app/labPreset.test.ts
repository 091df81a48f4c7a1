import { describe, expect, it } from 'vitest';
import { checkPreset, encodePreset, presetFromLink, type LabPreset } from '../../src/app/lib/labPreset.ts';
import { namedPresets } from '../../src/app/lib/namedPresets.ts';

/** Shareable setups: what a link decodes to, and what a bad link says instead of breaking the page. */
describe('lab presets in links', () => {
  it('round-trips any preset through #config=, non-ASCII text included', () => {
    const preset: LabPreset = { data: 'chorus', slice: null, model: 'custom', modelId: 'ünïcode/modèl', batchSize: 16, lr: 2e-5, steps: null };
    const hash = encodePreset(preset);
    expect(hash).toMatch(/^#config=[A-Za-z0-9_-]+$/);
    expect(presetFromLink('', hash, namedPresets)).toEqual({ preset });
  });

  it('gives every named preset by name, each one valid', () => {
    expect(Object.keys(namedPresets).sort()).toEqual(['kata-clip-quick', 'kata-genq-quick', 'kata-gpl-quick', 'kata-supervised-quick']);
    for (const [name, named] of Object.entries(namedPresets)) {
      expect(checkPreset(named.preset, name)).toEqual(named.preset);
      expect(presetFromLink(`?preset=${name}`, '', namedPresets)).toEqual({ preset: named.preset, name });
    }
  });

  it('names the field, the rule and the value of each bad setting', () => {
    expect(() => checkPreset({ batchSize: 1, lr: 0, mode: 'semi' }, '#config')).toThrow(
      '#config: "batchSize" must be a whole number ≥ 2, got 1; "lr" must be a number > 0 and ≤ 1, got 0; "mode" must be one of "unsupervised", "supervised", got "semi"',
    );
    expect(() => checkPreset({ batchsize: 8 }, 'x')).toThrow(/x: unknown setting "batchsize" \(known: data, slice/);
    expect(() => checkPreset({ modelId: 'a/b' }, 'x')).toThrow('"modelId" needs "model": "curated" or "custom"');
    expect(() => checkPreset([1], 'x')).toThrow('x: must be a JSON object of settings');
  });

  it('answers a malformed, cut or unknown link with a message and no preset', () => {
    const cut = encodePreset({ batchSize: 32, lr: 5e-4 }).slice(0, -6);
    for (const [search, hash, message] of [
      ['', '#config=not-a-config', '#config: is not base64url-encoded JSON'],
      ['', cut, '#config: is not base64url-encoded JSON'],
      ['', encodePreset({ seed: -1 } as LabPreset), '"seed" must be a whole number ≥ 0, got -1'],
      ['?preset=kata-nope', '', 'Unknown preset "kata-nope" in the link (known: kata-genq-quick'],
      ['?preset=toString', '', 'Unknown preset "toString"'],
    ] as const) {
      const link = presetFromLink(search, hash, namedPresets);
      expect(link.preset).toBeUndefined();
      expect(link.error).toContain(message);
      expect(link.error).toContain('The lab opened with its defaults.');
    }
    expect(presetFromLink('?backend=wasm', '#other=1', namedPresets)).toEqual({});
  });
});
