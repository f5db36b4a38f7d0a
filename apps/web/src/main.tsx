import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import './i18n';
import { App } from './app/App';
import { registerServiceWorker } from './app/service-worker';

const root = document.getElementById('root');
if (!root) throw new Error('no #root element');
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);

// The installable, offline-capable driver app: its service worker (the driver page registers it too).
if (window.location.pathname.startsWith('/driver')) window.addEventListener('load', registerServiceWorker);
