/** MarkActive: CREATING → ACTIVE, which also opens the ingest route of the pipeline's apps. Idempotent. */
import { statusTask } from './mark-status.ts';

export const MARK_ACTIVE_STEP = 'MarkActive';

export const { core: markActive, handler } = statusTask(MARK_ACTIVE_STEP);
