import { Group, type JoinRequestData, type JoinResult } from '../../../../local/kafka/group.ts';
import { ErrorCode } from '../../../../local/kafka/protocol/errors.ts';

function joinRequest(memberId = '', overrides: Partial<JoinRequestData> = {}): JoinRequestData {
  return {
    memberId,
    groupInstanceId: null,
    clientId: 'c',
    clientHost: '/127.0.0.1',
    sessionTimeoutMs: 200,
    rebalanceTimeoutMs: 1000,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: Buffer.from('m') }],
    ...overrides,
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('consumer group state machine', () => {
  const groups: Group[] = [];
  afterEach(() => {
    for (const g of groups.splice(0)) g.close();
  });

  function group(initialRebalanceDelayMs = 50): Group {
    const g = new Group('g', { initialRebalanceDelayMs });
    groups.push(g);
    return g;
  }

  async function stableTwoMembers(g: Group): Promise<[JoinResult, JoinResult]> {
    const [a, b] = await Promise.all([g.join(joinRequest()), g.join(joinRequest())]);
    const leader = a.memberId === a.leader ? a : b;
    const follower = leader === a ? b : a;
    const assignments = [leader, follower].map((m) => ({
      memberId: m.memberId,
      assignment: Buffer.from(`for-${m.memberId}`),
    }));
    await Promise.all([
      g.sync(follower.memberId, follower.generationId, []),
      g.sync(leader.memberId, leader.generationId, assignments),
    ]);
    return [leader, follower];
  }

  it('gives members that start together one generation, the member list to the leader only', async () => {
    const g = group(50);
    const [a, b] = await Promise.all([g.join(joinRequest()), g.join(joinRequest())]);
    expect(a.generationId).toBe(1);
    expect(b.generationId).toBe(1);
    expect(a.leader).toBe(b.leader);
    const leader = a.memberId === a.leader ? a : b;
    const follower = leader === a ? b : a;
    expect(leader.members).toHaveLength(2);
    expect(follower.members).toHaveLength(0);
    expect(g.state).toBe('CompletingRebalance');
  });

  it('hands every member the assignment the leader chose', async () => {
    const g = group();
    const [a, b] = await Promise.all([g.join(joinRequest()), g.join(joinRequest())]);
    const leader = a.memberId === a.leader ? a : b;
    const follower = leader === a ? b : a;
    const followerSync = g.sync(follower.memberId, 1, []);
    const leaderSync = g.sync(leader.memberId, 1, [{ memberId: follower.memberId, assignment: Buffer.from('p0') }]);
    expect((await followerSync).assignment.toString()).toBe('p0');
    expect((await leaderSync).errorCode).toBe(ErrorCode.NONE);
    expect(g.state).toBe('Stable');
  });

  it('tells existing members to rejoin when a new member arrives', async () => {
    const g = group();
    const [leader, follower] = await stableTwoMembers(g);
    const joining = g.join(joinRequest());
    expect(g.heartbeat(follower.memberId, follower.generationId)).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    const rejoins = [g.join(joinRequest(leader.memberId)), g.join(joinRequest(follower.memberId))];
    const results = await Promise.all([joining, ...rejoins]);
    expect(results.map((r) => r.generationId)).toEqual([2, 2, 2]);
    expect(results.map((r) => r.leader)).toEqual([leader.memberId, leader.memberId, leader.memberId]);
  });

  it('answers ILLEGAL_GENERATION to an old generation and UNKNOWN_MEMBER_ID to a stranger', async () => {
    const g = group();
    const [leader] = await stableTwoMembers(g);
    expect(g.heartbeat(leader.memberId, leader.generationId - 1)).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect(g.heartbeat('nobody', leader.generationId)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(await g.sync(leader.memberId, 99, [])).toMatchObject({ errorCode: ErrorCode.ILLEGAL_GENERATION });
    expect(g.validateCommit(leader.memberId, leader.generationId - 1)).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect(g.validateCommit('nobody', leader.generationId)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(g.validateCommit(leader.memberId, leader.generationId)).toBe(ErrorCode.NONE);
    expect(await g.join(joinRequest('nobody'))).toMatchObject({ errorCode: ErrorCode.UNKNOWN_MEMBER_ID });
  });

  it('rebalances when a member leaves', async () => {
    const g = group();
    const [leader, follower] = await stableTwoMembers(g);
    expect(g.leave([follower.memberId])).toEqual([ErrorCode.NONE]);
    expect(g.state).toBe('PreparingRebalance');
    const rejoined = await g.join(joinRequest(leader.memberId));
    expect(rejoined).toMatchObject({ errorCode: ErrorCode.NONE, generationId: 2 });
    expect(rejoined.members.map((m) => m.memberId)).toEqual([leader.memberId]);
  });

  it('expires a member that stops heartbeating and rebalances without it', async () => {
    const g = group();
    const [leader, follower] = await stableTwoMembers(g);
    for (let i = 0; i < 4; i++) {
      await sleep(80);
      g.heartbeat(leader.memberId, leader.generationId); // only the leader keeps its session
    }
    expect(g.members.has(follower.memberId)).toBe(false);
    expect(g.heartbeat(leader.memberId, leader.generationId)).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    const rejoined = await g.join(joinRequest(leader.memberId));
    expect(rejoined.members).toHaveLength(1);
  });

  it('refuses commits while assignments are being handed out', async () => {
    const g = group();
    const [a] = await Promise.all([g.join(joinRequest()), g.join(joinRequest())]);
    expect(g.validateCommit(a.memberId, a.generationId)).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
  });

  it('completes a lone member at once without an initial delay, then waits for it to rejoin', async () => {
    const g = group(0);
    const first = await g.join(joinRequest());
    expect(first).toMatchObject({ errorCode: ErrorCode.NONE, generationId: 1, leader: first.memberId });
    const second = g.join(joinRequest());
    expect(g.state).toBe('PreparingRebalance');
    const rejoin = await g.join(joinRequest(first.memberId));
    expect(rejoin.generationId).toBe(2);
    expect((await second).generationId).toBe(2);
  });

  it('rejects a member whose protocols do not match the group', async () => {
    const g = group();
    await g.join(joinRequest());
    const other = await g.join(
      joinRequest('', { protocols: [{ name: 'cooperative-sticky', metadata: Buffer.alloc(0) }] }),
    );
    expect(other.errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  });
});
