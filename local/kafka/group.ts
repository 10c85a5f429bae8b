/**
 * One consumer group under the classic rebalance protocol (JoinGroup/SyncGroup/Heartbeat/
 * LeaveGroup), following the state machine of Kafka's GroupCoordinator:
 *
 *   Empty --join--> PreparingRebalance --all members joined / rebalance timeout-->
 *   CompletingRebalance --leader's SyncGroup--> Stable --join/leave/session expiry--> PreparingRebalance
 *
 * JoinGroup and SyncGroup answers are parked (promises) until the rebalance step completes, which
 * is how real brokers make every member see the same generation. Error codes match Kafka's so
 * clients take their normal recovery paths (rejoin on REBALANCE_IN_PROGRESS, reset on
 * UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION).
 */
import { randomUUID } from 'node:crypto';
import { EMPTY, Member, type JoinRequestData, type JoinResult, type SyncResult } from './group-member.ts';
import { ErrorCode } from './protocol/errors.ts';

export type { JoinRequestData, JoinResult, ProtocolOffer, SyncResult } from './group-member.ts';

const MAX_SESSION_TIMEOUT_MS = 30 * 60 * 1000;

export type GroupStateName = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';

export interface GroupOptions {
  /** Kafka's group.initial.rebalance.delay.ms: lets members that start together share one generation. */
  readonly initialRebalanceDelayMs: number;
}

export class Group {
  readonly groupId: string;
  state: GroupStateName = 'Empty';
  generationId = 0;
  protocolType: string | null = null;
  protocolName: string | null = null;
  leaderId: string | null = null;
  readonly members = new Map<string, Member>();
  private readonly options: GroupOptions;
  private rebalanceTimer: NodeJS.Timeout | null = null;
  private initialDelayTimer: NodeJS.Timeout | null = null;
  private initialDelayDeadline = 0;

  constructor(groupId: string, options: GroupOptions) {
    this.groupId = groupId;
    this.options = options;
  }

  private joinError(errorCode: number, memberId: string): JoinResult {
    return {
      errorCode,
      generationId: -1,
      protocolType: null,
      protocolName: null,
      leader: '',
      memberId,
      members: [],
    };
  }

  private syncError(errorCode: number): SyncResult {
    return { errorCode, protocolType: null, protocolName: null, assignment: EMPTY };
  }

