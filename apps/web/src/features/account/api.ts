import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { AccountSession, ChangePassword, EndedSessions } from '@yardmaster/contracts';
import { api } from '../../lib/api';

/** Query keys of the signed-in person's own account. */
export const accountKeys = {
  all: ['account'] as const,
  sessions: () => [...accountKeys.all, 'sessions'] as const,
};

export function useMySessions() {
  return useQuery({
    queryKey: accountKeys.sessions(),
    queryFn: ({ signal }) => api.get<{ items: AccountSession[] }>('/api/v1/account/sessions', undefined, signal),
    retry: false,
  });
}

export function useChangePassword() {
  return useMutation({ mutationFn: (body: ChangePassword) => api.post<void>('/api/v1/account/password', body) });
}

export function useSignOutEverywhere() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => api.post<EndedSessions>('/api/v1/account/sessions/sign-out-all'),
    onSuccess: async () => client.invalidateQueries({ queryKey: accountKeys.all }),
  });
}
