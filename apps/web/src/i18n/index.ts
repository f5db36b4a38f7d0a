import i18next from 'i18next';
import { initReactI18next } from 'react-i18next';
import en from './en.json';

/**
 * The message catalogue. Every string the app shows lives in `<language>.json` beside this file
 * (English complete); a translation is one more file registered in `resources`. Keys are grouped
 * by screen (`common`, `layout`, `dispatch`, `notifications` …); plurals use i18next's `_one` /
 * `_other` suffixes, values `{{name}}` interpolation.
 */
export const resources = { en: { translation: en } } as const;

export const i18n = i18next.createInstance();
void i18n.use(initReactI18next).init({
  resources,
  lng: 'en',
  fallbackLng: 'en',
  // React escapes already.
  interpolation: { escapeValue: false },
  initAsync: false,
  returnNull: false,
});

/** A string outside React (notifications, document titles). */
export const t = i18n.t.bind(i18n);
