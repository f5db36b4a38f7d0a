import {
  DEFAULT_LOCALE,
  LocaleSchema,
  LocaleSettingsSchema,
  SUPPORTED_LOCALES,
  type Locale,
  type LocaleSettings,
} from '@yardmaster/contracts';
import type { Caller } from '../../platform/caller.js';
import type { TenantTx } from '../../platform/db/index.js';
import { unprocessable } from '../../platform/errors.js';
import { tenantSettings } from '../../platform/tenant-settings.js';
import { recordAudit } from '../audit/index.js';

const KEY = 'locale';

/** `tenant_settings['locale']`: `{ locale }`; en-GB until an admin chooses, so existing tenants see no change. */
const localeSettings = tenantSettings(KEY, LocaleSettingsSchema, () => ({ locale: DEFAULT_LOCALE }));

/** select value from tenant_settings where key = 'locale' (en-GB when unset or no longer supported) */
export async function readLocaleSettings(tx: TenantTx): Promise<LocaleSettings> {
  return localeSettings.read(tx);
}

export async function readTenantLocale(tx: TenantTx): Promise<Locale> {
  return (await localeSettings.read(tx)).locale;
}

/** Sets the tenant's locale; a tag outside the supported list is refused (422 on `locale`), nothing changed. */
export async function updateLocaleSettings(tx: TenantTx, caller: Caller, requested: string): Promise<LocaleSettings> {
  const parsed = LocaleSchema.safeParse(requested);
  if (!parsed.success) {
    const message = `not a supported locale; one of ${SUPPORTED_LOCALES.join(', ')}`;
    throw unprocessable('settings/unsupported-locale', `locale: ${message}`, [{ field: 'locale', message }]);
  }
  const { before, after } = await localeSettings.update(tx, { locale: parsed.data });
  await recordAudit(tx, caller, { action: 'settings.locale_updated', entityType: 'tenant_settings', entityId: KEY, before, after });
  return after;
}
