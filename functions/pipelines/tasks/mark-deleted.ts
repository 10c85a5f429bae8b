/** MarkDeleted: DELETING → DELETED once teardown removed everything. Idempotent. */
import { statusTask } from './mark-status.ts';

export const MARK_DELETED_STEP = 'MarkDeleted';

export const { core: markDeleted, handler } = statusTask(MARK_DELETED_STEP);
