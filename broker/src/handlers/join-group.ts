// JoinGroup (key 11), v0–9. Delegates to the group coordinator; the response waits until the rebalance's
// join phase completes. v4+ new members first get MEMBER_ID_REQUIRED with their id (KIP-394); v5+ static
// members (group.instance.id). v0 has no rebalance timeout: the session timeout serves as both.
// Needs READ on the group (else GROUP_AUTHORIZATION_FAILED).
import { ErrorCode } from '../protocol/errors';
import { ApiKey } from '../protocol/apis';
import type { JoinGroupRequest, JoinGroupResponse } from '../protocol/schema/types';
import { boundUtf8 } from '../protocol/bounded-string';
import { defineHandler } from './handler';
import { AclOperation, ResourceType } from '../security/acl';

export default defineHandler<JoinGroupRequest, JoinGroupResponse>({
  apiKey: ApiKey.JoinGroup,
  minVersion: 0,
  maxVersion: 9,
  async handle(req, ctx) {
    if (!ctx.authorize(AclOperation.READ, ResourceType.GROUP, req.groupId)) {
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED,
        generationId: -1,
        protocolType: null,
        protocolName: ctx.apiVersion >= 7 ? null : '',
        leader: '',
        skipAssignment: false,
        memberId: '',
        members: [],
      };
    }
    const r = await ctx.services.groups.join({
      groupId: req.groupId,
      memberId: req.memberId,
      groupInstanceId: req.groupInstanceId,
      // Kept for DescribeGroups and the group's stored metadata, so it must stay encodable.
      clientId: boundUtf8(ctx.clientId ?? ''),
      clientHost: ctx.remoteAddress.replace(/:\d+$/, ''),
      sessionTimeoutMs: req.sessionTimeoutMs,
      rebalanceTimeoutMs: req.rebalanceTimeoutMs >= 0 ? req.rebalanceTimeoutMs : req.sessionTimeoutMs,
      protocolType: req.protocolType,
      protocols: req.protocols.map((p) => ({ name: p.name, metadata: p.metadata })),
      requireKnownMemberId: ctx.apiVersion >= 4,
    });
    return {
      throttleTimeMs: 0,
      errorCode: r.errorCode,
      generationId: r.generationId,
      protocolType: r.protocolType,
      // Before v7 the protocol name is not nullable.
      protocolName: r.protocolName ?? (ctx.apiVersion >= 7 ? null : ''),
      leader: r.leader,
      skipAssignment: false,
      memberId: r.memberId,
      members: r.members,
    };
  },
});
