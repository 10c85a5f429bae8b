/** The local AWS endpoint's logger (`LOCAL_AWS_LOG=debug|info|warn|silent`). */
import { createLocalLogger } from '../logger.ts';

export const log = createLocalLogger('local-aws', 'LOCAL_AWS_LOG');
