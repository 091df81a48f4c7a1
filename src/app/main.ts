import { mount } from 'svelte';
import App from './App.svelte';
import { LabState } from './state/labState.svelte.ts';
import { createLabClient } from './bridge/labClient.ts';
import { idbRunRepository } from './lib/idbRunRepository.ts';
import { initialHubEndpoint, initialThreads } from './lib/settings.ts';
import { saveBlob } from './lib/download.ts';
import type { BackendName } from '../lab/api/labApi.ts';
import { presetFromLink } from './lib/labPreset.ts';
import { namedPresets } from './lib/namedPresets.ts';
import { startSite } from './lib/registerSite.ts';

// ?backend=webgpu|webgl|wasm|cpu prefers a tfjs backend; ?hub=<url> points model downloads at a mirror;
// ?threads=N sizes the wasm thread pool (Settings saves it); ?preset=<name> or #config=… set the lab up.
const params = new URLSearchParams(location.search);
const prefer = params.get('backend') as BackendName | null;
const storage = (() => {
  try {
    return window.localStorage;
  } catch {
    return undefined;
  }
})();

const threads = initialThreads(location.search, storage);
const lab = new LabState({
  client: createLabClient({ ...(prefer && { prefer }), ...(threads && { threads }) }),
  threads,
  runs: typeof indexedDB === 'undefined' ? undefined : idbRunRepository(),
  hubEndpoint: initialHubEndpoint(location.search, storage),
  bundledBase: `${import.meta.env.BASE_URL}data/chorus`,
  saveBlob,
  ...(storage && { settingsStore: storage }),
  link: presetFromLink(location.search, location.hash, namedPresets),
});
// reloading into isolation (service worker) is automatic only while it loses nothing
const site = startSite(() => lab.data.loaded || lab.data.busy || lab.train.phase !== 'idle');

export default mount(App, { target: document.getElementById('app')!, props: { lab, site } });
