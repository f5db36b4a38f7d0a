import { useState } from 'react';
import { Anchor, Badge, Button, Card, Group, Stack, Table, Text, Textarea, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconMapPin, IconPhone } from '@tabler/icons-react';
import { Link } from 'react-router';
import { useMe } from '../../app/session';
import { messageOf } from '../../lib/api';
import { formatDate, formatTime } from '../../lib/time';
import { EmptyState, ErrorState, LoadingState, ProblemAlert } from '../../ui/States';
import { nextDriverStep, PRIORITY_COLOR, statusLabel } from '../dispatch/model';
import { useAdvance, useDecline, useMyDispatch, useMyProfile, type MyDispatch } from './api';

function CurrentDispatch({ d }: { d: MyDispatch }) {
  const { timeZone } = useMe();
  const advance = useAdvance();
  const decline = useDecline();
  const [notes, setNotes] = useState('');
  const [declining, setDeclining] = useState(false);
  const step = nextDriverStep(d.status);
  const mapUrl = `https://www.openstreetmap.org/search?query=${encodeURIComponent(d.site.address)}`;
  return (
    <Card withBorder padding="md" data-testid="my-dispatch" data-status={d.status}>
      <Group justify="space-between">
        <Text fw={700} size="lg">
          {d.workOrderNumber}
        </Text>
        <Badge color={PRIORITY_COLOR[d.priority]}>{d.priority}</Badge>
      </Group>
      <Badge mt={4} size="lg" variant="light" data-testid="my-dispatch-status">
        {statusLabel(d.status)}
      </Badge>
      <Text size="xs" c="dimmed">
        since {formatTime(d.changedAt, timeZone)}
      </Text>
      {d.description ? <Text mt="sm">{d.description}</Text> : null}
      {d.equipment ? (
        <Text size="sm" mt="xs">
          Equipment: <b>{d.equipment.name}</b> ({d.equipment.assetTag})
        </Text>
      ) : null}
      <Stack gap={4} mt="sm">
        <Text fw={600}>{d.site.name}</Text>
        {d.site.address ? (
        <Group gap={4} wrap="nowrap">
          <IconMapPin size={16} />
          <Anchor href={mapUrl} target="_blank" rel="noreferrer" size="sm">
            {d.site.address}
          </Anchor>
        </Group>
        ) : null}
        {d.site.contactName || d.site.contactPhone ? (
          <Group gap={4} wrap="nowrap">
            <IconPhone size={16} />
            <Text size="sm">{d.site.contactName}</Text>
            {d.site.contactPhone ? (
              <Anchor href={`tel:${d.site.contactPhone}`} size="sm">
                {d.site.contactPhone}
              </Anchor>
            ) : null}
          </Group>
        ) : null}
        {d.site.notes ? (
          <Text size="sm" c="dimmed">
            {d.site.notes}
          </Text>
        ) : null}
      </Stack>
      {step ? (
        <Stack mt="md" gap="xs">
          {step.to === 'completed' ? <Textarea label="Notes for the report" autosize minRows={2} value={notes} onChange={(e) => setNotes(e.currentTarget.value)} /> : null}
          <Button
            size="lg"
            fullWidth
            loading={advance.isPending}
            onClick={() =>
              advance.mutate(
                { id: d.id, version: d.version, to: step.to, notes: step.to === 'completed' ? notes : undefined },
                { onSuccess: () => notifications.show({ color: 'teal', message: statusLabel(step.to) }) },
              )
            }
          >
            {step.label}
          </Button>
          <ProblemAlert error={advance.error} />
        </Stack>
      ) : null}
      {d.status === 'dispatched' ? (
        declining ? (
          <Stack mt="sm" gap="xs">
            <Textarea label="Why do you decline?" autosize minRows={2} value={notes} onChange={(e) => setNotes(e.currentTarget.value)} />
            <Group grow>
              <Button variant="default" onClick={() => setDeclining(false)}>
                Back
              </Button>
              <Button
                color="red"
                disabled={!notes.trim()}
                loading={decline.isPending}
                onClick={() => decline.mutate({ id: d.id, version: d.version, reason: notes.trim() }, { onError: (e) => notifications.show({ color: 'red', message: messageOf(e) }) })}
              >
                Decline
              </Button>
            </Group>
          </Stack>
        ) : (
          <Button mt="sm" variant="subtle" color="red" fullWidth onClick={() => setDeclining(true)}>
            Decline this dispatch
          </Button>
        )
      ) : null}
    </Card>
  );
}

function MyQualifications() {
  const profile = useMyProfile();
  const { timeZone } = useMe();
  if (profile.isPending) return <LoadingState />;
  if (profile.error) return <ErrorState error={profile.error} />;
  const soon = Date.now() + 30 * 86_400_000;
  return (
    <Card withBorder>
      <Group justify="space-between">
        <Text fw={600}>My qualifications</Text>
        <Badge color={profile.data.dutyStatus === 'on_duty' ? 'teal' : 'gray'}>{profile.data.dutyStatus.replace('_', ' ')}</Badge>
      </Group>
      <Table mt="xs">
        <Table.Tbody>
          {profile.data.qualifications.length === 0 ? (
            <Table.Tr>
              <Table.Td c="dimmed">No qualifications recorded.</Table.Td>
            </Table.Tr>
          ) : null}
          {profile.data.qualifications.map((q) => {
            const expires = q.expiresAt ? new Date(q.expiresAt).getTime() : null;
            return (
              <Table.Tr key={q.qualificationId}>
                <Table.Td>
                  <b>{q.code}</b> {q.name}
                </Table.Td>
                <Table.Td>
                  {expires === null ? (
                    <Text size="sm" c="dimmed">
                      no expiry
                    </Text>
                  ) : (
                    <Badge color={expires < Date.now() ? 'red' : expires < soon ? 'orange' : 'gray'} variant="light">
                      {expires < Date.now() ? 'expired' : 'expires'} {formatDate(q.expiresAt, timeZone)}
                    </Badge>
                  )}
                </Table.Td>
              </Table.Tr>
            );
          })}
        </Table.Tbody>
      </Table>
    </Card>
  );
}

export function DriverPage() {
  const current = useMyDispatch();
  return (
    <Stack maw={560} mx="auto">
      <Title order={2}>My dispatch</Title>
      {current.isPending ? (
        <LoadingState />
      ) : current.error ? (
        <ErrorState error={current.error} onRetry={() => void current.refetch()} />
      ) : current.data.dispatch ? (
        <CurrentDispatch d={current.data.dispatch} />
      ) : (
        <EmptyState title="No dispatch right now">You will see your next job here the moment it is assigned.</EmptyState>
      )}
      <MyQualifications />
      <Anchor component={Link} to="/reports">
        My status reports →
      </Anchor>
    </Stack>
  );
}
