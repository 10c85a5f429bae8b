/** Every API the broker serves, by key. ApiVersions advertises exactly this list. */
import type { AnyApi } from '../protocol/api.ts';
import { createApiVersionsApi } from './api-versions.ts';
import { createTopicsApi } from './create-topics.ts';
import { deleteTopicsApi } from './delete-topics.ts';
import { describeConfigsApi } from './describe-configs.ts';
import { describeGroupsApi } from './describe-groups.ts';
import { fetchApi } from './fetch.ts';
import { findCoordinatorApi } from './find-coordinator.ts';
import { heartbeatApi } from './heartbeat.ts';
import { initProducerIdApi } from './init-producer-id.ts';
import { joinGroupApi } from './join-group.ts';
import { leaveGroupApi } from './leave-group.ts';
import { listGroupsApi } from './list-groups.ts';
import { listOffsetsApi } from './list-offsets.ts';
import { metadataApi } from './metadata.ts';
import { offsetCommitApi } from './offset-commit.ts';
import { offsetFetchApi } from './offset-fetch.ts';
import { produceApi } from './produce.ts';
import { saslAuthenticateApi } from './sasl-authenticate.ts';
import { saslHandshakeApi } from './sasl-handshake.ts';
import { syncGroupApi } from './sync-group.ts';

const list: AnyApi[] = [
  produceApi,
  fetchApi,
  listOffsetsApi,
  metadataApi,
  offsetCommitApi,
  offsetFetchApi,
  findCoordinatorApi,
  joinGroupApi,
  heartbeatApi,
  leaveGroupApi,
  syncGroupApi,
  describeGroupsApi,
  listGroupsApi,
  createTopicsApi,
  deleteTopicsApi,
  initProducerIdApi,
  describeConfigsApi,
  saslHandshakeApi,
  saslAuthenticateApi,
];
list.push(createApiVersionsApi(() => list));

export const supportedApis: readonly AnyApi[] = list;
export const apisByKey: ReadonlyMap<number, AnyApi> = new Map(list.map((a) => [a.key, a]));
