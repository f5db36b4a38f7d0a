import { Button } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconDownload } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import { messageOf } from '../../../lib/api';
import type { ExportFormat } from '../api';

const FORMATS: readonly ExportFormat[] = ['csv', 'xlsx'];

/** "Export CSV" and "Export Excel": each downloads in its format; a refusal is shown as a notice. */
export function ExportButtons({ download }: { download: (format: ExportFormat) => Promise<unknown> }) {
  const { t } = useTranslation();
  return FORMATS.map((format) => (
    <Button
      key={format}
      variant="default"
      leftSection={<IconDownload size={16} />}
      onClick={() => void download(format).catch((e: unknown) => notifications.show({ color: 'red', message: messageOf(e) }))}
    >
      {t(format === 'csv' ? 'reports.exportCsv' : 'reports.exportXlsx')}
    </Button>
  ));
}
