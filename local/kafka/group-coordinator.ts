/**
 * The registry of consumer groups shared by every broker of the dev cluster.
 *
 * A real cluster spreads groups over brokers by hashing the group id onto a partition of
 * __consumer_offsets; here the state lives once in the process and `coordinatorIndex` picks which
 * broker answers for a group, so FindCoordinator, NOT_COORDINATOR and coordinator failover behave
 * as clients expect while membership and offsets survive a coordinator move.
 */
import { Group, type GroupOptions } from './group.ts';

/** Java's String.hashCode, so the group-to-broker mapping is stable across runs. */
function javaHash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0;
  return h;
}

export function coordinatorIndex(key: string, brokerCount: number): number {
  return Math.abs(javaHash(key)) % brokerCount;
}

export class GroupCoordinator {
  private readonly groups = new Map<string, Group>();
  private readonly options: GroupOptions;

  constructor(options: GroupOptions) {
    this.options = options;
  }

  get(groupId: string): Group | undefined {
    return this.groups.get(groupId);
  }

  getOrCreate(groupId: string): Group {
    let group = this.groups.get(groupId);
    if (group === undefined) {
      group = new Group(groupId, this.options);
      this.groups.set(groupId, group);
    }
    return group;
  }

  all(): Group[] {
    return [...this.groups.values()];
  }

  close(): void {
    for (const g of this.groups.values()) g.close();
    this.groups.clear();
  }
}
