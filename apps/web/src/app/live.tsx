import { createContext, useContext, useEffect, useRef, useState, type ReactNode } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import type { SseMessage } from '../lib/sse';
import { currentToken } from './session';
import { openEventStream, type StreamStatus } from './event-stream';
import { createLiveCacheUpdater } from './live-cache';

export type LiveEvent = { id: string | null; type: string; entityType?: string; entityId?: string; data?: Record<string, unknown> };

const StatusContext = createContext<StreamStatus>('closed');
type Listener = (event: LiveEvent) => void;
const listeners = new Set<Listener>();

/** Subscribe to raw live events (e.g. to show a notification); the cache is updated anyway. */
export function onLiveEvent(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function parseLiveEvent(message: SseMessage): LiveEvent | null {
  if (message.event === 'ping' || message.event === 'heartbeat' || message.data === '') return null;
  try {
    const body = JSON.parse(message.data) as Record<string, unknown>;
    const type = typeof body.type === 'string' ? body.type : message.event;
    return {
      id: message.id,
      type,
      entityType: typeof body.entityType === 'string' ? body.entityType : undefined,
      entityId: typeof body.entityId === 'string' ? body.entityId : undefined,
      data: body.data && typeof body.data === 'object' ? (body.data as Record<string, unknown>) : body,
    };
  } catch {
    return { id: message.id, type: message.event };
  }
}

export function LiveEventsProvider({ children }: { children: ReactNode }) {
  const client = useQueryClient();
  const [status, setStatus] = useState<StreamStatus>('connecting');
  const apply = useRef(createLiveCacheUpdater(client));

  useEffect(() => {
    const stream = openEventStream({
      url: '/api/v1/events',
      token: currentToken,
      onStatus: setStatus,
      onMessage: (message) => {
        const event = parseLiveEvent(message);
        if (!event) return;
        apply.current(event.type === 'resync' ? { type: 'resync' } : event);
        for (const l of listeners) l(event);
      },
    });
    return () => stream.close();
  }, [client]);

  return <StatusContext.Provider value={status}>{children}</StatusContext.Provider>;
}

export function useLiveStatus(): StreamStatus {
  return useContext(StatusContext);
}
