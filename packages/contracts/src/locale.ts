import { z } from 'zod';
import { text } from './text.js';

/**
 * The languages and regions a tenant may show dates in (BCP 47). A fixed list: the web app ships
 * the calendar names of each (dayjs locale files), so a tag outside it could not be honoured.
 */
export const SUPPORTED_LOCALES = ['en-GB', 'en-US', 'de-DE', 'fr-FR', 'es-ES', 'nl-NL', 'it-IT', 'pl-PL'] as const;
export const LocaleSchema = z.enum(SUPPORTED_LOCALES);
export type Locale = z.infer<typeof LocaleSchema>;
/** What every tenant shows until an admin chooses otherwise. */
export const DEFAULT_LOCALE: Locale = 'en-GB';

export const LocaleSettingsSchema = z.object({
  locale: LocaleSchema.describe('how dates are written and which language calendars use, e.g. `de-DE` (default `en-GB`)'),
});
export type LocaleSettings = z.infer<typeof LocaleSettingsSchema>;

/** Any tag is accepted in shape; one outside SUPPORTED_LOCALES is refused with 422 naming `locale`. */
export const UpdateLocaleSettingsSchema = z.object({ locale: text().min(1).max(35) }).strict();
export type UpdateLocaleSettings = z.infer<typeof UpdateLocaleSettingsSchema>;
