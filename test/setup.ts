import { initNodeBackend } from '../src/cli/nodeBackend.ts';

// Tests run the same tfjs backend the CLI uses (wasm, with cpu as fallback); FTLAB_BACKEND=cpu overrides.
await initNodeBackend();
