import '@mantine/core/styles.css';
import '@mantine/notifications/styles.css';
import '@mantine/dates/styles.css';
import '@mantine/charts/styles.css';
import './app.css';
import { Drawer, MantineProvider, Modal, Notification, createTheme } from '@mantine/core';
import { Notifications } from '@mantine/notifications';
import { setNonce } from 'get-nonce';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { RouterProvider } from 'react-router';
import { t } from '../i18n';
import { isProblemError } from '../lib/api';
import { router } from './routes';
import { SessionProvider } from './session';

// Every dialog's close button has a name (axe: button-name); blue 7+ keeps white text at 4.5:1.
const theme = createTheme({
  primaryColor: 'blue',
  primaryShade: { light: 8, dark: 8 },
  defaultRadius: 'md',
  components: {
    Modal: Modal.extend({ defaultProps: { closeButtonProps: { 'aria-label': t('common.close') } } }),
    Drawer: Drawer.extend({ defaultProps: { closeButtonProps: { 'aria-label': t('common.close') } } }),
    Notification: Notification.extend({
      defaultProps: { closeButtonProps: { 'aria-label': t('common.close') } },
      styles: { description: { color: 'var(--mantine-color-text)' } },
    }),
  },
});

/** The server's Content-Security-Policy allows `<style>` elements with this response's nonce only. */
const styleNonce = document.querySelector<HTMLMetaElement>('meta[name="csp-nonce"]')?.content;
const getStyleNonce = (): string => styleNonce ?? '';
// Dialogs' scroll lock (react-remove-scroll) adds its own <style>: it takes the nonce from get-nonce.
if (styleNonce) setNonce(styleNonce);

export const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 15_000,
      refetchOnWindowFocus: true,
      // Refusals (4xx) are answers, not glitches: do not retry them.
      retry: (count, error) => !(isProblemError(error) && error.status >= 400 && error.status < 500) && count < 2,
    },
  },
});

export function App() {
  return (
    <MantineProvider theme={theme} defaultColorScheme="auto" getStyleNonce={getStyleNonce}>
      <Notifications position="bottom-right" />
      <QueryClientProvider client={queryClient}>
        <SessionProvider>
          <RouterProvider router={router} />
        </SessionProvider>
      </QueryClientProvider>
    </MantineProvider>
  );
}
