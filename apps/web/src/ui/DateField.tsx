import { useState } from 'react';
import { DateInput, DatesProvider, type DateInputProps } from '@mantine/dates';
import { IconCalendar } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
// The calendar names of every supported locale, bundled (small, and no code is evaluated at run time).
import 'dayjs/locale/en-gb';
import 'dayjs/locale/de';
import 'dayjs/locale/fr';
import 'dayjs/locale/es';
import 'dayjs/locale/nl';
import 'dayjs/locale/it';
import 'dayjs/locale/pl';
import { useSession } from '../app/session';
import { dateEntryOf, formatTypedDate, parseTypedDate } from '../lib/date-entry';

/** A calendar day's name for screen readers, the locale's long date ('15. März 2027'). */
function dayLabel(day: string, locale: string): string {
  return new Intl.DateTimeFormat(locale, { dateStyle: 'long', timeZone: 'UTC' }).format(new Date(`${day.slice(0, 10)}T00:00:00Z`));
}

export type DateFieldProps = Omit<DateInputProps, 'value' | 'defaultValue' | 'onChange' | 'valueFormat' | 'dateParser' | 'locale'> & {
  /** The day as 'YYYY-MM-DD' ('' or null: none), as the API and the forms hold it. */
  value?: string | null;
  onChange: (value: string) => void;
};

/**
 * A date field written the tenant's way (its locale, from /me): `07.12.2026` for de-DE, with the
 * calendar's months and weekdays in that language. Value and onChange are 'YYYY-MM-DD' strings, as
 * the native date input gave. Typing works in the locale's pattern and in ISO. The calendar opens
 * on a click or ArrowDown (not on focus or typing, so it never covers what comes next in a form).
 */
export function DateField({ value, onChange, onClick, onKeyDown, onBlur, popoverProps, getDayProps, required, ...rest }: DateFieldProps) {
  const { t } = useTranslation();
  const { state } = useSession();
  const locale = state.status === 'ready' ? (state.me.tenant?.locale ?? 'en-GB') : 'en-GB';
  const entry = dateEntryOf(locale);
  const [calendarOpen, setCalendarOpen] = useState(false);
  return (
    <DatesProvider settings={{ locale: entry.dayjs, firstDayOfWeek: entry.firstDayOfWeek }}>
      <DateInput
        {...rest}
        required={required}
        clearable={!required}
        clearButtonProps={{ 'aria-label': t('dates.clear') }}
        leftSection={<IconCalendar size={16} aria-hidden />}
        placeholder={rest.placeholder ?? entry.pattern}
        value={value || null}
        onChange={(day) => onChange(day ?? '')}
        valueFormat={(day) => formatTypedDate(day, entry.pattern)}
        dateParser={(typed) => parseTypedDate(typed, entry.pattern)}
        // The month and year buttons keep their visible text ("März 2027") as their name.
        ariaLabels={{
          previousMonth: t('dates.previousMonth'),
          nextMonth: t('dates.nextMonth'),
          previousYear: t('dates.previousYear'),
          nextYear: t('dates.nextYear'),
          previousDecade: t('dates.previousDecade'),
          nextDecade: t('dates.nextDecade'),
        }}
        // While the calendar is open, Escape closes it and not the dialog around the field (as Mantine's own pickers do).
        data-mantine-stop-propagation={calendarOpen ? 'true' : undefined}
        getDayAriaLabel={(day) => dayLabel(day, locale)}
        onClick={(event) => {
          onClick?.(event);
          setCalendarOpen(true);
        }}
        onKeyDown={(event) => {
          onKeyDown?.(event);
          if (event.key === 'ArrowDown') setCalendarOpen(true);
          if (event.key === 'Escape') setCalendarOpen(false);
        }}
        onBlur={(event) => {
          onBlur?.(event);
          setCalendarOpen(false);
        }}
        getDayProps={(day) => {
          const props = getDayProps?.(day);
          return {
            ...props,
            onClick: (event) => {
              props?.onClick?.(event);
              setCalendarOpen(false);
            },
          };
        }}
        popoverProps={{ ...popoverProps, opened: calendarOpen, onClose: () => setCalendarOpen(false) }}
      />
    </DatesProvider>
  );
}
