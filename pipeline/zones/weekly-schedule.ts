/**
 * Weekly time windows in a local time zone (e.g. "22:00–05:00 every night, Asia/Ho_Chi_Minh"). A window whose end
 * is not after its start runs overnight and belongs to the day it starts on; start == end means the whole day.
 */

export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export interface ScheduleWindow {
  /** Days on which the window starts. @default every day */
  days?: Weekday[];
  /** Local start time "HH:MM" (24 h). */
  start: string;
  /** Local end time "HH:MM" (24 h), exclusive. */
  end: string;
}

export interface WeeklyScheduleConfig {
  /** IANA time zone. @default 'Asia/Ho_Chi_Minh' */
  timeZone?: string;
  windows: ScheduleWindow[];
}

export const DEFAULT_TIME_ZONE = 'Asia/Ho_Chi_Minh';

/** Bad schedule configuration (time format or unknown time zone). */
export class ScheduleError extends Error {
  readonly code = 'IOCV_SCHEDULE_INVALID';
  constructor(message: string) {
    super(message);
    this.name = 'ScheduleError';
  }
}

function parseHhMm(s: string): number {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(s);
  if (!m) throw new ScheduleError(`time "${s}" must be HH:MM (00:00–23:59)`);
  return Number(m[1]) * 60 + Number(m[2]);
}

const DAY_INDEX: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };

export class WeeklySchedule {
  readonly timeZone: string;
  private readonly windows: Array<{ days: Set<number>; startMin: number; endMin: number }>;
  private readonly fmt: Intl.DateTimeFormat;

  constructor(cfg: WeeklyScheduleConfig) {
    this.timeZone = cfg.timeZone ?? DEFAULT_TIME_ZONE;
    try {
      this.fmt = new Intl.DateTimeFormat('en-US', { timeZone: this.timeZone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    } catch {
      throw new ScheduleError(`unknown time zone "${this.timeZone}"`);
    }
    this.windows = cfg.windows.map((w) => ({
      days: new Set((w.days ?? WEEKDAYS).map((d) => WEEKDAYS.indexOf(d))),
      startMin: parseHhMm(w.start),
      endMin: parseHhMm(w.end),
    }));
  }

  /** Local weekday (0 = Sunday) and minute of the day at `epochMs`. */
  localTime(epochMs: number): { day: number; minute: number } {
    let day = 0;
    let hour = 0;
    let minute = 0;
    for (const p of this.fmt.formatToParts(new Date(epochMs))) {
      if (p.type === 'weekday') day = DAY_INDEX[p.value] ?? 0;
      else if (p.type === 'hour') hour = Number(p.value);
      else if (p.type === 'minute') minute = Number(p.value);
    }
    return { day, minute: hour * 60 + minute };
  }

  /** True when `epochMs` falls inside any window. */
  isActive(epochMs: number): boolean {
    const { day, minute } = this.localTime(epochMs);
    const prev = (day + 6) % 7;
    for (const w of this.windows) {
      if (w.startMin === w.endMin) {
        if (w.days.has(day)) return true;
      } else if (w.startMin < w.endMin) {
        if (w.days.has(day) && minute >= w.startMin && minute < w.endMin) return true;
      } else {
        if (w.days.has(day) && minute >= w.startMin) return true;
        if (w.days.has(prev) && minute < w.endMin) return true;
      }
    }
    return false;
  }
}
