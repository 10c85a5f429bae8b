import { MemoryPipelineStore } from '../../helpers/memory-store.ts';
import { pipelineStoreContract } from './registry-contract.ts';

pipelineStoreContract('MemoryPipelineStore', (clock) => new MemoryPipelineStore({ now: () => clock.ms }));
