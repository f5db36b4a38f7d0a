import { lazy, Suspense, type ReactNode } from 'react';
import { createBrowserRouter, Navigate } from 'react-router';
import { CallbackPage } from '../features/auth/AuthPages';
import { AdminPage } from '../features/admin/AdminPage';
import { AuditPage } from '../features/audit/AuditPage';
import { DispatchPage } from '../features/dispatch/DispatchPage';
import { DriverPage } from '../features/driver/DriverPage';
import { ReportDetailPage } from '../features/reports/ReportDetailPage';
import { ReportsPage } from '../features/reports/ReportsPage';
import { WorkOrderDetailPage } from '../features/work-orders/WorkOrderDetailPage';
import { HomeRedirect, RequireRole, RequireSession } from './Guard';
import { Layout } from './Layout';
import { CALLBACK_PATH } from './session';
import { LoadingState } from '../ui/States';

// The timeline and the map (MapLibre) are their own chunks: the first screen does not wait for them.
const TimelinePage = lazy(() => import('../features/timeline/TimelinePage').then((m) => ({ default: m.TimelinePage })));
const MapPage = lazy(() => import('../features/map/MapPage').then((m) => ({ default: m.MapPage })));
const later = (page: ReactNode) => <Suspense fallback={<LoadingState />}>{page}</Suspense>;

/** The route map: every screen of the app, with who may open it. */
export const router = createBrowserRouter([
  { path: CALLBACK_PATH, element: <CallbackPage /> },
  {
    element: <RequireSession />,
    children: [
      {
        element: <Layout />,
        children: [
          { index: true, element: <HomeRedirect /> },
          { path: 'dispatch', element: <RequireRole roles={['dispatcher', 'admin']}><DispatchPage /></RequireRole> },
          { path: 'timeline', element: <RequireRole roles={['dispatcher', 'admin']}>{later(<TimelinePage />)}</RequireRole> },
          { path: 'map', element: <RequireRole roles={['dispatcher', 'admin']}>{later(<MapPage />)}</RequireRole> },
          { path: 'driver', element: <RequireRole roles={['driver']}><DriverPage /></RequireRole> },
          { path: 'admin/:section?', element: <RequireRole roles={['admin']}><AdminPage /></RequireRole> },
          { path: 'reports', element: <RequireRole roles={['admin', 'dispatcher', 'viewer', 'driver']}><ReportsPage /></RequireRole> },
          { path: 'reports/:id', element: <RequireRole roles={['admin', 'dispatcher', 'viewer', 'driver']}><ReportDetailPage /></RequireRole> },
          { path: 'work-orders/:number', element: <RequireRole roles={['admin', 'dispatcher', 'viewer']}><WorkOrderDetailPage /></RequireRole> },
          { path: 'audit', element: <RequireRole roles={['admin', 'viewer']}><AuditPage /></RequireRole> },
          { path: '*', element: <Navigate to="/" replace /> },
        ],
      },
    ],
  },
]);
