import { lazy } from 'react';
import { createBrowserRouter, Navigate } from 'react-router';
import { CallbackPage, OrganisationSignInPage } from '../features/auth/AuthPages';
import { DriverPage } from '../features/driver/DriverPage';
import { HomeRedirect, RequireRole, RequireSession } from './Guard';
import { Layout } from './Layout';
import { ScreenError } from './ScreenError';
import { CALLBACK_PATH, SIGN_IN_PATH } from './session';

// The timeline and the map (MapLibre) are their own chunks, like every screen below.
const TimelinePage = lazy(() => import('../features/timeline/TimelinePage').then((m) => ({ default: m.TimelinePage })));
const MapPage = lazy(() => import('../features/map/MapPage').then((m) => ({ default: m.MapPage })));

// Screens load on first visit (the driver app, needed offline, stays in the first bundle).
const AccountPage = lazy(() => import('../features/account/AccountPage').then((m) => ({ default: m.AccountPage })));
const AdminPage = lazy(() => import('../features/admin/AdminPage').then((m) => ({ default: m.AdminPage })));
const AuditPage = lazy(() => import('../features/audit/AuditPage').then((m) => ({ default: m.AuditPage })));
const DispatchPage = lazy(() => import('../features/dispatch/DispatchPage').then((m) => ({ default: m.DispatchPage })));
const ReportDetailPage = lazy(() => import('../features/reports/ReportDetailPage').then((m) => ({ default: m.ReportDetailPage })));
const ReportsPage = lazy(() => import('../features/reports/ReportsPage').then((m) => ({ default: m.ReportsPage })));
const PlanningPage = lazy(() => import('../features/planning/PlanningPage').then((m) => ({ default: m.PlanningPage })));
const WorkOrderDetailPage = lazy(() =>
  import('../features/work-orders/WorkOrderDetailPage').then((m) => ({ default: m.WorkOrderDetailPage })),
);

/** The route map: every screen of the app, with who may open it. */
export const router = createBrowserRouter([
  { path: CALLBACK_PATH, element: <CallbackPage /> },
  { path: SIGN_IN_PATH, element: <OrganisationSignInPage /> },
  {
    element: <RequireSession />,
    children: [
      {
        element: <Layout />,
        children: [
          {
            // A screen that fails to render shows the error inside the shell (navigation stays usable).
            errorElement: <ScreenError />,
            children: [
              { index: true, element: <HomeRedirect /> },
              // Everyone's own account (password, sessions); what it offers depends on the identity provider.
              { path: 'account', element: <AccountPage /> },
              {
                path: 'dispatch',
                element: (
                  <RequireRole roles={['dispatcher', 'admin']}>
                    <DispatchPage />
                  </RequireRole>
                ),
              },
              {
                path: 'timeline',
                element: (
                  <RequireRole roles={['dispatcher', 'admin']}>
                    <TimelinePage />
                  </RequireRole>
                ),
              },
              {
                path: 'map',
                element: (
                  <RequireRole roles={['dispatcher', 'admin']}>
                    <MapPage />
                  </RequireRole>
                ),
              },
              {
                path: 'driver',
                element: (
                  <RequireRole roles={['driver']}>
                    <DriverPage />
                  </RequireRole>
                ),
              },
              {
                path: 'admin/:section?',
                element: (
                  <RequireRole roles={['admin']}>
                    <AdminPage />
                  </RequireRole>
                ),
              },
              {
                path: 'reports',
                element: (
                  <RequireRole roles={['admin', 'dispatcher', 'viewer', 'driver']}>
                    <ReportsPage />
                  </RequireRole>
                ),
              },
              {
                path: 'reports/:id',
                element: (
                  <RequireRole roles={['admin', 'dispatcher', 'viewer', 'driver']}>
                    <ReportDetailPage />
                  </RequireRole>
                ),
              },
              {
                path: 'work-orders/:number',
                element: (
                  <RequireRole roles={['admin', 'dispatcher', 'viewer']}>
                    <WorkOrderDetailPage />
                  </RequireRole>
                ),
              },
              {
                path: 'planning/:section?',
                element: (
                  <RequireRole roles={['admin', 'dispatcher', 'viewer', 'driver']}>
                    <PlanningPage />
                  </RequireRole>
                ),
              },
              {
                path: 'audit',
                element: (
                  <RequireRole roles={['admin', 'viewer']}>
                    <AuditPage />
                  </RequireRole>
                ),
              },
              { path: '*', element: <Navigate to="/" replace /> },
            ],
          },
        ],
      },
    ],
  },
]);
