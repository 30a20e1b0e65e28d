import { useId } from 'react';
import type { ProductUsage, UsageHour } from '../api';
import { formatDate } from '../format';

const HOUR = 3_600_000;
export const WINDOW_HOURS = 30 * 24;

export interface HourlySeries {
  /** Start of the first hour (ms). */
  start: number;
  /** Start of the last hour (ms): the newest hour of the history. */
  end: number;
  peak: number[];
  denied: number[];
}

/** The history as 720 hourly slots ending at its newest hour; hours without an entry count as 0. */
export function hourlySeries(history: UsageHour[]): HourlySeries | null {
  const points = history
    .map((entry) => ({ ...entry, at: Math.floor(Date.parse(entry.hour) / HOUR) * HOUR }))
    .filter((entry) => Number.isFinite(entry.at));
  if (points.length === 0) return null;
  const end = Math.max(...points.map((point) => point.at));
  const start = end - (WINDOW_HOURS - 1) * HOUR;
  const peak = new Array<number>(WINDOW_HOURS).fill(0);
  const denied = new Array<number>(WINDOW_HOURS).fill(0);
  for (const point of points) {
    const slot = (point.at - start) / HOUR;
    if (slot < 0) continue;
    peak[slot] = Math.max(peak[slot] ?? 0, point.peakSeatsInUse);
    denied[slot] = (denied[slot] ?? 0) + point.denied;
  }
  return { start, end, peak, denied };
}

export interface Day {
  day: string;
  peak: number;
  denied: number;
}

/** Per calendar day: the highest hourly peak and the denied requests, oldest day first. */
export function dailySummary(series: HourlySeries): Day[] {
  const days = new Map<string, Day>();
  series.peak.forEach((peak, slot) => {
    const day = formatDate(new Date(series.start + slot * HOUR).toISOString());
    const entry = days.get(day) ?? { day, peak: 0, denied: 0 };
    entry.peak = Math.max(entry.peak, peak);
    entry.denied += series.denied[slot] ?? 0;
    days.set(day, entry);
  });
  return [...days.values()];
}

const WIDTH = WINDOW_HOURS;
const HEIGHT = 100;

/** A step outline of hourly values, as an SVG path over a WIDTH × HEIGHT box (one unit per hour). */
function stepPath(values: number[], max: number, closed: boolean): string {
  const y = (value: number) => (HEIGHT - (value / max) * (HEIGHT - 4)).toFixed(2);
  let path = closed ? `M0,${HEIGHT}` : `M0,${y(values[0] ?? 0)}`;
  values.forEach((value, slot) => {
    path += ` L${slot},${y(value)} L${slot + 1},${y(value)}`;
  });
  return closed ? `${path} L${WIDTH},${HEIGHT} Z` : path;
}

interface SeriesChartProps {
  caption: string;
  values: number[];
  max: number;
  unitLabel: string;
  startLabel: string;
  endLabel: string;
  tone: 'peak' | 'denied';
  /** A horizontal reference line (the licence's seats). */
  limit?: number;
}

/** One series as a chart: the SVG is drawing only; the caption says what it shows in words. */
function SeriesChart({
  caption,
  values,
  max,
  unitLabel,
  startLabel,
  endLabel,
  tone,
  limit,
}: SeriesChartProps) {
  const captionId = useId();
  const limitY = limit === undefined ? null : HEIGHT - (limit / max) * (HEIGHT - 4);
  return (
    <figure className="chart" aria-labelledby={captionId}>
      <figcaption id={captionId}>{caption}</figcaption>
      <div className="chart-frame">
        <div className="chart-y" aria-hidden="true">
          <span>
            {max} {max === 1 ? unitLabel.replace(/s$/, '') : unitLabel}
          </span>
          <span>0</span>
        </div>
        <svg
          className={`chart-svg chart-${tone}`}
          viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
          preserveAspectRatio="none"
          aria-hidden="true"
          focusable="false"
        >
          <path className="chart-area" d={stepPath(values, max, true)} />
          <path className="chart-line" d={stepPath(values, max, false)} vectorEffect="non-scaling-stroke" />
          {limitY !== null && (
            <line
              className="chart-limit"
              x1="0"
              x2={WIDTH}
              y1={limitY}
              y2={limitY}
              vectorEffect="non-scaling-stroke"
            />
          )}
        </svg>
      </div>
      <div className="chart-x" aria-hidden="true">
        <span>{startLabel}</span>
        <span>{endLabel}</span>
      </div>
    </figure>
  );
}

const plural = (count: number, one: string, many: string) => `${count} ${count === 1 ? one : many}`;

/** Seats in use per hour over the last 30 days (with the licence's seats), and denied requests. */
export function UsageChart({ usage }: { usage: ProductUsage }) {
  const series = hourlySeries(usage.history);
  if (!series) return <p>No usage recorded in the last 30 days.</p>;
  const days = dailySummary(series);
  const from = days[0]?.day ?? '';
  const to = days[days.length - 1]?.day ?? '';
  const highest = Math.max(...series.peak);
  const busiest = days.find((day) => day.peak === highest);
  const totalDenied = series.denied.reduce((sum, value) => sum + value, 0);
  const mostDenied = Math.max(...series.denied);
  const worstDay = days.reduce<Day | null>(
    (worst, day) => (day.denied > (worst?.denied ?? 0) ? day : worst),
    null,
  );
  const seatMax = Math.max(usage.seatsTotal, highest, 1);

  const peakCaption =
    `Peak seats in use per hour, ${from} to ${to}: at most ${highest} of ${usage.seatsTotal}` +
    (highest > 0 && busiest ? `, first on ${busiest.day}.` : '.') +
    ' The dashed line marks the seats of the license.';
  const deniedCaption =
    `Denied requests per hour, ${from} to ${to}: ${plural(totalDenied, 'request', 'requests')} in all, ` +
    `at most ${mostDenied} in one hour` +
    (worstDay ? `; the most on ${worstDay.day} (${worstDay.denied}).` : '.');

  const charts: Omit<SeriesChartProps, 'startLabel' | 'endLabel'>[] = [
    {
      caption: peakCaption,
      values: series.peak,
      max: seatMax,
      unitLabel: 'seats',
      tone: 'peak',
      limit: usage.seatsTotal,
    },
  ];
  if (totalDenied > 0) {
    charts.push({
      caption: deniedCaption,
      values: series.denied,
      max: mostDenied,
      unitLabel: 'denied',
      tone: 'denied',
    });
  }
  return (
    <div className="usage-charts">
      {charts.map((chart) => (
        <SeriesChart key={chart.tone} {...chart} startLabel={from} endLabel={to} />
      ))}
      {totalDenied === 0 && <p>No requests were denied in these 30 days.</p>}
      <details className="chart-table">
        <summary>Daily figures as a table</summary>
        <table>
          <caption>Usage of {usage.product} per day</caption>
          <thead>
            <tr>
              <th scope="col">Day</th>
              <th scope="col">Highest seats in use</th>
              <th scope="col">Denied requests</th>
            </tr>
          </thead>
          <tbody>
            {days.map((day) => (
              <tr key={day.day}>
                <th scope="row">{day.day}</th>
                <td>{day.peak}</td>
                <td>{day.denied}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </div>
  );
}
