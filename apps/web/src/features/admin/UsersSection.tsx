import { useState } from 'react';
import { Stack } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import type { InvitationLink, InvitedMember, Membership, Region } from '@yardmaster/contracts';
import { api } from '../../lib/api';
import { ResourceAdmin } from './components/ResourceAdmin';
import { InvitationLinkPanel, MemberAccountActions } from './components/MemberAccountActions';
import { usersSpec } from './specs';

/** Users and roles: invite (the link is shown to pass on), edit roles, and each member's account actions. */
export function UsersSection() {
  const regions =
    useQuery({
      queryKey: ['regions', 'options'],
      queryFn: ({ signal }) => api.get<{ items: Region[] }>('/api/v1/regions', {}, signal),
      select: (page) => page.items.map((r) => ({ value: r.code, label: `${r.code} — ${r.name}` })),
    }).data ?? [];
  const [invited, setInvited] = useState<{ link: InvitationLink; email: string } | null>(null);
  return (
    <Stack>
      {invited ? <InvitationLinkPanel invitation={invited.link} email={invited.email} onClose={() => setInvited(null)} /> : null}
      <ResourceAdmin
        spec={usersSpec(regions)}
        rowActions={(m: Membership) => <MemberAccountActions member={m} onInvited={(link, email) => setInvited({ link, email })} />}
        onCreated={(created) => {
          const member = created as InvitedMember;
          if (member.invitation) setInvited({ link: member.invitation, email: member.email ?? '' });
        }}
      />
    </Stack>
  );
}