  join(req: JoinRequestData): Promise<JoinResult> | JoinResult {
    if (this.state === 'Dead') return this.joinError(ErrorCode.NOT_COORDINATOR, req.memberId);
    if (req.sessionTimeoutMs <= 0 || req.sessionTimeoutMs > MAX_SESSION_TIMEOUT_MS) {
      return this.joinError(ErrorCode.INVALID_SESSION_TIMEOUT, req.memberId);
    }
    if (req.protocolType === '' || req.protocols.length === 0)
      return this.joinError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, req.memberId);
    const others = [...this.members.values()].filter((m) => m.memberId !== req.memberId);
    if (others.length > 0) {
      const offered = new Set(req.protocols.map((p) => p.name));
      const common = others.every((m) => m.protocols.some((p) => offered.has(p.name)));
      if (req.protocolType !== this.protocolType || !common)
        return this.joinError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, req.memberId);
    }

    let member: Member | undefined;
    if (req.memberId === '') {
      if (req.groupInstanceId !== null) {
        // static member restarting: it takes over its previous identity's slot
        const previous = [...this.members.values()].find((m) => m.groupInstanceId === req.groupInstanceId);
        if (previous !== undefined) this.removeMember(previous, ErrorCode.UNKNOWN_MEMBER_ID);
      }
      member = new Member(`${req.clientId || 'member'}-${randomUUID()}`, req);
      this.members.set(member.memberId, member);
    } else {
      member = this.members.get(req.memberId);
      if (member === undefined) return this.joinError(ErrorCode.UNKNOWN_MEMBER_ID, req.memberId);
    }
    member.update(req);
    if (this.members.size === 1 || this.protocolType === null) this.protocolType = req.protocolType;

    const previousWaiter = member.joinResolve;
    const result = new Promise<JoinResult>((resolve) => {
      member.joinResolve = resolve;
    });
    previousWaiter?.(this.joinError(ErrorCode.REBALANCE_IN_PROGRESS, member.memberId));
    // a member waiting for its join answer cannot heartbeat; the rebalance timeout bounds it
    this.stopSession(member);

    if (this.state === 'PreparingRebalance') {
      this.extendInitialDelay();
      this.tryCompleteJoin();
    } else {
      this.prepareRebalance();
    }
    return result;
  }

  sync(
    memberId: string,
    generationId: number,
    assignments: ReadonlyArray<{ memberId: string; assignment: Buffer }>,
  ): Promise<SyncResult> | SyncResult {
    const member = this.members.get(memberId);
    if (member === undefined || this.state === 'Empty' || this.state === 'Dead')
      return this.syncError(ErrorCode.UNKNOWN_MEMBER_ID);
    if (generationId !== this.generationId) return this.syncError(ErrorCode.ILLEGAL_GENERATION);
    if (this.state === 'PreparingRebalance') return this.syncError(ErrorCode.REBALANCE_IN_PROGRESS);
    this.touchSession(member);
    if (this.state === 'Stable') return this.syncSuccess(member);

    // CompletingRebalance: park until the leader's assignment arrives
    const result = new Promise<SyncResult>((resolve) => {
      member.syncResolve = resolve;
    });
    if (memberId === this.leaderId) {
      for (const a of assignments) {
        const target = this.members.get(a.memberId);
        if (target !== undefined) target.assignment = Buffer.from(a.assignment);
      }
      this.state = 'Stable';
      for (const m of this.members.values()) {
        const resolve = m.syncResolve;
        m.syncResolve = null;
        resolve?.(this.syncSuccess(m));
      }
    }
    return result;
  }

  private syncSuccess(member: Member): SyncResult {
    return {
      errorCode: ErrorCode.NONE,
      protocolType: this.protocolType,
      protocolName: this.protocolName,
      assignment: member.assignment,
    };
  }

  heartbeat(memberId: string, generationId: number): number {
    const member = this.members.get(memberId);
    if (member === undefined || this.state === 'Empty' || this.state === 'Dead') return ErrorCode.UNKNOWN_MEMBER_ID;
    if (generationId !== this.generationId) return ErrorCode.ILLEGAL_GENERATION;
    this.touchSession(member);
    return this.state === 'PreparingRebalance' ? ErrorCode.REBALANCE_IN_PROGRESS : ErrorCode.NONE;
  }

  /** Removes members on request; returns one error code per member id. */
  leave(memberIds: readonly string[]): number[] {
    const codes = memberIds.map((id) => {
      const member = this.members.get(id);
      if (member === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
      this.removeMember(member, ErrorCode.UNKNOWN_MEMBER_ID);
      return ErrorCode.NONE;
    });
    if (codes.includes(ErrorCode.NONE)) this.membersChanged();
    return codes;
  }

  /** Kafka's checks before accepting an OffsetCommit for this group. */
  validateCommit(memberId: string, generationId: number): number {
    if (this.state === 'Dead') return ErrorCode.NOT_COORDINATOR;
    if (generationId < 0 && this.state === 'Empty') return ErrorCode.NONE;
    const member = this.members.get(memberId);
    if (member === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (generationId !== this.generationId) return ErrorCode.ILLEGAL_GENERATION;
    if (this.state === 'CompletingRebalance') return ErrorCode.REBALANCE_IN_PROGRESS;
    this.touchSession(member);
    return ErrorCode.NONE;
  }

  describeMembers(): Array<{
    memberId: string;
    groupInstanceId: string | null;
    clientId: string;
    clientHost: string;
    metadata: Buffer;
    assignment: Buffer;
  }> {
    return [...this.members.values()].map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      clientId: m.clientId,
      clientHost: m.clientHost,
      metadata: m.metadataFor(this.protocolName),
      assignment: m.assignment,
    }));
  }

  /** Stops every timer and answers parked requests (cluster shutdown). */
  close(): void {
    this.clearRebalanceTimers();
    for (const m of this.members.values()) {
      this.stopSession(m);
      m.joinResolve?.(this.joinError(ErrorCode.NOT_COORDINATOR, m.memberId));
      m.syncResolve?.(this.syncError(ErrorCode.NOT_COORDINATOR));
      m.joinResolve = null;
      m.syncResolve = null;
    }
    this.state = 'Dead';
  }

  private prepareRebalance(): void {
    if (this.state === 'CompletingRebalance') {
      for (const m of this.members.values()) {
        const resolve = m.syncResolve;
        m.syncResolve = null;
        resolve?.(this.syncError(ErrorCode.REBALANCE_IN_PROGRESS));
      }
    }
    const wasEmpty = this.state === 'Empty';
    this.state = 'PreparingRebalance';
    this.clearRebalanceTimers();
    const timeout = Math.max(...[...this.members.values()].map((m) => m.rebalanceTimeoutMs));
    this.rebalanceTimer = setTimeout(() => this.onRebalanceTimeout(), timeout);
    this.rebalanceTimer.unref();
    if (wasEmpty && this.options.initialRebalanceDelayMs > 0) {
      this.initialDelayDeadline = Date.now() + timeout;
      this.startInitialDelay();
      return;
    }
    this.tryCompleteJoin();
  }

  private startInitialDelay(): void {
    if (this.initialDelayTimer !== null) clearTimeout(this.initialDelayTimer);
    const delay = Math.min(this.options.initialRebalanceDelayMs, Math.max(0, this.initialDelayDeadline - Date.now()));
    this.initialDelayTimer = setTimeout(() => {
      this.initialDelayTimer = null;
      this.tryCompleteJoin();
    }, delay);
    this.initialDelayTimer.unref();
  }

  /** New members keep arriving during the initial delay: wait a little longer (as Kafka does). */
  private extendInitialDelay(): void {
    if (this.initialDelayTimer !== null) this.startInitialDelay();
  }

  private tryCompleteJoin(): void {
    if (this.state !== 'PreparingRebalance' || this.initialDelayTimer !== null) return;
    for (const m of this.members.values()) if (m.joinResolve === null) return;
    this.completeJoin();
  }

  private onRebalanceTimeout(): void {
    this.rebalanceTimer = null;
    if (this.state !== 'PreparingRebalance') return;
    for (const m of [...this.members.values()]) {
      if (m.joinResolve === null) this.removeMember(m, ErrorCode.UNKNOWN_MEMBER_ID);
    }
    if (this.initialDelayTimer !== null) {
      clearTimeout(this.initialDelayTimer);
      this.initialDelayTimer = null;
    }
    this.completeJoin();
  }

  private completeJoin(): void {
    this.clearRebalanceTimers();
    this.generationId++;
    if (this.members.size === 0) {
      this.state = 'Empty';
      this.protocolName = null;
      this.leaderId = null;
      return;
    }
    const members = [...this.members.values()];
    this.protocolName = this.selectProtocol(members);
    if (this.leaderId === null || !this.members.has(this.leaderId)) this.leaderId = members[0]!.memberId;
    this.state = 'CompletingRebalance';
    const all = members.map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      metadata: m.metadataFor(this.protocolName),
    }));
    for (const m of members) {
      m.assignment = EMPTY;
      const resolve = m.joinResolve;
      m.joinResolve = null;
      this.touchSession(m);
      resolve?.({
        errorCode: ErrorCode.NONE,
        generationId: this.generationId,
        protocolType: this.protocolType,
        protocolName: this.protocolName,
        leader: this.leaderId,
        memberId: m.memberId,
        members: m.memberId === this.leaderId ? all : [],
      });
    }
  }

  /** The protocol every member supports, by votes of each member's first choice. */
  private selectProtocol(members: readonly Member[]): string | null {
    const first = members[0];
    if (first === undefined) return null;
    const candidates = first.protocols
      .map((p) => p.name)
      .filter((name) => members.every((m) => m.protocols.some((p) => p.name === name)));
    const votes = new Map<string, number>();
    for (const m of members) {
      const choice = m.protocols.find((p) => candidates.includes(p.name));
      if (choice !== undefined) votes.set(choice.name, (votes.get(choice.name) ?? 0) + 1);
    }
    let best: string | null = candidates[0] ?? null;
    for (const name of candidates) if ((votes.get(name) ?? 0) > (votes.get(best ?? '') ?? 0)) best = name;
    return best;
  }

  private membersChanged(): void {
    if (this.members.size === 0) {
      if (this.state !== 'Empty') this.completeJoin();
      return;
    }
    if (this.state === 'PreparingRebalance') this.tryCompleteJoin();
    else if (this.state === 'Stable' || this.state === 'CompletingRebalance') this.prepareRebalance();
  }

  private removeMember(member: Member, errorCode: number): void {
    this.stopSession(member);
    this.members.delete(member.memberId);
    const join = member.joinResolve;
    const sync = member.syncResolve;
    member.joinResolve = null;
    member.syncResolve = null;
    join?.(this.joinError(errorCode, member.memberId));
    sync?.(this.syncError(errorCode));
    if (this.leaderId === member.memberId) this.leaderId = null;
  }

  private touchSession(member: Member): void {
    this.stopSession(member);
    member.sessionTimer = setTimeout(() => this.onSessionExpired(member), member.sessionTimeoutMs);
    member.sessionTimer.unref();
  }

  private stopSession(member: Member): void {
    if (member.sessionTimer !== null) clearTimeout(member.sessionTimer);
    member.sessionTimer = null;
  }

  private onSessionExpired(member: Member): void {
    member.sessionTimer = null;
    if (this.members.get(member.memberId) !== member || member.joinResolve !== null) return;
    this.removeMember(member, ErrorCode.UNKNOWN_MEMBER_ID);
    this.membersChanged();
  }

  private clearRebalanceTimers(): void {
    if (this.rebalanceTimer !== null) clearTimeout(this.rebalanceTimer);
    if (this.initialDelayTimer !== null) clearTimeout(this.initialDelayTimer);
    this.rebalanceTimer = null;
    this.initialDelayTimer = null;
  }
}
