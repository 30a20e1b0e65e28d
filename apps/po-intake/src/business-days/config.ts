import type { EnvReader } from '@otl/platform';
import type { DueDates } from '../config';

// Interim: due 24 hours after receipt, until the business-day calendar (PO_TIME_ZONE,
// PO_BUSINESS_DAY_END, PO_HOLIDAYS) replaces this file in the next change.
export function readBusinessCalendarConfig(env: EnvReader): {
  calendar: DueDates;
  calendarSummary: Record<string, unknown>;
} {
  void env;
  return {
    calendar: { dueBy: (at: Date) => new Date(at.getTime() + 24 * 3600 * 1000) },
    calendarSummary: { interim: '24 hours after receipt' },
  };
}
