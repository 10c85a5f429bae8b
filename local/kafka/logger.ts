/** The dev broker's logger (`KAFKA_DEV_LOG=debug|info|warn|silent`). */
import { createLocalLogger } from '../logger.ts';

export const log = createLocalLogger('kafka-dev', 'KAFKA_DEV_LOG');
