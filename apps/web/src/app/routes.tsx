import { createBrowserRouter, Navigate } from 'react-router';
import { CallbackPage } from '../features/auth/AuthPages';
import { AdminPage } from '../features/admin/AdminPage';
import { AuditPage } from '../features/audit/AuditPage';
import { DispatchPage } from '../features/dispatch/DispatchPage';
import { DriverPage } from '../features/driver/DriverPage';
import { PlanningPage } from '../features/planning/PlanningPage';
import { ReportDetailPage } from '../features/reports/ReportDetailPage';
import { ReportsPage } from '../features/reports/ReportsPage';
import { WorkOrderDetailPage } from '../features/work-orders/WorkOrderDetailPage';
import { HomeRedirect, RequireRole, RequireSession } from './Guard';
import { Layout } from './Layout';
import { CALLBACK_PATH } from './session';

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
          { path: 'driver', element: <RequireRole roles={['driver']}><DriverPage /></RequireRole> },
          { path: 'admin/:section?', element: <RequireRole roles={['admin']}><AdminPage /></RequireRole> },
          { path: 'reports', element: <RequireRole roles={['admin', 'dispatcher', 'viewer', 'driver']}><ReportsPage /></RequireRole> },
          { path: 'reports/:id', element: <RequireRole roles={['admin', 'dispatcher', 'viewer', 'driver']}><ReportDetailPage /></RequireRole> },
          { path: 'work-orders/:number', element: <RequireRole roles={['admin', 'dispatcher', 'viewer']}><WorkOrderDetailPage /></RequireRole> },
          { path: 'planning/:section?', element: <RequireRole roles={['admin', 'dispatcher', 'viewer', 'driver']}><PlanningPage /></RequireRole> },
          { path: 'audit', element: <RequireRole roles={['admin', 'viewer']}><AuditPage /></RequireRole> },
          { path: '*', element: <Navigate to="/" replace /> },
        ],
      },
    ],
  },
]);
